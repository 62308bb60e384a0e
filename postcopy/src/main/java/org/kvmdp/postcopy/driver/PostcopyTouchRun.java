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
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.postcopy.ChecksumMismatchException;
import org.kvmdp.postcopy.LatencySummary;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.PostcopyOptions;
import org.kvmdp.postcopy.SweepStarter;
import org.kvmdp.uffd.Userfaultfd;

/**
 * One post-copy migration of a touch_pages guest: the region's pages come from a
 * {@link PageSource} while the guest touches every page, with faults caught by KVM demand
 * paging, userfaultfd MISSING or userfaultfd MINOR; or, as the baseline, every page copied in
 * before the guest runs ({@link #none}). Shared by the VM test and {@code kvmdp bench}.
 */
public final class PostcopyTouchRun {
    /**
     * What to run; the sweep starts once {@code demandBeforeSweep} pages were demand-fetched
     * ({@link SweepStarter#NEVER}: every page is demand-fetched).
     */
    public record Params(TouchPages.Params touch, PostcopyOptions options,
            long demandBeforeSweep, Duration completionTimeout) {
        public Params {
            Objects.requireNonNull(touch, "touch");
            Objects.requireNonNull(options, "options");
            Objects.requireNonNull(completionTimeout, "completionTimeout");
            if (demandBeforeSweep < 0) {
                throw new IllegalArgumentException("demandBeforeSweep must be >= 0");
            }
        }
    }

    /**
     * The outcome: the guest's own result, the engine's report (checksums already verified),
     * pages installed other than once, the fault events the driver served, and the pages
     * copied in before the guest ran (all of them for {@link #none}, else 0).
     */
    public record Result(TouchPages.Result guest, MigrationReport report, long notInstalledOnce,
            long faultEvents, long prefilledPages) {
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

    /** KVM demand paging; {@code region} must not have been run yet. */
    public static Result kvm(GuestVm guest, MemoryRegion region, PageSource source, Params params) {
        DemandPaging dp = DemandPaging.of(guest.vm());
        if (!dp.isSupported()) {
            throw new IllegalStateException("this kernel has no KVM_CAP_DEMAND_PAGING");
        }
        KvmDemandPagingInstaller installer = new KvmDemandPagingInstaller(region, dp);
        try (PostcopyDestination destination = destination(source, installer, params);
                KvmDemandPagingDriver driver = new KvmDemandPagingDriver(dp, region, destination)) {
            TouchPages.Result result = runGuest(guest, region, destination, params,
                    driver.faultHandler());
            MigrationReport report = driver.awaitCompletion(params.completionTimeout());
            driver.readerFailure().ifPresent(e -> {
                throw new IllegalStateException("notification-fd reader failed", e);
            });
            return new Result(result, report, installer.pagesNotInstalledExactlyOnce(),
                    driver.faultEvents(), 0);
        }
    }

    /** userfaultfd MISSING; {@code region}'s memory must never have been touched. */
    public static Result uffdMissing(GuestVm guest, MemoryRegion region, PageSource source,
            Params params) {
        try (Userfaultfd uffd = Userfaultfd.open(UffdMissingDriver.featuresFor(region));
                UffdInstaller installer = new UffdInstaller(region, uffd);
                PostcopyDestination destination = destination(source, installer, params);
                UffdMissingDriver driver = new UffdMissingDriver(uffd, region, installer,
                        destination)) {
            TouchPages.Result result = runGuest(guest, region, destination, params,
                    (vcpu, fault) -> {
                        throw new IllegalStateException("memory fault without KVM demand"
                                + " paging: " + fault);
                    });
            MigrationReport report = driver.awaitCompletion(params.completionTimeout());
            driver.handlerFailure().ifPresent(e -> {
                throw new IllegalStateException("userfaultfd handler failed", e);
            });
            return new Result(result, report, installer.pagesNotInstalledExactlyOnce(),
                    driver.faultEvents(), 0);
        }
    }

    /**
     * userfaultfd MINOR; {@code region} must be shared memory (shmem or hugetlb) that was
     * never touched.
     */
    public static Result uffdMinor(GuestVm guest, MemoryRegion region, PageSource source,
            Params params) {
        long features = UffdMinorDriver.featuresFor(region);
        try (Userfaultfd uffd = Userfaultfd.open(features);
                UffdMinorInstaller installer = new UffdMinorInstaller(region, uffd);
                PostcopyDestination destination = destination(source, installer, params);
                UffdMinorDriver driver = new UffdMinorDriver(uffd, region, installer,
                        destination)) {
            TouchPages.Result result = runGuest(guest, region, destination, params,
                    (vcpu, fault) -> {
                        throw new IllegalStateException("memory fault without KVM demand"
                                + " paging: " + fault);
                    });
            MigrationReport report = driver.awaitCompletion(params.completionTimeout());
            driver.handlerFailure().ifPresent(e -> {
                throw new IllegalStateException("userfaultfd handler failed", e);
            });
            return new Result(result, report, installer.pagesNotInstalledExactlyOnce(),
                    driver.faultEvents(), 0);
        }
    }

    /**
     * The baseline without demand paging: every page of {@code source} is copied into the
     * region before the guest runs, then the guest touches its pages without a single fault
     * exit. The report counts no demand-fetched or swept pages (everything was prefilled) and
     * its elapsed time is the copy's; the pages are checked against the source's checksums
     * after the guest ran, as the engine does.
     */
    public static Result none(GuestVm guest, MemoryRegion region, PageSource source,
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
        return new Result(result, report, copy.pagesNotInstalledExactlyOnce(), 0, pages);
    }

    private static PostcopyDestination destination(PageSource source, PageInstaller installer,
            Params params) {
        return new PostcopyDestination(source, new PageTracker(source.pageCount()), installer,
                params.options(), null);
    }

    private static TouchPages.Result runGuest(GuestVm guest, MemoryRegion region,
            PostcopyDestination destination, Params params, TouchPages.MemoryFaultHandler faults) {
        SweepStarter.startAfterDemand(destination, params.demandBeforeSweep(),
                params.touch().timeout());
        return TouchPages.run(guest, region, params.touch(), faults);
    }
}
