// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class KernelThreadStateTest {
    /** The calling thread's kernel thread id, from the /proc/thread-self link. */
    private static int ownTid() throws Exception {
        return Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/thread-self"))
                .getFileName().toString());
    }

    @Test
    void aThreadReadingItsOwnStateIsRunning() throws Exception {
        assertThat(KernelThreadState.describe(ownTid())).startsWith("thread " + ownTid())
                .contains("state R")
                .containsPattern("over 500 ms: user \\+\\d+ system \\+\\d+ guest \\+\\d+ ticks");
    }

    @Test
    void aThreadBlockedInTheKernelIsSleepingAndSaysWhere() throws Exception {
        AtomicInteger tid = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread sleeper = new Thread(() -> {
            try {
                tid.set(ownTid());
                started.countDown();
                release.await();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        sleeper.start();
        try {
            started.await();
            // Parked in a futex wait once it blocks; until then it may still be running.
            String state;
            do {
                state = KernelThreadState.describe(tid.get());
            } while (state.contains("state R"));
            assertThat(state).contains("state S").containsPattern("wchan \\S");
        } finally {
            release.countDown();
            sleeper.join();
        }
    }

    @Test
    void noThreadOrAThreadThatIsGoneIsSaidSo() {
        assertThat(KernelThreadState.describe(0)).isEqualTo("no thread in KVM_RUN");
        assertThat(KernelThreadState.describe(Integer.MAX_VALUE))
                .startsWith("thread " + Integer.MAX_VALUE + ": cannot read its state");
    }
}
