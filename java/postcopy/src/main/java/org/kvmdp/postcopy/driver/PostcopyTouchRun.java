// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.postcopy.ChecksumMismatchException;
import org.kvmdp.postcopy.LatencySummary;
import org.kvmdp.postcopy.Mechanism;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.PostcopyOptions;

/**
 * One post-copy migration of a touch_pages guest: the region's pages come from a
 * {@link PageSource} while the guest touches every page, with faults caught by KVM demand
 * paging, userfaultfd MISSING or userfaultfd MINOR; or, as the baseline, every page copied in
 * before the guest runs (Mechanism.NONE). Shared by the VM test and {@code kvmdp bench}.
 */
public final class PostcopyTouchRun {
    /**
     * What to run; the sweep starts once {@code demandBeforeSweep} pages were demand-fetched
     * ({@link PostcopyDestination#SWEEP_NEVER}: every page is demand-fetched);
     * {@code kvm} as in {@link FaultPaths#open(Mechanism, GuestVm, MemoryRegion, int,
     * KvmOptions)}.
     */
    public record Params(TouchPages.Params touch, PostcopyOptions options,
            long demandBeforeSweep, Duration completionTimeout, KvmOptions kvm) {
        /** With {@link KvmOptions#DEFAULT}, as {@code kvmdp migrate} runs. */
        public Params(TouchPages.Params touch, PostcopyOptions options, long demandBeforeSweep,
                Duration completionTimeout) {
            this(touch, options, demandBeforeSweep, completionTimeout, KvmOptions.DEFAULT);
        }

        public Params {
            Objects.requireNonNull(touch, "touch");
            Objects.requireNonNull(options, "options");
            Objects.requireNonNull(completionTimeout, "completionTimeout");
            Objects.requireNonNull(kvm, "kvm");
            if (demandBeforeSweep < 0) {
                throw new IllegalArgumentException("demandBeforeSweep must be >= 0");
            }
        }
    }

    /**
     * The outcome: the guest's own result, the engine's report (checksums already verified),
     * pages installed other than once, the fault events the driver served, the pages
     * copied in before the guest ran (all of them for Mechanism.NONE, else 0), and the guest
     * stall per fault event: KVM, the vCPU thread's time from the exit to the next KVM_RUN
     * (serving it); userfaultfd, the handler's time from reading the event to waking the vCPU
     * (a lower bound: the kernel's delivery is not in it); none, nothing.
     */
    public record Result(TouchPages.Result guest, MigrationReport report, long notInstalledOnce,
            long faultEvents, long prefilledPages, LatencySummary guestStall) {
        /** Bytes demand-fetched per fault event (a whole huge page on uffd hugetlb). */
        public long bytesPerFault() {
            return faultEvents == 0 ? 0 : report.pagesDemandFetched() * Pages.SIZE / faultEvents;
        }

        /** Pages each vCPU touched per second of its own run, in vCPU order. */
        public List<Double> pagesPerSecondPerVcpu() {
            return guest.vcpus().stream()
                    .map(v -> v.touched() * 1e9 / Math.max(v.elapsedNanos(), 1))
                    .collect(Collectors.toList());
        }
    }

    private PostcopyTouchRun() {}

    /**
     * The image touch_pages (read mode) expects for {@code region}: random bytes with the
     * checked word, gpa XOR seed, at every {@code stride}.
     */
    public static ByteBuffer imageFor(MemoryRegion region, long stride, long seed) {
        if (region.size() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("region too large for an in-memory image");
        }
        byte[] bytes = new byte[(int) region.size()];
        new Random(seed).nextBytes(bytes);
        ByteBuffer image = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (long offset = 0; offset < region.size(); offset += stride) {
            image.putLong((int) offset, TouchPages.expectedValue(region.gpa() + offset, seed));
        }
        return image.order(ByteOrder.BIG_ENDIAN);
    }

    /**
     * Runs the guest over {@code region} with {@code mechanism}; {@code region}'s memory must
     * never have been touched (MINOR needs shmem or hugetlb).
     */
    public static Result run(Mechanism mechanism, GuestVm guest, MemoryRegion region,
            PageSource source, Params params) {
        if (mechanism == Mechanism.NONE) {
            return none(guest, region, source, params);
        }
        try (FaultPath path = FaultPaths.open(mechanism, guest, region, params.touch().vcpus(),
                params.kvm());
                PostcopyDestination destination = destination(source, path.installer(), params)) {
            path.attach(destination);
            TouchPages.MemoryFaultHandler served = path.faultHandler();
            Histogram[] exitStalls = new Histogram[params.touch().vcpus()];
            for (int i = 0; i < exitStalls.length; i++) {
                exitStalls[i] = new Histogram(3);
            }
            // Each vCPU records into its own histogram: no sharing on the fault path.
            TouchPages.Result result = runGuest(guest, region, destination, params, (vcpu, f) -> {
                long start = System.nanoTime();
                served.handle(vcpu, f);
                exitStalls[vcpu.id()].recordValue(System.nanoTime() - start);
            });
            MigrationReport report = path.awaitCompletion(params.completionTimeout());
            path.failure().ifPresent(e -> {
                throw new IllegalStateException(mechanism.label() + ": the fault-handling thread"
                        + " failed", e);
            });
            // The vCPU threads have ended (TouchPages joined them): their histograms are final.
            Histogram stalls = new Histogram(3);
            for (Histogram h : exitStalls) {
                stalls.add(h);
            }
            LatencySummary guestStall = stalls.getTotalCount() > 0 ? LatencySummary.of(stalls)
                    : path.handlerStalls();
            return new Result(result, report, path.pagesNotInstalledExactlyOnce(),
                    path.faultEvents(), 0, guestStall);
        }
    }

    /**
     * The baseline without demand paging: every page of {@code source} is copied into the
     * region before the guest runs, then the guest touches its pages without a single fault
     * exit. The report counts no demand-fetched or swept pages (everything was prefilled) and
     * its elapsed time is the copy's; the pages are checked against the source's checksums
     * after the guest ran, as the engine does.
     */
    static Result none(GuestVm guest, MemoryRegion region, PageSource source,
            Params params) {
        long pages = Pages.count(region.size());
        if (source.pageCount() != pages) {
            throw new IllegalArgumentException("source image has " + source.pageCount()
                    + " pages, the region " + pages);
        }
        PrefillCopy copy = PrefillCopy.run(source, region);
        TouchPages.Result result = TouchPages.run(guest, region, params.touch());
        List<Long> differ = copy.checksumsOfRegion().mismatches(source.checksums());
        if (!differ.isEmpty()) {
            throw new ChecksumMismatchException(differ, pages);
        }
        MigrationReport report = new MigrationReport(pages, 0, 0, region.size(), 0, Map.of(),
                new LatencySummary(0, 0, 0, 0, 0), copy.elapsed());
        return new Result(result, report, copy.pagesNotInstalledExactlyOnce(), 0, pages,
                new LatencySummary(0, 0, 0, 0, 0));
    }

    private static PostcopyDestination destination(PageSource source, PageInstaller installer,
            Params params) {
        return new PostcopyDestination(source, new PageTracker(source.pageCount()), installer,
                params.options(), null);
    }

    private static TouchPages.Result runGuest(GuestVm guest, MemoryRegion region,
            PostcopyDestination destination, Params params, TouchPages.MemoryFaultHandler faults) {
        destination.startAfterDemand(params.demandBeforeSweep());
        return TouchPages.run(guest, region, params.touch(), faults);
    }
}
