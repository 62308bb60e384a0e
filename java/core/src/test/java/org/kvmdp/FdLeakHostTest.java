// SPDX-License-Identifier: Apache-2.0
package org.kvmdp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.kvmdp.memory.Backing;
import org.kvmdp.memory.GuestMemory;
import org.kvmdp.nativeio.EventFd;
import org.kvmdp.uffd.RegisterMode;
import org.kvmdp.uffd.Userfaultfd;

/** Every handle the host can create gives its fd back on close. */
class FdLeakHostTest {
    @Test
    void handlesCloseTheirFds() throws IOException {
        // Warm up class loading (jar and library fds) before counting.
        try (EventFd e = EventFd.create(); Userfaultfd u = Userfaultfd.open()) {
            assertThat(e.fd()).isNotEqualTo(u.fd());
        }
        long before = openFds();
        for (int i = 0; i < 20; i++) {
            try (GuestMemory shmem = GuestMemory.allocate(Backing.SHMEM, 1L << 20);
                    GuestMemory anon = GuestMemory.allocate(Backing.ANONYMOUS, 1L << 20);
                    Userfaultfd uffd = Userfaultfd.open();
                    EventFd eventFd = EventFd.create()) {
                uffd.register(anon.address(), anon.size(), RegisterMode.MISSING);
                eventFd.signal(1);
                assertThat(shmem.memfd()).isNotNegative();
            }
        }
        assertThat(openFds()).isEqualTo(before);
    }

    static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
