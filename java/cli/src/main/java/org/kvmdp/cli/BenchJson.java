// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * {@code kvmdp bench --json}: one object, {@code {"rows": [...]}}, a row object per mechanism
 * with {@link BenchResult#fields} as members, in their order (the method, repeated in every
 * row, included). Written with Jackson; decimals keep three places (microseconds and pages/s
 * need no more), and non-finite numbers (never expected) become null to stay valid JSON.
 */
final class BenchJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

    private BenchJson() {}

    static String write(List<BenchResult> rows) {
        ObjectNode root = NODES.objectNode();
        ArrayNode array = root.putArray("rows");
        for (BenchResult result : rows) {
            ObjectNode row = array.addObject();
            result.fields().forEach((name, value) -> row.set(name, node(value)));
        }
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode node(Object v) {
        if (v instanceof String text) {
            return NODES.textNode(text);
        }
        if (v instanceof Double d) {
            return Double.isFinite(d)
                    ? NODES.numberNode(BigDecimal.valueOf(d).setScale(3, RoundingMode.HALF_EVEN))
                    : NODES.nullNode();
        }
        if (v instanceof Integer i) {
            return NODES.numberNode(i);
        }
        if (v instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (v instanceof List<?> list) {
            ArrayNode array = NODES.arrayNode();
            list.forEach(item -> array.add(node(item)));
            return array;
        }
        throw new IllegalArgumentException("no JSON form for " + v);
    }
}
