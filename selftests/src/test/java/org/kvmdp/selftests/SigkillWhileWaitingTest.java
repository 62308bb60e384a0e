// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL ends a KVM-internal wait: a child JVM ({@link WaitingVmmMain}) leaves its vCPU
 * waiting for a page inside KVM_RUN; killing it with SIGKILL must end the process promptly
 * (the wait is killable) and tear the VM down without a kernel splat (run-in-vm.sh fails the
 * run on any).
 */
class SigkillWhileWaitingTest {
    @Test
    void aKilledVmmWithAWaitingVcpuExitsPromptly() throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", ChildJvm.testClasspath(), WaitingVmmMain.class.getName()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8));
            CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
                StringBuilder seen = new StringBuilder();
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        if (line.startsWith("WAITING")) {
                            return line;
                        }
                        seen.append(line).append('\n');
                    }
                } catch (java.io.IOException e) {
                    seen.append(e);
                }
                return "child ended without WAITING:\n" + seen;
            });
            assertThat(waiting.get(3, TimeUnit.MINUTES)).startsWith("WAITING");
            assertThat(child.isAlive()).isTrue();
            long start = System.nanoTime();
            child.destroyForcibly(); // SIGKILL
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("child gone after SIGKILL").isTrue();
            assertThat(child.exitValue()).isEqualTo(128 + 9);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(30);
        } finally {
            child.destroyForcibly();
        }
    }
}
