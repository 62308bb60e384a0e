// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.memory.Backing;

/**
 * KVM_MARK_NON_PRESENT after the guest has mapped the pages: the next guest access must exit
 * again, which proves KVM zapped its mapping (4 KiB SPTEs, and a 2 MiB one on hugetlb). Must
 * hold with TDP and with shadow paging: run-vm-suite.sh --shadow-paging runs this class again
 * on a boot with kvm_amd.npt=0; the mode is part of each test's name.
 */
class DemandPagingZapTest {
    private static final long PAGE = 4096;
    private static final long SIZE = 4L << 20;
    private static final long SEED = 0x7a6170L;
    private static final Set<Long> ZAPPED = Set.of(3L, 100L, 511L, 512L, 1023L);

    static Stream<Arguments> modesAndBackings() {
        PagingMode mode = PagingMode.current();
        return Stream.of(Backing.ANONYMOUS, Backing.HUGETLB_2M).map(b -> Arguments.of(mode, b));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("modesAndBackings")
    void nonPresentAfterMappingExitsAgain(PagingMode mode, Backing backing) {
        assumeTrue(backing.unavailabilityReason(SIZE).isEmpty(),
                () -> backing + " unavailable: " + backing.unavailabilityReason(SIZE).get());
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(backing, SIZE);
            DemandPaging dp = DemandPaging.of(guest.vm());
            assumeTrue(dp.isSupported(), "kernel without KVM_CAP_DEMAND_PAGING");
            dp.enable();
            TouchPages.Params write = new TouchPages.Params(1, true, PAGE, SEED, 0,
                    Duration.ofMinutes(2));
            TouchPages.run(guest, region, write); // every page mapped; no exits allowed
            for (long page : ZAPPED) {
                dp.markNonPresent(region.gpa() + page * PAGE, PAGE);
                region.memory().putLong(page * PAGE, 0); // stale if the guest still sees it
            }
            Map<Long, Integer> exits = new ConcurrentHashMap<>();
            TouchPages.Result read = TouchPages.run(guest, region,
                    new TouchPages.Params(1, false, PAGE, SEED, 0, Duration.ofMinutes(2)),
                    (vcpu, fault) -> {
                        DemandPagingTouchTest.assertNotPresentFault(fault, region);
                        exits.merge((fault.gpa() - region.gpa()) / PAGE, 1, Integer::sum);
                        region.memory().putLong(region.offsetOf(fault.gpa()),
                                TouchPages.expectedValue(fault.gpa(), SEED));
                        dp.markPresent(fault.gpa(), PAGE);
                    });
            assertThat(exits).as(mode + ": pages that exited after KVM_MARK_NON_PRESENT")
                    .containsOnlyKeys(ZAPPED).allSatisfy((page, n) -> assertThat(n).isEqualTo(1));
            assertThat(read.mismatches()).as("pages where the guest read stale data").isZero();
        }
    }
}
