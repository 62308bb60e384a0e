// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Locale;

/** How the guest touches each page. Named in lower case on the command line. */
enum AccessPattern {
    READ, WRITE;

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static final class Converter extends Converters.LowerCaseEnum<AccessPattern> {
        Converter() {
            super(AccessPattern.class);
        }
    }

    static final class Names extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        Names() {
            Arrays.stream(values()).map(AccessPattern::label).forEach(this::add);
        }
    }
}
