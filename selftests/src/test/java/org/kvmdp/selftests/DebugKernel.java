// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the test VM booted the debug kernel (lockdep, KASAN: run-vm-suite.sh --debug), for
 * the slow cases that run only their KVM demand-paging variant there to keep its CI run short.
 */
final class DebugKernel {
    private DebugKernel() {}

    static boolean running() {
        return Files.exists(Path.of("/proc/lockdep_stats"));
    }

    /** Skips a case on the debug kernel, saying why (the normal kernel runs it). */
    static void assumeNormalKernel(String why) {
        assumeTrue(!running(), "the debug kernel (lockdep) skips it: " + why);
    }

    /** Skips a case for {@code mechanism} other than kvm on the debug kernel, saying why. */
    static void assumeKvmOnly(String mechanism, String why) {
        assumeTrue(mechanism.equals("kvm") || !running(),
                "the debug kernel (lockdep) runs the KVM case: " + why);
    }
}
