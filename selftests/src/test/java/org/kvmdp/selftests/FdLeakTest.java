// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.memory.Backing;
import org.kvmdp.uffd.RegisterMode;
import org.kvmdp.uffd.Userfaultfd;

/** A full VM life cycle gives back every fd it opened. */
class FdLeakTest {
    @Test
    void vmLifeCyclesLeaveNoFdsBehind() throws IOException {
        cycle(); // class loading and the library copy happen once, before counting
        long before = openFds();
        for (int i = 0; i < 3; i++) {
            cycle();
        }
        assertThat(openFds()).isEqualTo(before);
    }

    private static void cycle() {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES);
                Userfaultfd uffd = Userfaultfd.open()) {
            MemoryRegion shmem = guest.addMemory(Backing.SHMEM, 2L << 20);
            MemoryRegion anon = guest.addMemory(Backing.ANONYMOUS, 2L << 20);
            uffd.register(anon.memory().address(), anon.size(), RegisterMode.MISSING);
            TouchPages.run(guest, shmem, new TouchPages.Params(2, true, 4096, 3, 0,
                    Duration.ofMinutes(1)));
            guest.vm().getStats();
            guest.vcpus().get(1).getStats();
        }
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
