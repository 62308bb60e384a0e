// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * {@code kvmdp bench --csv}: a header of {@link BenchResult#fields} names, then one line per
 * mechanism (RFC 4180). Each list (per-vCPU rates, per-repetition rates and places, JVM
 * flags) is one column with values separated by ';', so every line has the same number of
 * columns whatever --vcpus or --repeat is.
 */
final class BenchCsv {
    static final String LIST_SEPARATOR = ";";

    private BenchCsv() {}

    static String write(List<BenchResult> rows) {
        StringBuilder s = new StringBuilder(String.join(",", columns())).append('\n');
        for (BenchResult row : rows) {
            s.append(row.fields().values().stream().map(BenchCsv::cell)
                    .collect(Collectors.joining(","))).append('\n');
        }
        return s.toString();
    }

    /** The header, in order. */
    static List<String> columns() {
        return BenchResult.fieldNames();
    }

    private static String cell(Object v) {
        if (v instanceof Double d) {
            return String.format(Locale.ROOT, "%.3f", d);
        }
        if (v instanceof List<?> list) {
            return list.stream().map(BenchCsv::cell).collect(Collectors.joining(LIST_SEPARATOR));
        }
        String text = v.toString();
        if (text.contains(",") || text.contains("\"") || text.contains("\n")) {
            return '"' + text.replace("\"", "\"\"") + '"';
        }
        return text;
    }
}
