// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Linux lets a sleep end up to the thread's timer slack (50 us by default) after its deadline,
 * to batch wake-ups; next to a 33 us wire request that is most of the wait. A thread that
 * sleeps for the {@link Wire} sets its own slack to 1 ns once, through /proc/TID/timerslack_ns
 * (TID from /proc/thread-self; a thread may set its own without privileges, Linux 4.6 and
 * later). Best effort: where that cannot be done the slack stays, and the waits' measured
 * lateness ({@link Wire.Link#meanLateNanos}) shows it.
 */
public final class TimerSlack {
    private static final ThreadLocal<Boolean> DONE = ThreadLocal.withInitial(() -> false);

    private TimerSlack() {}

    /** Sets this thread's timer slack to 1 ns the first time it is called on it. */
    public static void minimizeForThisThread() {
        if (DONE.get()) {
            return;
        }
        DONE.set(true);
        try {
            Files.write(ofThisThread(), "1".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            // Not Linux, an old kernel or a locked-down /proc: keep the default slack.
        }
    }

    /** This thread's timer slack in nanoseconds, or -1 if it cannot be read. */
    static long currentNanos() {
        try {
            return Long.parseLong(Files.readString(ofThisThread(), StandardCharsets.US_ASCII).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * /proc/TID/timerslack_ns of the calling thread: the file exists per process directory
     * only, and /proc/TID is the thread's own (resolving /proc/thread-self on this thread
     * gives /proc/PID/task/TID).
     */
    private static Path ofThisThread() throws IOException {
        Path task = Path.of("/proc/thread-self").toRealPath();
        return Path.of("/proc", task.getFileName().toString(), "timerslack_ns");
    }
}
