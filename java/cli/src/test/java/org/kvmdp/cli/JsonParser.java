// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import com.fasterxml.jackson.core.JsonParser.Feature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads {@code bench --json} output back for the tests, strictly (Jackson's defaults plus
 * duplicate keys and text after the value refused): objects become maps in their order,
 * arrays lists, numbers BigDecimal or Integer/Long, true/false Boolean, null null. Anything
 * that is not valid JSON throws {@link IllegalArgumentException}.
 */
final class JsonParser {
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private JsonParser() {}

    static Object parse(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty text is not JSON");
        }
        try {
            return STRICT.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
    }
}
