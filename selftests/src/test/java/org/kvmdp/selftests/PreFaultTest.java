// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.kvm.KvmException;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.memory.Backing;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.postcopy.Mechanism;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.PostcopyOptions;
import org.kvmdp.postcopy.driver.KvmOptions;
import org.kvmdp.postcopy.driver.PostcopyTouchRun;

/**
 * KVM_PRE_FAULT_MEMORY ({@link Vcpu#preFault}) with KVM demand paging: it maps present pages
 * only, and the engine's KVM fault path uses it so that a served page costs the guest one fault
 * into KVM instead of two (the not-present exit, then the retry that maps the page).
 */
class PreFaultTest {
    static final long PAGE = Pages.SIZE;
    static final long SEED = 0x7072656661756cL;
    static final long SIZE = 2L << 20;
    static final Duration TIMEOUT = Duration.ofMinutes(3);

    @Test
    void mapsPresentPagesOnlyAndRefusesBadRanges() {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            DemandPaging dp = DemandPaging.of(guest.vm());
            assumeTrue(dp.isSupported(), "kernel without KVM_CAP_DEMAND_PAGING");
            MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, SIZE);
            Vcpu vcpu = guest.prepareVcpu(0);
            dp.enable();
            long page = region.gpa() + 5 * PAGE;
            if (PagingMode.current() == PagingMode.SHADOW) {
                // Shadow paging indexes by guest virtual address: nothing to map by gpa.
                assertThat(vcpu.preFault(page, PAGE)).isEqualTo(Vcpu.PreFault.UNSUPPORTED);
                return;
            }
            assertThat(vcpu.preFault(page, PAGE)).as("a present page")
                    .isEqualTo(Vcpu.PreFault.MAPPED);

            dp.markNonPresent(region.gpa(), SIZE);
            assertThat(vcpu.preFault(page, PAGE)).as("a non-present page")
                    .isEqualTo(Vcpu.PreFault.NOT_MAPPED);
            assertThat(dp.presentBitmap(region.slot(), SIZE).isPresent(5))
                    .as("pre-faulting marks nothing present").isFalse();

            assertThatThrownBy(() -> vcpu.preFault(page + 1, PAGE))
                    .isInstanceOfSatisfying(KvmException.class,
                            e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL.code()))
                    .hasMessageContaining("KVM_PRE_FAULT_MEMORY");
            assertThatThrownBy(() -> vcpu.preFault(page, 0))
                    .isInstanceOfSatisfying(KvmException.class,
                            e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL.code()));

            // The guest still exits on every page: the failed pre-fault mapped none of them.
            List<Long> exits = new ArrayList<>();
            TouchPages.Result result = TouchPages.run(guest, region,
                    new TouchPages.Params(1, true, PAGE, SEED, 0, TIMEOUT), (v, fault) -> {
                        exits.add(fault.gpa());
                        dp.markPresent(fault.gpa(), fault.size());
                    });
            assertThat(result.touched()).isEqualTo(SIZE / PAGE);
            assertThat(exits).as("not-present exits").hasSize((int) (SIZE / PAGE))
                    .contains(page);
        }
    }

    /**
     * The vCPU's pf_taken statistic counts the guest's faults into KVM. Served without
     * pre-faulting, each page faults twice (the not-present exit, then the retry that maps it);
     * with it, once. Both runs touch the same pages, so the difference is one fault per page;
     * if the path did not pre-fault, it would be about zero. With shadow paging KVM refuses to
     * pre-fault, and the path must serve every page without it.
     */
    @ParameterizedTest(name = "{0} vCPU(s)")
    @ValueSource(ints = {1, 2})
    void engineKvmPathSavesOneGuestFaultPerPage(int vcpus) {
        if (PagingMode.current() == PagingMode.SHADOW) {
            guestFaults(vcpus, true); // checks every page, and that each was fetched on demand
            return;
        }
        long without = guestFaults(vcpus, false);
        long with = guestFaults(vcpus, true);
        long pages = SIZE / PAGE;
        System.out.printf("pf_taken over %d pages, %d vCPU(s): %d without pre-fault, %d with%n",
                pages, vcpus, without, with);
        assertThat(without - with).as("guest faults saved by pre-faulting")
                .isGreaterThanOrEqualTo(pages * 9 / 10);
    }

    /** pf_taken summed over the vCPUs after the engine served every page of SIZE. */
    private static long guestFaults(int vcpus, boolean preFault) {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            assumeTrue(DemandPaging.of(guest.vm()).isSupported(),
                    "kernel without KVM_CAP_DEMAND_PAGING");
            MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, SIZE);
            PostcopyTouchRun.Params params = new PostcopyTouchRun.Params(
                    new TouchPages.Params(vcpus, false, PAGE, SEED, 0, TIMEOUT),
                    PostcopyOptions.defaults().withPageTimeout(Duration.ofMinutes(1)),
                    PostcopyDestination.SWEEP_NEVER, TIMEOUT, new KvmOptions(preFault, false));
            PostcopyTouchRun.Result outcome = PostcopyTouchRun.run(Mechanism.KVM, guest, region,
                    MemoryPageSource.wrap(PostcopyTouchRun.imageFor(region, PAGE, SEED)), params);
            assertThat(outcome.guest().mismatches()).as("pages the guest read wrong").isZero();
            assertThat(outcome.report().pagesDemandFetched()).isEqualTo(SIZE / PAGE);
            return guest.vcpus().values().stream()
                    .mapToLong(v -> v.getStats().value("pf_taken")).sum();
        }
    }
}
