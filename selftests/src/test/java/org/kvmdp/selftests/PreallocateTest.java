// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.Mechanism;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.PostcopyOptions;
import org.kvmdp.postcopy.driver.KvmOptions;
import org.kvmdp.postcopy.driver.PostcopyTouchRun;

/**
 * The engine's KVM path with preallocation ({@link KvmOptions#preallocate}): the region's
 * memory exists, zero-filled, before the guest runs, yet the guest must still exit on every page
 * (the present bitmap, not the page's absence, guards it) and read only served contents, never
 * a zero page the allocation made.
 */
class PreallocateTest {
    static final long PAGE = Pages.SIZE;
    static final long SEED = 0x7072656c6cL;
    static final long SIZE = 2L << 20;
    static final Duration TIMEOUT = Duration.ofMinutes(3);

    @ParameterizedTest(name = "{0}, {1} vCPU(s), reads {2}")
    @CsvSource({"ANONYMOUS, 1, true", "SHMEM, 2, true", "ANONYMOUS, 2, false"})
    void preallocatedMemoryIsStillServedPageByPage(Backing backing, int vcpus, boolean reads) {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            assumeTrue(DemandPaging.of(guest.vm()).isSupported(),
                    "kernel without KVM_CAP_DEMAND_PAGING");
            MemoryRegion region = guest.addMemory(backing, SIZE);
            PostcopyTouchRun.Params params = new PostcopyTouchRun.Params(
                    new TouchPages.Params(vcpus, !reads, PAGE, SEED, 0, TIMEOUT),
                    PostcopyOptions.defaults().withPageTimeout(Duration.ofMinutes(1)),
                    PostcopyDestination.SWEEP_NEVER, TIMEOUT, new KvmOptions(true, true));
            PostcopyTouchRun.Result outcome = PostcopyTouchRun.run(Mechanism.KVM, guest, region,
                    MemoryPageSource.wrap(PostcopyTouchRun.imageFor(region, PAGE, SEED)), params);
            long pages = SIZE / PAGE;
            assertThat(outcome.guest().touched()).isEqualTo(pages);
            assertThat(outcome.guest().mismatches()).as("pages the guest read wrong").isZero();
            assertThat(outcome.report().pagesDemandFetched()).as("pages fetched on demand")
                    .isEqualTo(pages);
            assertThat(outcome.faultEvents()).as("not-present exits").isGreaterThanOrEqualTo(pages);
            assertThat(outcome.notInstalledOnce()).as("pages installed other than once").isZero();
        }
    }
}
