// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The guest kernel's log, for tests that provoke a path where the kernel would WARN: they
 * compare the count before and after, so the test itself fails (run-in-vm.sh also fails the
 * whole run on any splat, but without naming the test).
 */
final class KernelLog {
    private KernelLog() {}

    /** Lines of dmesg reporting a WARN or BUG so far. */
    static long warnings() {
        try {
            Process p = new ProcessBuilder("dmesg").redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("dmesg failed: " + log);
            }
            return log.lines().filter(l -> l.contains("WARNING:") || l.contains("BUG:")).count();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run dmesg", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading dmesg", e);
        }
    }
}
