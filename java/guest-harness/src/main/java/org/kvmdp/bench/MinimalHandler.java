// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.NativeMemory;
import org.kvmdp.uffd.RegisterMode;
import org.kvmdp.uffd.UffdEvent;
import org.kvmdp.uffd.UffdFeatures;
import org.kvmdp.uffd.Userfaultfd;

/**
 * The smallest fault handlers that serve a touch_pages guest from a source in native memory,
 * the yardstick for the post-copy engine ({@code kvmdp bench --engine minimal}) and the body of
 * {@link DemandPagingBench}. KVM demand paging: each vCPU thread serves its own exits (copy the
 * 4 KiB page from the source into the guest mapping, one KVM_MARK_PRESENT, and with
 * pre-faulting one KVM_PRE_FAULT_MEMORY so the guest's retry does not fault again). userfaultfd
 * MISSING: one handler thread reads fault events and serves each with UFFDIO_COPY (a whole huge
 * page on hugetlb). No tracker, no checksums, no statistics beyond one latency per fault.
 * Optionally every fetch crosses a {@link Wire} first, as the engine's sources do in bench.
 *
 * <p>Bookkeeping stays off the shared path: latencies go into a preallocated array per thread
 * (a vCPU or the handler) and installs into a per-page counter that only one thread writes
 * (each vCPU faults only on its own slice; the uffd handler is alone).
 */
public final class MinimalHandler {
    private static final long PAGE = 4096;

    private MinimalHandler() {}

    /**
     * One run: the guest's result, the fault events served, the bytes copied, installs that
     * were not exactly one per install unit, and each fault's latency in nanoseconds (KVM: from
     * the exit reaching the handler to KVM_MARK_PRESENT returning; userfaultfd: from reading the
     * event to UFFDIO_COPY returning).
     */
    public record Run(TouchPages.Result guest, long faults, long bytesFetched,
            long notInstalledOnce, long[] latencyNanos) {
        public Run {
            Objects.requireNonNull(guest, "guest");
            Objects.requireNonNull(latencyNanos, "latencyNanos");
        }
    }

    /**
     * KVM demand paging over {@code region} (never touched), pages copied from native memory at
     * {@code source} (the region's image, offset for offset).
     */
    public static Run kvm(GuestVm guest, MemoryRegion region, long source,
            TouchPages.Params params) {
        return kvm(guest, region, source, params, Wire.NONE.link(), true, false);
    }

    /**
     * As {@link #kvm(GuestVm, MemoryRegion, long, TouchPages.Params)} with every page crossing
     * {@code wire} first: the vCPU thread books the 4 KiB on the link, copies, sleeps until the
     * page would have arrived, then marks it present; and then, if {@code preFault}, maps it
     * with KVM_PRE_FAULT_MEMORY (until KVM first refuses: shadow paging cannot). With
     * {@code preallocate} the region's memory is allocated once it is non-present, before the
     * guest runs, as the engine's KVM path does with the same option.
     */
    public static Run kvm(GuestVm guest, MemoryRegion region, long source,
            TouchPages.Params params, Wire.Link wire, boolean preFault, boolean preallocate) {
        long size = region.size();
        DemandPaging dp = DemandPaging.of(guest.vm());
        dp.enable();
        dp.markNonPresent(region.gpa(), size);
        if (preallocate) {
            region.memory().populate();
        }
        int pages = Math.toIntExact(size / PAGE);
        byte[] installs = new byte[pages];
        // Each vCPU touches only its own slice, so it faults about once per page of it; a
        // fault beyond that (never expected) is counted but its latency is not kept.
        int perVcpu = pages / params.vcpus();
        long[][] latencies = new long[params.vcpus()][perVcpu];
        int[] counts = new int[params.vcpus()];
        long[] faultsPerVcpu = new long[params.vcpus()];
        long dst = region.memory().address();
        long gpa = region.gpa();
        boolean[] preFaulting = new boolean[params.vcpus()];
        Arrays.fill(preFaulting, preFault);
        TouchPages.Result r = TouchPages.run(guest, region, params, (vcpu, fault) -> {
            long start = System.nanoTime();
            long arrival = wire.reserve(PAGE);
            long offset = fault.gpa() - gpa;
            NativeMemory.copy(source + offset, dst + offset, PAGE);
            wire.await(arrival);
            dp.markPresent(fault.gpa(), PAGE);
            int v = vcpu.id();
            if (preFaulting[v] && vcpu.preFault(fault.gpa(), PAGE) == Vcpu.PreFault.UNSUPPORTED) {
                preFaulting[v] = false;
            }
            long nanos = System.nanoTime() - start;
            faultsPerVcpu[v]++;
            if (counts[v] < perVcpu) {
                latencies[v][counts[v]++] = nanos;
            }
            installs[(int) (offset / PAGE)]++;
        });
        // The vCPU threads have ended (TouchPages joined them): their plain writes are visible.
        long faults = 0;
        for (long f : faultsPerVcpu) {
            faults += f;
        }
        return new Run(r, faults, faults * PAGE, notOnce(installs), concat(latencies, counts));
    }

    /**
     * userfaultfd MISSING over {@code region} (never touched), one handler thread, pages (whole
     * huge pages on hugetlb) copied from native memory at {@code source}.
     */
    public static Run uffdMissing(GuestVm guest, MemoryRegion region, long source,
            TouchPages.Params params, Duration handlerJoin) {
        return uffdMissing(guest, region, source, params, handlerJoin, Wire.NONE.link());
    }

    /**
     * As {@link #uffdMissing(GuestVm, MemoryRegion, long, TouchPages.Params, Duration)} with
     * every fetch (a whole huge page on hugetlb) crossing {@code wire} before its UFFDIO_COPY.
     */
    public static Run uffdMissing(GuestVm guest, MemoryRegion region, long source,
            TouchPages.Params params, Duration handlerJoin, Wire.Link wire) {
        boolean huge = region.memory().backing().isHugetlb();
        long unit = huge ? region.memory().backing().pageSize() : PAGE;
        long size = region.size();
        int units = Math.toIntExact(size / unit);
        byte[] installs = new byte[units];
        long[] latencies = new long[units];
        int[] count = new int[1];
        long[] faults = new long[1];
        try (Userfaultfd uffd = Userfaultfd.open(huge ? UffdFeatures.MISSING_HUGETLBFS : 0)) {
            long base = region.memory().address();
            uffd.register(base, size, RegisterMode.MISSING);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread handler = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        Optional<UffdEvent> event = uffd.readEvent(20);
                        if (event.isEmpty()) {
                            continue;
                        }
                        long start = System.nanoTime();
                        long at = ((UffdEvent.PageFault) event.get()).pageAddress(unit);
                        wire.await(wire.reserve(unit));
                        long rc = uffd.copyRaw(at, source + (at - base), unit, true);
                        // EEXIST: a fault of the other vCPU on this page was served first.
                        if (rc < 0 && rc != -Errno.EEXIST.code()) {
                            throw new IllegalStateException("UFFDIO_COPY: "
                                    + Errno.describe((int) -rc));
                        }
                        long nanos = System.nanoTime() - start;
                        faults[0]++;
                        if (rc >= 0) {
                            installs[(int) ((at - base) / unit)]++;
                            if (count[0] < latencies.length) {
                                latencies[count[0]++] = nanos;
                            }
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                    uffd.close(); // unblocks the vCPUs: the run fails instead of hanging
                }
            }, "uffd-handler");
            handler.start();
            TouchPages.Result r;
            try {
                r = TouchPages.run(guest, region, params);
            } finally {
                stop.set(true);
                join(handler, handlerJoin);
            }
            if (failure.get() != null) {
                throw new IllegalStateException("uffd handler failed", failure.get());
            }
            // The handler thread has ended (joined): its plain writes are visible here.
            long[] served = new long[count[0]];
            System.arraycopy(latencies, 0, served, 0, served.length);
            return new Run(r, faults[0], count[0] * unit, notOnce(installs), served);
        }
    }

    private static long notOnce(byte[] installs) {
        long n = 0;
        for (byte b : installs) {
            if (b != 1) {
                n++;
            }
        }
        return n;
    }

    private static long[] concat(long[][] perThread, int[] counts) {
        int total = 0;
        for (int c : counts) {
            total += c;
        }
        long[] all = new long[total];
        int at = 0;
        for (int t = 0; t < perThread.length; t++) {
            System.arraycopy(perThread[t], 0, all, at, counts[t]);
            at += counts[t];
        }
        return all;
    }

    private static void join(Thread t, Duration limit) {
        try {
            t.join(Math.max(1, limit.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            throw new IllegalStateException(t.getName() + " did not stop within " + limit);
        }
    }
}
