// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import org.junit.jupiter.api.Test;

class NativeLoaderTest {
    @Test
    void libraryLoadsFromTheJarResources() {
        assertThat(NativeLoader.unavailabilityCause()).isEmpty();
        assertThat(NativeLoader.isAvailable()).isTrue();
    }

    @Test
    void theLibraryShipsAsAResource() throws Exception {
        try (InputStream in = NativeLoader.openResource("libkvmdp.so")) {
            assertThat(in.readAllBytes()).isNotEmpty();
        }
    }

    @Test
    void missingResourceSaysWhatToBuild() {
        assertThatThrownBy(() -> NativeLoader.openResource("no-such-file"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no-such-file")
                .hasMessageContaining("build-native.sh");
    }
}
