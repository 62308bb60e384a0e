// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.ArrayList;
import java.util.Arrays;
import org.kvmdp.postcopy.backend.DeviceBackendOptions.Mode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --device-backend in-process|process}, named by {@link Mode#label}. */
final class DeviceBackendModes {
    private DeviceBackendModes() {}

    static final class Converter implements ITypeConverter<Mode> {
        @Override
        public Mode convert(String value) {
            return Arrays.stream(Mode.values()).filter(m -> m.label().equals(value)).findFirst()
                    .orElseThrow(() -> new TypeConversionException("'" + value + "' is not a"
                            + " device backend; pick " + String.join(" or ", new Names())));
        }
    }

    static final class Names extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        Names() {
            Arrays.stream(Mode.values()).map(Mode::label).forEach(this::add);
        }
    }
}
