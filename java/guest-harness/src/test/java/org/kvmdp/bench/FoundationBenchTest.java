// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FoundationBenchTest {
    @Test
    void sizesAcceptSuffixesAndNameTheOptionOnError() {
        assertThat(FoundationBench.parseSize("--size", "4096")).isEqualTo(4096);
        assertThat(FoundationBench.parseSize("--size", "4k")).isEqualTo(4096);
        assertThat(FoundationBench.parseSize("--size", "64M")).isEqualTo(64L << 20);
        assertThat(FoundationBench.parseSize("--size", "1G")).isEqualTo(1L << 30);
        assertThatThrownBy(() -> FoundationBench.parseSize("--size", "-1M"))
                .hasMessageContaining("--size");
        assertThatThrownBy(() -> FoundationBench.parseSize("--size", "lots"))
                .hasMessageContaining("--size");
    }
}
