// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Locale;

/** Which end of a migration this process is. Named in lower case on the command line. */
enum Role {
    SOURCE, DESTINATION;

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static final class Converter extends Converters.LowerCaseEnum<Role> {
        Converter() {
            super(Role.class);
        }
    }

    static final class Names extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        Names() {
            Arrays.stream(values()).map(Role::label).forEach(this::add);
        }
    }
}
