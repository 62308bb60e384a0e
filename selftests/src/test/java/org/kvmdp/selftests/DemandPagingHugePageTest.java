// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.kvm.VcpuExit;
import org.kvmdp.memory.Backing;

/**
 * Huge-page policy, seen through the VM stats pages_4k / pages_2m / pages_1g: a huge range with
 * a non-present page is mapped with small pages only, and once KVM_MARK_PRESENT completes the
 * range the next touch maps it huge again (collapse), for hugetlb 2 MiB and transparent huge
 * pages; and a hugetlb 1 GiB backing is fetched 4 KiB per first touch, not 1 GiB.
 */
class DemandPagingHugePageTest {
    private static final long PAGE = 4096;
    private static final long HUGE = 2L << 20;
    private static final long GIGA = 1L << 30;
    private static final long HOLE = 5 * PAGE;
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Backing.class, names = {"HUGETLB_2M", "THP"})
    void aRangeWithANonPresentPageIsNotMappedHugeUntilCompleted(Backing backing) {
        long size = 2 * HUGE;
        assumeTrue(backing.unavailabilityReason(size).isEmpty(),
                () -> backing.unavailabilityReason(size).get());
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(backing, size);
            DemandPaging dp = DemandPaging.of(guest.vm());
            assumeTrue(dp.isSupported(), "kernel without KVM_CAP_DEMAND_PAGING");
            dp.enable();
            TouchPages.Params params = new TouchPages.Params(1, true, PAGE, 1, 0, TIMEOUT);
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

    /**
     * A 1 GiB hugetlb page, all of it non-present: each first touch exits for its own 4 KiB
     * page and fetches 4 KiB (userfaultfd would have to fill the whole 1 GiB page); nothing is
     * mapped 1G while pages are missing, and once the range is complete it is.
     */
    @Test
    void hugetlb1gIsFetched4KibPerFirstTouchAndMapped1gOnceComplete() {
        assumeTrue(Backing.HUGETLB_1G.unavailabilityReason(GIGA).isEmpty(),
                () -> Backing.HUGETLB_1G.unavailabilityReason(GIGA).get());
        long stride = 128L << 20;
        long seed = 7;
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(Backing.HUGETLB_1G, GIGA);
            DemandPaging dp = DemandPaging.of(guest.vm());
            assumeTrue(dp.isSupported(), "kernel without KVM_CAP_DEMAND_PAGING");
            dp.enable();
            dp.markNonPresent(region.gpa(), GIGA);
            List<VcpuExit.MemoryFault> faults = Collections.synchronizedList(new ArrayList<>());
            TouchPages.Params params = new TouchPages.Params(1, false, stride, seed, 0, TIMEOUT);

            TouchPages.Result first = TouchPages.run(guest, region, params, (vcpu, fault) -> {
                faults.add(fault);
                long offset = fault.gpa() - region.gpa();
                // The page "arrives": only its 4 KiB, then it is marked present.
                region.memory().putLong(offset, TouchPages.expectedValue(fault.gpa(), seed));
                dp.markPresent(fault.gpa(), fault.size());
            });

            assertThat(first.mismatches()).isZero();
            assertThat(faults).as("one exit per first touch").hasSize((int) (GIGA / stride));
            assertThat(faults).allSatisfy(f -> {
                assertThat(f.size()).as("bytes fetched per first touch").isEqualTo(PAGE);
                assertThat((f.gpa() - region.gpa()) % stride).isZero();
            });
            assertThat(pages1g(guest)).as("pages_1g while pages are missing").isZero();

            dp.markPresent(region.gpa(), GIGA);
            TouchPages.Result second = TouchPages.run(guest, region, params,
                    TouchPagesNoFaults.INSTANCE);
            assertThat(second.mismatches()).isZero();
            assertThat(pages1g(guest)).as("pages_1g once the range is complete").isEqualTo(1);
        }
    }

    private static long pages1g(GuestVm guest) {
        return guest.vm().getStats().value("pages_1g");
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
