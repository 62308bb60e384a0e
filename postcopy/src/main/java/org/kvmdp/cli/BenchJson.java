// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code kvmdp bench --json}: one object, {@code {"rows": [...]}}, a row object per mechanism
 * with {@link BenchResult#fields} as members (the method, repeated in every row, included). Hand-written because these few flat fields do not
 * justify a JSON library; non-finite numbers (never expected) become null to stay valid JSON.
 */
final class BenchJson {
    private BenchJson() {}

    static String write(List<BenchResult> rows) {
        StringBuilder s = new StringBuilder("{\"rows\": [");
        for (int i = 0; i < rows.size(); i++) {
            s.append(i == 0 ? "\n  {" : ",\n  {");
            boolean first = true;
            for (Map.Entry<String, Object> e : rows.get(i).fields().entrySet()) {
                s.append(first ? "" : ", ").append(string(e.getKey())).append(": ")
                        .append(value(e.getValue()));
                first = false;
            }
            s.append('}');
        }
        return s.append(rows.isEmpty() ? "]}" : "\n]}").toString();
    }

    private static String value(Object v) {
        if (v instanceof String text) {
            return string(text);
        }
        if (v instanceof Double d) {
            return Double.isFinite(d) ? String.format(Locale.ROOT, "%.3f", d) : "null";
        }
        if (v instanceof Integer || v instanceof Long) {
            return v.toString();
        }
        if (v instanceof List<?> list) {
            StringBuilder s = new StringBuilder("[");
            for (int i = 0; i < list.size(); i++) {
                s.append(i == 0 ? "" : ", ").append(value(list.get(i)));
            }
            return s.append(']').toString();
        }
        throw new IllegalArgumentException("no JSON form for " + v);
    }

    static String string(String text) {
        StringBuilder s = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20) {
                        s.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        return s.append('"').toString();
    }
}
