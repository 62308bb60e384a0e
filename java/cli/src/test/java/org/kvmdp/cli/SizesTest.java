// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {
    @ParameterizedTest
    @CsvSource({"4096, 4096", "4K, 4096", "4k, 4096", "2M, 2097152", "2MiB, 2097152",
            "2MB, 2097152", "1G, 1073741824", "3T, 3298534883328", "0, 0"})
    void parses(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "K", "-4K", "1.5G", "4X", "4 KB extra"})
    void rejectsWithExamples(String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).hasMessageContaining("is not a size")
                .hasMessageContaining("4K");
    }

    @ParameterizedTest
    @ValueSource(strings = {"99999999999999999999", "9000000T"})
    void rejectsOverflow(String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).hasMessageContaining("too large");
    }

    @ParameterizedTest
    @CsvSource({"2097152, 2M", "4096, 4K", "4097, 4097", "1073741824, 1G", "0, 0"})
    void formatsShortestExact(long bytes, String text) {
        assertThat(Sizes.format(bytes)).isEqualTo(text);
    }
}
