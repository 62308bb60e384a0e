// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Locale;

/** Where pages come from during a benchmark. Named in lower case on the command line. */
enum SourceKind {
    MEMORY, FILE, TCP;

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static final class Converter extends Converters.LowerCaseEnum<SourceKind> {
        Converter() {
            super(SourceKind.class);
        }
    }

    static final class Names extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        Names() {
            Arrays.stream(values()).map(SourceKind::label).forEach(this::add);
        }
    }
}
