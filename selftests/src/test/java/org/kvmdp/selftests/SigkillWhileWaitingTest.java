// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
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
        try (ChildJvm child = ChildJvm.start(Optional.empty(), WaitingVmmMain.class.getName())) {
            assertThat(child.awaitLine(l -> l.startsWith("WAITING"), Duration.ofMinutes(3)))
                    .as("child ended without WAITING:%n%s", child.output()).isPresent();
            assertThat(child.isAlive()).isTrue();
            long start = System.nanoTime();
            child.kill();
            assertThat(child.awaitExit(Duration.ofSeconds(30))).isEqualTo(128 + 9);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(30);
        }
    }
}
