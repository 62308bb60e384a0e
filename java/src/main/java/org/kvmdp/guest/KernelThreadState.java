// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What the kernel says a thread of this process is doing, from /proc/self/task/TID: its state
 * (R running, S sleeping, D uninterruptible), where it sleeps (wchan) and, for root, its kernel
 * stack. For the report of a vCPU that stayed in KVM_RUN past its deadline: it tells a vCPU
 * running the guest (R) from one asleep in KVM (S or D, and where).
 */
final class KernelThreadState {
    private static final int STACK_FRAMES = 12;

    private KernelThreadState() {}

    /** One line, or a line saying why nothing could be read; never throws. */
    static String describe(int tid) {
        if (tid <= 0) {
            return "no thread in KVM_RUN";
        }
        Path task = Path.of("/proc/self/task", Integer.toString(tid));
        StringBuilder s = new StringBuilder("thread ").append(tid);
        try {
            String stat = Files.readString(task.resolve("stat"));
            // The state is the first field after the parenthesised command name.
            int end = stat.lastIndexOf(')');
            s.append(" state ").append(end > 0 && end + 2 < stat.length()
                    ? stat.charAt(end + 2) : '?');
        } catch (IOException | RuntimeException e) {
            return s.append(": cannot read its state (").append(e.getMessage()).append(')')
                    .toString();
        }
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

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
