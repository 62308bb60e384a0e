// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.dp.GpaRange;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.memory.Backing;
import org.kvmdp.memory.GuestMemory;

/**
 * KVM demand paging against userfaultfd MISSING on the same workload (a benchmark, not a test;
 * needs the patched kernel's /dev/kvm): guest touch_pages (read mode, every value checked) over
 * memory that is all missing, served by {@link MinimalHandler}. With demand paging each vCPU
 * thread serves its own exits (copy the page from a "source" buffer, KVM_MARK_PRESENT); with
 * userfaultfd one handler thread serves the faults with UFFDIO_COPY (a whole 2 MiB page on
 * hugetlb). {@code kvmdp bench --engine minimal} runs the same handlers with the CLI's method
 * (warm-up, rotated repetitions, latency percentiles). Then the cost of
 * marking pages present: single KVM_MARK_PRESENT calls against KVM_MARK_PRESENT_RANGES
 * batches (pages are marked non-present again between rounds, untimed).
 *
 * <pre>
 * usage: DemandPagingBench [--size BYTES[K|M|G]] [--vcpus N,M] [--mark-pages N] [--rounds N]
 *   --size        guest memory per run (default 16M; a multiple of 2 MiB)
 *   --vcpus       vCPU counts to run (default 1,2)
 *   --mark-pages  pages per mark-present round (default 16384)
 *   --rounds      mark-present rounds, the best one is reported (default 5)
 * </pre>
 */
public final class DemandPagingBench {
    private static final long PAGE = 4096;
    private static final long SEED = 0x62656e6368L;
    private static final Duration TIMEOUT = Duration.ofMinutes(10);
    private static final Backing[] BACKINGS = {Backing.ANONYMOUS, Backing.HUGETLB_2M};

    private DemandPagingBench() {}

    /** One measured run. */
    private record Run(String mechanism, Backing backing, int vcpus, long pages, long faults,
            long bytesFetched, long nanos, long mismatches) {
        double pagesPerSecond() {
            return pages * 1e9 / nanos;
        }
    }

    public static void main(String[] args) {
        long size = 16L << 20;
        int[] vcpuCounts = {1, 2};
        int markPages = 16384;
        int rounds = 5;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--size" -> size = FoundationBench.parseSize("--size", required("--size", value));
                case "--vcpus" -> vcpuCounts = parseInts("--vcpus", required("--vcpus", value));
                case "--mark-pages" -> markPages = Integer.parseInt(required("--mark-pages", value));
                case "--rounds" -> rounds = Integer.parseInt(required("--rounds", value));
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (use --size, --vcpus, --mark-pages, --rounds)");
            }
            i++;
        }
        if (size <= 0 || size % (2L << 20) != 0) {
            throw new IllegalArgumentException("--size must be a positive multiple of 2M, got "
                    + size);
        }
        if (markPages < 1024 || markPages % 1024 != 0 || rounds < 1) {
            throw new IllegalArgumentException("--mark-pages must be a multiple of 1024 and"
                    + " --rounds >= 1");
        }

        long benchStart = System.nanoTime();
        // Untimed: JIT-compile both fault paths so the first measured run is not the cold one.
        kvmDemandPaging(Backing.ANONYMOUS, 2L << 20, 1);
        userfaultfdMissing(Backing.ANONYMOUS, 2L << 20, 1);
        List<Run> runs = new ArrayList<>();
        for (Backing backing : BACKINGS) {
            Optional<String> problem = backing.unavailabilityReason(size);
            if (problem.isPresent()) {
                System.out.println("# skipping " + backing + ": " + problem.get());
                continue;
            }
            for (int vcpus : vcpuCounts) {
                runs.add(kvmDemandPaging(backing, size, vcpus));
                runs.add(userfaultfdMissing(backing, size, vcpus));
            }
        }
        printFaultTable(runs);
        printMarkPresentCost(markPages, rounds);
        // Under emulation the guest clock can drift from the host's: compare with the host.
        System.out.printf(Locale.ROOT, "%n# benchmark took %.1f s by this VM's clock%n",
                (System.nanoTime() - benchStart) / 1e9);
    }

    private static Run kvmDemandPaging(Backing backing, long size, int vcpus) {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES);
                GuestMemory source = sourceOf(size)) {
            MemoryRegion region = firstRegion(guest, backing, size);
            MinimalHandler.Run r = MinimalHandler.kvm(guest, region, source.address(),
                    new TouchPages.Params(vcpus, false, PAGE, SEED, 0, TIMEOUT));
            return new Run("KVM demand paging", backing, vcpus, size / PAGE, r.faults(),
                    r.bytesFetched(), r.guest().elapsedNanos(), r.guest().mismatches());
        }
    }

    private static Run userfaultfdMissing(Backing backing, long size, int vcpus) {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES);
                GuestMemory source = sourceOf(size)) {
            MemoryRegion region = firstRegion(guest, backing, size);
            MinimalHandler.Run r = MinimalHandler.uffdMissing(guest, region, source.address(),
                    new TouchPages.Params(vcpus, false, PAGE, SEED, 0, TIMEOUT),
                    Duration.ofSeconds(10));
            return new Run("userfaultfd MISSING", backing, vcpus, size / PAGE, r.faults(),
                    r.bytesFetched(), r.guest().elapsedNanos(), r.guest().mismatches());
        }
    }

    /**
     * The "migration source": anonymous memory holding what the guest expects to read, for a
     * region at {@link GuestAbi#TEST_MEMORY_GPA} (the first test memslot of a GuestVm).
     */
    private static GuestMemory sourceOf(long size) {
        GuestMemory source = GuestMemory.allocate(Backing.ANONYMOUS, size);
        for (long offset = 0; offset < size; offset += PAGE) {
            source.putLong(offset, TouchPages.expectedValue(GuestAbi.TEST_MEMORY_GPA + offset, SEED));
        }
        return source;
    }

    private static void printFaultTable(List<Run> runs) {
        System.out.println();
        System.out.println("== first touch of missing memory (touch_pages, read mode, 4 KiB stride)");
        System.out.printf(Locale.ROOT, "%-20s %-11s %5s %8s %8s %12s %14s %10s%n", "mechanism",
                "backing", "vCPUs", "pages", "faults", "pages/s", "bytes/fault", "mismatch");
        for (Run r : runs) {
            System.out.printf(Locale.ROOT, "%-20s %-11s %5d %8d %8d %12.0f %14d %10d%n",
                    r.mechanism(), r.backing(), r.vcpus(), r.pages(), r.faults(),
                    r.pagesPerSecond(), r.faults() == 0 ? 0 : r.bytesFetched() / r.faults(),
                    r.mismatches());
        }
        for (Backing b : BACKINGS) {
            for (Run kvm : runs) {
                if (kvm.backing() != b || !kvm.mechanism().startsWith("KVM")) {
                    continue;
                }
                runs.stream().filter(u -> u.backing() == b && u.vcpus() == kvm.vcpus()
                        && u.mechanism().startsWith("userfaultfd")).findFirst().ifPresent(u ->
                        System.out.printf(Locale.ROOT, "ratio KVM/uffd %-11s %d vCPU(s): %.2fx"
                                + " pages/s, bytes per fault %d vs %d%n", b, kvm.vcpus(),
                                kvm.pagesPerSecond() / u.pagesPerSecond(),
                                kvm.bytesFetched() / Math.max(1, kvm.faults()),
                                u.bytesFetched() / Math.max(1, u.faults())));
            }
        }
    }

    private static void printMarkPresentCost(int pages, int rounds) {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, pages * PAGE);
            DemandPaging dp = DemandPaging.of(guest.vm());
            dp.enable();
            List<GpaRange> single = new ArrayList<>(pages);
            for (int p = 0; p < pages; p++) {
                single.add(new GpaRange(region.gpa() + p * PAGE, PAGE));
            }
            System.out.println();
            System.out.println("== mark-present cost per page (" + pages + " pages, best of "
                    + rounds + " rounds)");
            System.out.printf(Locale.ROOT, "%-34s %10s%n", "method", "ns/page");
            double loop = Double.MAX_VALUE;
            double batch64 = Double.MAX_VALUE;
            double batch1024 = Double.MAX_VALUE;
            for (int round = 0; round < rounds + 1; round++) { // round 0 warms up
                dp.markNonPresent(region.gpa(), region.size());
                long start = System.nanoTime();
                for (int p = 0; p < pages; p++) {
                    dp.markPresent(region.gpa() + p * PAGE, PAGE);
                }
                double l = (System.nanoTime() - start) / (double) pages;
                double b64 = batched(dp, region, single, 64);
                double b1024 = batched(dp, region, single, 1024);
                if (round > 0) {
                    loop = Math.min(loop, l);
                    batch64 = Math.min(batch64, b64);
                    batch1024 = Math.min(batch1024, b1024);
                }
            }
            System.out.printf(Locale.ROOT, "%-34s %10.0f%n", "KVM_MARK_PRESENT, one page per call",
                    loop);
            System.out.printf(Locale.ROOT, "%-34s %10.0f%n", "KVM_MARK_PRESENT_RANGES, 64/call",
                    batch64);
            System.out.printf(Locale.ROOT, "%-34s %10.0f%n", "KVM_MARK_PRESENT_RANGES, 1024/call",
                    batch1024);
        }
    }

    /** ns per page to mark every page present in batches of {@code perCall} one-page ranges. */
    private static double batched(DemandPaging dp, MemoryRegion region, List<GpaRange> pages,
            int perCall) {
        List<List<GpaRange>> batches = new ArrayList<>();
        for (int from = 0; from < pages.size(); from += perCall) {
            batches.add(pages.subList(from, Math.min(pages.size(), from + perCall)));
        }
        dp.markNonPresent(region.gpa(), region.size());
        long start = System.nanoTime();
        for (List<GpaRange> batch : batches) {
            dp.markPresent(batch);
        }
        return (System.nanoTime() - start) / (double) pages.size();
    }

    private static MemoryRegion firstRegion(GuestVm guest, Backing backing, long size) {
        MemoryRegion region = guest.addMemory(backing, size);
        if (region.gpa() != GuestAbi.TEST_MEMORY_GPA) {
            throw new IllegalStateException("expected the first test memslot at 0x"
                    + Long.toHexString(GuestAbi.TEST_MEMORY_GPA) + ", got " + region);
        }
        return region;
    }

    private static int[] parseInts(String option, String value) {
        try {
            return java.util.Arrays.stream(value.split(",")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs numbers like 1,2, got " + value);
        }
    }

    private static String required(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }
}
