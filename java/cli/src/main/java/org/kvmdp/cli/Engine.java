// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.kvmdp.postcopy.Mechanism;

/**
 * Which fault handling {@code kvmdp bench --engine} measures: the post-copy engine (page
 * tracker, page source, checksums, statistics) or the minimal handlers of
 * {@link org.kvmdp.bench.MinimalHandler} (copy and publish, nothing else), on the same guest,
 * memory, image and method, so the two compare like for like.
 */
enum Engine {
    FULL(List.of(Mechanism.values())),
    /** none is the same prefill for both engines: it has no fault handler to compare. */
    MINIMAL(List.of(Mechanism.KVM, Mechanism.UFFD_MISSING, Mechanism.NONE));

    private final List<Mechanism> mechanisms;

    Engine(List<Mechanism> mechanisms) {
        this.mechanisms = mechanisms;
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The mechanisms this engine has a handler for. */
    List<Mechanism> mechanisms() {
        return mechanisms;
    }

    static final class Converter extends Converters.LowerCaseEnum<Engine> {
        Converter() {
            super(Engine.class);
        }
    }

    static final class Names extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        Names() {
            Arrays.stream(values()).map(Engine::label).forEach(this::add);
        }
    }
}
