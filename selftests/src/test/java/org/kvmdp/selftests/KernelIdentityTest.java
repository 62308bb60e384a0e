// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The suite runs on this project's test kernel, not on whatever booted. */
class KernelIdentityTest {
    @Test
    void releaseIsOurs() throws Exception {
        String release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        assertThat(release).as("uname -r").endsWith("-kvmdp");
    }

    @Test
    void versionMatchesTheExpectedBuildWhenOneIsGiven() throws Exception {
        String version = Files.readString(Path.of("/proc/version"));
        String expected = System.getProperty("kvmdp.expectedKernelBuild");
        if (expected != null && !expected.isEmpty()) {
            assertThat(version).as("/proc/version").contains(expected);
        }
        assertThat(version).startsWith("Linux version ").contains("-kvmdp");
    }
}
