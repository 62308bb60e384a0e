// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.memory.Backing;

/**
 * Huge-page policy on hugetlb 2 MiB backing, seen through the VM stat pages_2m: a 2 MiB range
 * with a non-present page is mapped with small pages only; once KVM_MARK_PRESENT completes the
 * range, the next touch maps it 2 MiB again (collapse).
 */
class DemandPagingHugePageTest {
    private static final long PAGE = 4096;
    private static final long HUGE = 2L << 20;
    private static final long HOLE = 5 * PAGE;

    @Test
    void aRangeWithANonPresentPageIsNotMappedHugeUntilCompleted() {
        long size = 2 * HUGE;
        assumeTrue(Backing.HUGETLB_2M.unavailabilityReason(size).isEmpty(),
                () -> Backing.HUGETLB_2M.unavailabilityReason(size).get());
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(Backing.HUGETLB_2M, size);
            DemandPaging dp = DemandPaging.of(guest.vm());
            assumeTrue(dp.isSupported(), "kernel without KVM_CAP_DEMAND_PAGING");
            dp.enable();
            TouchPages.Params params = new TouchPages.Params(1, true, PAGE, 1, 0,
                    Duration.ofMinutes(2));
            // Warm-up on the second huge page (fully present): maps the system slot too.
            TouchPages.run(guest, region, HUGE, HUGE, params, TouchPagesNoFaults.INSTANCE);
            long base2m = pages2m(guest);
            assertThat(base2m).as("the fully present huge page is mapped 2M").isPositive();

            dp.markNonPresent(region.gpa() + HOLE, PAGE);
            TouchPages.run(guest, region, HOLE + PAGE, HUGE - HOLE - PAGE, params,
                    TouchPagesNoFaults.INSTANCE);
            long small4k = pages4k(guest);
            assertThat(pages2m(guest)).as("pages_2m after touching around the hole").isEqualTo(base2m);

            dp.markPresent(region.gpa() + HOLE, PAGE);
            TouchPages.run(guest, region, 0, HUGE, params, TouchPagesNoFaults.INSTANCE);
            assertThat(pages2m(guest)).as("pages_2m after completing the range").isEqualTo(base2m + 1);
            assertThat(pages4k(guest)).as("the small mappings were zapped").isLessThan(small4k);
        }
    }

    private static long pages2m(GuestVm guest) {
        return guest.vm().getStats().value("pages_2m");
    }

    private static long pages4k(GuestVm guest) {
        return guest.vm().getStats().value("pages_4k");
    }

    /** Any memory fault fails the run: the touched ranges are all present. */
    enum TouchPagesNoFaults implements TouchPages.MemoryFaultHandler {
        INSTANCE;

        @Override
        public void handle(org.kvmdp.kvm.Vcpu vcpu, org.kvmdp.kvm.VcpuExit.MemoryFault fault) {
            throw new AssertionError("unexpected " + fault);
        }
    }
}
