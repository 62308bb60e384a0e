// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.kvm.VcpuExit;
import org.kvmdp.memory.Backing;

/**
 * Guest faults on non-present pages (touch_pages over memory that is all non-present): one
 * KVM_EXIT_MEMORY_FAULT with KVM_MEMORY_EXIT_FLAG_NOT_PRESENT per 4 KiB page, whatever the
 * backing's page size; the vCPU thread installs the page and marks it present, and the guest
 * sees exactly what the host installed (read) or the host sees what the guest wrote (write).
 */
class DemandPagingTouchTest {
    static final long PAGE = 4096;
    static final long SEED = 0x646d616e64L;
    static final long SIZE = 4L << 20; // two 2 MiB pages on huge backings
    static final Duration TIMEOUT = Duration.ofMinutes(3);

    static Stream<Arguments> backingsVcpusAndModes() {
        return Stream.of(Backing.ANONYMOUS, Backing.THP, Backing.SHMEM, Backing.HUGETLB_2M)
                .flatMap(b -> Stream.of(1, 2).flatMap(n -> Stream.of("read", "write")
                        .map(m -> Arguments.of(b, n, m))));
    }

    @ParameterizedTest(name = "{0}, {1} vCPU(s), {2} [{index}]")
    @MethodSource("backingsVcpusAndModes")
    void everyPageExitsOnceAndHoldsWhatWasInstalled(Backing backing, int vcpus, String mode) {
        boolean write = mode.equals("write");
        assumeTrue(backing.unavailabilityReason(SIZE).isEmpty(),
                () -> backing + " unavailable: " + backing.unavailabilityReason(SIZE).get());
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(backing, SIZE);
            DemandPaging dp = DemandPaging.of(guest.vm());
            assumeTrue(dp.isSupported(), "kernel without KVM_CAP_DEMAND_PAGING");
            dp.enable();
            dp.markNonPresent(region.gpa(), SIZE);
            long presentBefore = guest.vm().getStats().value(DemandPaging.STAT_PAGES_MARKED_PRESENT);
            Map<Long, Integer> exits = new ConcurrentHashMap<>();
            Map<Integer, AtomicInteger> exitsPerVcpu = new ConcurrentHashMap<>();
            long before = System.nanoTime();
            TouchPages.Result result = TouchPages.run(guest, region,
                    new TouchPages.Params(vcpus, write, PAGE, SEED, 0, TIMEOUT),
                    (vcpu, fault) -> {
                        assertNotPresentFault(fault, region);
                        exits.merge(fault.gpa(), 1, Integer::sum);
                        exitsPerVcpu.computeIfAbsent(vcpu.id(), id -> new AtomicInteger())
                                .incrementAndGet();
                        if (!write) { // the page "arrives": only now does it hold the data
                            long offset = region.offsetOf(fault.gpa());
                            region.memory().putLong(offset,
                                    TouchPages.expectedValue(fault.gpa(), SEED));
                        }
                        dp.markPresent(fault.gpa(), fault.size());
                    });
            assertThat(result.elapsedNanos()).as("elapsed time of the run")
                    .isPositive().isLessThanOrEqualTo(System.nanoTime() - before);
            long pages = SIZE / PAGE;
            assertThat(exits).as("pages that exited").hasSize((int) pages);
            assertThat(exits.values()).as("exits per page").containsOnly(1);
            assertThat(result.touched()).isEqualTo(pages);
            assertThat(result.mismatches()).as("pages where the guest saw another value").isZero();
            assertThat(TouchPages.countMismatches(region, PAGE, SEED)).isZero();
            assertThat(dp.presentBitmap(region.slot(), SIZE).nonPresentCount()).isZero();
            for (Vcpu vcpu : guest.vcpus().values()) {
                int seen = exitsPerVcpu.getOrDefault(vcpu.id(), new AtomicInteger()).get();
                assertThat(vcpu.getStats().value(DemandPaging.STAT_VCPU_EXITS))
                        .as("demand_paging_exits of vCPU " + vcpu.id()).isEqualTo(seen);
            }
            assertThat(guest.vm().getStats().value(DemandPaging.STAT_PAGES_MARKED_PRESENT)
                    - presentBefore).isEqualTo(pages);
        }
    }

    @Test
    void resumingWithoutMarkingExitsAgainForTheSamePage() {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, 2L << 20);
            DemandPaging dp = DemandPaging.of(guest.vm());
            assumeTrue(dp.isSupported(), "kernel without KVM_CAP_DEMAND_PAGING");
            dp.enable();
            dp.markNonPresent(region.gpa() + 5 * PAGE, PAGE);
            Vcpu vcpu = guest.prepareVcpu(0, region.gpa(), region.size(), PAGE,
                    org.kvmdp.guest.GuestAbi.TOUCH_WRITE, SEED, 0);
            VcpuExit first = vcpu.run();
            VcpuExit second = vcpu.run();
            assertThat(first).isInstanceOfSatisfying(VcpuExit.MemoryFault.class,
                    f -> assertNotPresentFault(f, region));
            assertThat(second).isEqualTo(first);
            assertThat(((VcpuExit.MemoryFault) first).gpa()).isEqualTo(region.gpa() + 5 * PAGE);
            assertThat(vcpu.getStats().value(DemandPaging.STAT_VCPU_EXITS)).isEqualTo(2);
        }
    }

    /** Disabling while vCPUs sit on unserved exits: they then finish without another exit. */
    @Test
    void disableWhileVcpusAreFaultingLetsThemFinish() throws Exception {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, 2L << 20);
            DemandPaging dp = DemandPaging.of(guest.vm());
            assumeTrue(dp.isSupported(), "kernel without KVM_CAP_DEMAND_PAGING");
            dp.enable();
            dp.markNonPresent(region.gpa(), region.size());
            CountDownLatch bothFaulted = new CountDownLatch(2);
            CountDownLatch disabled = new CountDownLatch(1);
            Map<Integer, Integer> faults = new ConcurrentHashMap<>();
            CompletableFuture<TouchPages.Result> run = CompletableFuture.supplyAsync(
                    () -> TouchPages.run(guest, region,
                            new TouchPages.Params(2, true, PAGE, SEED, 0, TIMEOUT),
                            (vcpu, fault) -> {
                                assertNotPresentFault(fault, region);
                                if (faults.merge(vcpu.id(), 1, Integer::sum) > 1) {
                                    throw new AssertionError("vCPU " + vcpu.id()
                                            + " exited again after disable: " + fault);
                                }
                                bothFaulted.countDown();
                                await(disabled); // unserved: no page is marked present
                            }));
            assertThat(bothFaulted.await(2, TimeUnit.MINUTES)).as("both vCPUs exited").isTrue();
            dp.disable();
            disabled.countDown();
            TouchPages.Result result = run.get(3, TimeUnit.MINUTES);
            assertThat(faults).containsOnly(Map.entry(0, 1), Map.entry(1, 1));
            assertThat(result.touched()).isEqualTo(region.size() / PAGE);
            assertThat(TouchPages.countMismatches(region, PAGE, SEED)).isZero();
        }
    }

    static void assertNotPresentFault(VcpuExit.MemoryFault fault, MemoryRegion region) {
        assertThat(fault.isNotPresent()).as("NOT_PRESENT flag of " + fault).isTrue();
        assertThat(fault.isPrivate()).isFalse();
        assertThat(fault.size()).as("size of " + fault).isEqualTo(PAGE);
        assertThat(fault.gpa() % PAGE).isZero();
        assertThat(fault.gpa()).isBetween(region.gpa(), region.endGpa() - PAGE);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(2, TimeUnit.MINUTES)) {
                throw new AssertionError("timed out waiting for the test thread");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
