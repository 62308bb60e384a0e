// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.memory.Backing;
import org.kvmdp.memory.GuestMemory;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.uffd.RegisterMode;
import org.kvmdp.uffd.UffdEvent;
import org.kvmdp.uffd.Userfaultfd;

/**
 * Post-copy in miniature: the guest's first touches of its memory fault through KVM into
 * userfaultfd (MISSING), a Java thread installs each page with UFFDIO_COPY, and the guest
 * then reads exactly what the handler put there.
 */
class UserfaultfdGuestTest {
    private static final long PAGE = 4096;
    private static final long SEED = 0xfa017L;

    @ParameterizedTest(name = "{0} vCPU(s)")
    @ValueSource(ints = {1, 2})
    void missingFaultsAreServedFromJavaWhileTheGuestRuns(int vcpus) throws Exception {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES);
                Userfaultfd uffd = Userfaultfd.open();
                GuestMemory source = GuestMemory.allocate(Backing.ANONYMOUS, PAGE)) {
            MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, 8L << 20);
            long base = region.memory().address();
            uffd.register(base, region.size(), RegisterMode.MISSING);

            Map<Long, Integer> faults = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread handler = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        Optional<UffdEvent> event = uffd.readEvent(50);
                        if (event.isEmpty()) {
                            continue;
                        }
                        long page = ((UffdEvent.PageFault) event.get()).pageAddress(PAGE);
                        faults.merge(page, 1, Integer::sum);
                        long gpa = region.gpa() + (page - base);
                        source.putLong(0, TouchPages.expectedValue(gpa, SEED));
                        long rc = uffd.copyRaw(page, source.address(), PAGE, true);
                        // EEXIST: another vCPU's fault on this page was resolved first.
                        if (rc < 0 && rc != -Errno.EEXIST.code()) {
                            throw new IllegalStateException("UFFDIO_COPY failed: "
                                    + Errno.describe((int) -rc));
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                    uffd.close(); // unblocks the vCPUs so the test fails instead of hanging
                }
            }, "uffd-handler");
            handler.start();
            TouchPages.Result result;
            try {
                result = TouchPages.run(guest, region, new TouchPages.Params(vcpus, false, PAGE,
                        SEED, 0, Duration.ofMinutes(2)));
            } finally {
                stop.set(true);
                handler.join(10_000);
            }
            assertThat(failure.get()).isNull();
            long pages = region.size() / PAGE;
            assertThat(result.touched()).isEqualTo(pages);
            assertThat(result.mismatches()).as("pages the guest read wrong").isZero();
            assertThat(faults).as("faulted pages").hasSize((int) pages);
            assertThat(faults.values()).as("faults per page").containsOnly(1);
        }
    }
}
