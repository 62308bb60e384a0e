// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.kvmdp.bench.Wire;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.Mechanism;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * picocli converters and candidate lists. Names come from the tables the code runs
 * ({@link Backing}, {@link Mechanism}), so help, parsing and results agree.
 */
final class Converters {
    private Converters() {}

    /** "anonymous", "thp", "shmem", "hugetlb2m", "hugetlb1g". */
    static String label(Backing backing) {
        return backing.name().toLowerCase(Locale.ROOT).replace("_", "");
    }

    static String labels(Backing... backings) {
        List<String> names = Arrays.stream(backings).map(Converters::label).collect(Collectors.toList());
        return names.size() < 2 ? String.join("", names)
                : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }

    static final class SizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Sizes.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class HostPortConverter implements ITypeConverter<HostPort> {
        @Override
        public HostPort convert(String value) {
            try {
                return HostPort.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class BackingConverter implements ITypeConverter<Backing> {
        @Override
        public Backing convert(String value) {
            for (Backing b : Backing.values()) {
                if (label(b).equals(value)) {
                    return b;
                }
            }
            throw new TypeConversionException("'" + value + "' is not a backing; pick one of "
                    + String.join(", ", new BackingNames()));
        }
    }

    static final class BackingNames extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        BackingNames() {
            Arrays.stream(Backing.values()).map(Converters::label).forEach(this::add);
        }
    }

    /** A mechanism label, or "all" (every mechanism the backing allows). */
    static final class MechanismConverter implements ITypeConverter<MechanismChoice> {
        @Override
        public MechanismChoice convert(String value) {
            if (MechanismChoice.ALL_LABEL.equals(value)) {
                return MechanismChoice.all();
            }
            return Mechanism.byLabel(value).map(MechanismChoice::of).orElseThrow(() ->
                    new TypeConversionException("'" + value + "' is not a mechanism; pick one of "
                            + String.join(", ", new MechanismNames())));
        }
    }

    static final class MechanismNames extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        MechanismNames() {
            addAll(Mechanism.labels());
            add(MechanismChoice.ALL_LABEL);
        }
    }

    /** A --wire preset: 10g, 25g, 100g or none. */
    static final class WireConverter implements ITypeConverter<Wire> {
        @Override
        public Wire convert(String value) {
            return Wire.preset(value).orElseThrow(() -> new TypeConversionException("'" + value
                    + "' is not a wire; pick one of 10g, 25g, 100g, none"));
        }
    }

    /** Lower-case names for small enums (read, write; memory, file, tcp; source, destination). */
    abstract static class LowerCaseEnum<E extends Enum<E>> implements ITypeConverter<E> {
        private final Class<E> type;

        LowerCaseEnum(Class<E> type) {
            this.type = type;
        }

        @Override
        public E convert(String value) {
            for (E e : type.getEnumConstants()) {
                if (e.name().toLowerCase(Locale.ROOT).equals(value)) {
                    return e;
                }
            }
            throw new TypeConversionException("'" + value + "' is not one of " + names(type));
        }

        static <E extends Enum<E>> String names(Class<E> type) {
            return Arrays.stream(type.getEnumConstants())
                    .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
        }
    }
}
