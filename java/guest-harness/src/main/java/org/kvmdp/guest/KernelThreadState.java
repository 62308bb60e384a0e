// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What the kernel says a thread of this process is doing, from /proc/self/task/TID: its state
 * (R running, S sleeping, D uninterruptible), how its user, system and guest time grow over
 * half a second, where it sleeps (wchan) and, for root, its kernel stack. For the report of a vCPU that stayed in KVM_RUN past its deadline: it tells a vCPU
 * running the guest (R) from one asleep in KVM (S or D, and where).
 */
final class KernelThreadState {
    private static final int STACK_FRAMES = 12;
    private static final int SAMPLE_MILLIS = 500;

    private KernelThreadState() {}

    /** One line, or a line saying why nothing could be read; never throws. */
    static String describe(int tid) {
        if (tid <= 0) {
            return "no thread in KVM_RUN";
        }
        Path task = Path.of("/proc/self/task", Integer.toString(tid));
        StringBuilder s = new StringBuilder("thread ").append(tid);
        String[] before;
        String[] after;
        try {
            before = statFields(task);
            Thread.sleep(SAMPLE_MILLIS);
            after = statFields(task);
        } catch (IOException | RuntimeException e) {
            return s.append(": cannot read its state (").append(e.getMessage()).append(')')
                    .toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return s.append(": interrupted reading its state").toString();
        }
        // Fields after the command name: 0 state, 11 utime, 12 stime, 40 guest_time (ticks).
        // Over the sample, guest time growing means the vCPU runs the guest; system time
        // growing without it, that it loops in KVM.
        s.append(" state ").append(after[0]).append(", over ").append(SAMPLE_MILLIS)
                .append(" ms: user +").append(delta(before, after, 11)).append(" system +")
                .append(delta(before, after, 12)).append(" guest +")
                .append(delta(before, after, 40)).append(" ticks");
        s.append(", wchan ").append(read(task.resolve("wchan")));
        String stack = read(task.resolve("stack"));
        if (!stack.isEmpty()) {
            List<String> frames = stack.lines().limit(STACK_FRAMES)
                    .map(line -> line.replaceFirst("^\\[<[0-9a-f]+>\\] ", ""))
                    .collect(Collectors.toList());
            s.append(", kernel stack ").append(String.join(" < ", frames));
        }
        return s.toString();
    }

    /** The fields of /proc/.../stat after the parenthesised command name. */
    private static String[] statFields(Path task) throws IOException {
        String stat = Files.readString(task.resolve("stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    }

    private static String delta(String[] before, String[] after, int field) {
        if (field >= before.length || field >= after.length) {
            return "?";
        }
        return Long.toString(Long.parseLong(after[field]) - Long.parseLong(before[field]));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
