// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.Mechanism;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyOptions;
import org.kvmdp.postcopy.driver.PostcopyTouchRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kvmdp bench}: demand-paging rate and latency, like the kernel's demand_paging_test. */
@Command(name = "bench", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Every vCPU touches each page of its own memory once while pages come"
                + " from a source; prints pages/s and fault latency percentiles per mechanism.",
                "uffd-minor needs shared memory (shmem, hugetlb2m, hugetlb1g); with --mechanism all"
                + " on private memory it is left out, not an error."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--vcpus", paramLabel = "N", description = "vCPUs, 1..512.")
    int vcpus = 1;

    @Option(names = "--memory", paramLabel = "SIZE", converter = Converters.SizeConverter.class,
            defaultValue = "64M",
            description = "Memory per vCPU (suffix K, M, G); a multiple of the backing's page.")
    long memoryPerVcpu;

    @Option(names = "--backing", paramLabel = "BACKING", defaultValue = "anonymous",
            converter = Converters.BackingConverter.class,
            completionCandidates = Converters.BackingNames.class,
            description = "Guest memory: ${COMPLETION-CANDIDATES}.")
    Backing backing;

    @Option(names = "--mechanism", paramLabel = "MECHANISM", defaultValue = "all",
            converter = Converters.MechanismConverter.class,
            completionCandidates = Converters.MechanismNames.class,
            description = "Demand-paging mechanism: ${COMPLETION-CANDIDATES}.")
    MechanismChoice mechanism;

    @Option(names = "--access", paramLabel = "ACCESS", defaultValue = "write",
            converter = AccessPattern.Converter.class,
            completionCandidates = AccessPattern.Names.class,
            description = "How each page is touched: ${COMPLETION-CANDIDATES}.")
    AccessPattern access;

    @Option(names = "--source", paramLabel = "SOURCE", defaultValue = "memory",
            converter = SourceKind.Converter.class, completionCandidates = SourceKind.Names.class,
            description = "Where pages come from: ${COMPLETION-CANDIDATES} (tcp: a page server"
                    + " on 127.0.0.1). Ignored by --mechanism none.")
    SourceKind source;

    @Option(names = "--image", paramLabel = "FILE",
            description = "Image file for --source file (default: a temporary file).")
    Path image;

    @Option(names = "--json", description = "Results as JSON instead of a table.")
    boolean json;

    @Option(names = "--csv", description = "Results as CSV instead of a table.")
    boolean csv;

    @Override
    public Integer call() {
        UsageChecks checks = new UsageChecks(spec);
        checks.vcpus(vcpus);
        checks.memory(memoryPerVcpu, backing);
        if (!mechanism.allSelected()) {
            checks.mechanismFitsBacking(mechanism.single(), backing);
        }
        if (mechanism.mechanisms().equals(List.of(Mechanism.NONE)) && checks.given("--source")) {
            throw checks.fail("--source has no effect with --mechanism none (nothing is fetched):"
                    + " drop --source or pick another mechanism");
        }
        if (image != null && source != SourceKind.FILE) {
            throw checks.fail("--image is read only with --source file (--source is "
                    + source.label() + ")");
        }
        if (json && csv) {
            throw checks.fail("--json and --csv are exclusive: pick one");
        }
        String summary = String.format(
                "%d vCPU(s) x %s %s, mechanisms %s, %s access, pages from %s", vcpus,
                Sizes.format(memoryPerVcpu), Converters.label(backing), runnable().stream()
                        .map(Mechanism::label).collect(Collectors.joining(",")),
                access.label(), source.label());
        if (!isWired()) {
            return UsageChecks.notWiredYet(spec, summary, "bench runs one --mechanism, kvm or"
                    + " uffd-missing, with --source memory on --backing anonymous or hugetlb2m,"
                    + " at most " + GuestAbi.MAX_VCPUS + " vCPUs and " + Sizes.format(MAX_WIRED_BYTES)
                    + " in all, printing a table (not --json or --csv); all, uffd-minor, none,"
                    + " file and tcp sources come later");
        }
        return runTouch();
    }

    static final long MAX_WIRED_BYTES = 1L << 30;
    private static final long SEED = 0x6b766d6470L;
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(10);

    /** The combinations {@link #runTouch} can run. */
    boolean isWired() {
        return !mechanism.allSelected()
                && (mechanism.single() == Mechanism.KVM || mechanism.single() == Mechanism.UFFD_MISSING)
                && source == SourceKind.MEMORY
                && (backing == Backing.ANONYMOUS || backing == Backing.HUGETLB_2M)
                && vcpus <= GuestAbi.MAX_VCPUS
                && memoryPerVcpu <= MAX_WIRED_BYTES / vcpus
                && !json && !csv;
    }

    /**
     * One post-copy run of touch_pages: an in-memory image holding what the guest expects,
     * the sweep running from the start, faults caught by the chosen mechanism.
     */
    private int runTouch() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Mechanism m = mechanism.single();
        long total = memoryPerVcpu * vcpus;
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(backing, total);
            MemoryPageSource image = MemoryPageSource.wrap(
                    PostcopyTouchRun.imageFor(region, Pages.SIZE, SEED));
            PostcopyTouchRun.Params params = new PostcopyTouchRun.Params(
                    new TouchPages.Params(vcpus, access == AccessPattern.WRITE, Pages.SIZE, SEED, 0,
                            RUN_TIMEOUT), PostcopyOptions.defaults(), 0, RUN_TIMEOUT);
            PostcopyTouchRun.Result r = m == Mechanism.KVM
                    ? PostcopyTouchRun.kvm(guest, region, image, params)
                    : PostcopyTouchRun.uffdMissing(guest, region, image, params);
            printTable(out, m, r);
            if (r.guest().mismatches() != 0 || r.notInstalledOnce() != 0) {
                err.println("kvmdp bench: the guest found " + r.guest().mismatches()
                        + " wrong pages, " + r.notInstalledOnce() + " pages not installed once");
                return ExitCodes.FAILED;
            }
            return ExitCodes.OK;
        } catch (RuntimeException e) {
            err.println("kvmdp bench: " + m.label() + " on " + Converters.label(backing)
                    + " failed: " + e);
            return ExitCodes.FAILED;
        }
    }

    private void printTable(PrintWriter out, Mechanism m, PostcopyTouchRun.Result r) {
        MigrationReport report = r.report();
        double seconds = Math.max(r.guest().elapsedNanos(), 1) / 1e9;
        out.printf(Locale.ROOT, "%-13s %-10s %5s %8s %8s %8s %7s %12s %10s %10s %11s %8s%n",
                "mechanism", "backing", "vCPUs", "pages", "demand", "swept", "faults", "pages/s",
                "p50(us)", "p99(us)", "bytes/fault", "mismatch");
        out.printf(Locale.ROOT, "%-13s %-10s %5d %8d %8d %8d %7d %12.0f %10.1f %10.1f %11d %8d%n",
                m.label(), Converters.label(backing), vcpus, report.pageCount(),
                report.pagesDemandFetched(), report.pagesSwept(), r.faultEvents(),
                r.guest().touched() / seconds, report.faultToInstall().p50Nanos() / 1e3,
                report.faultToInstall().p99Nanos() / 1e3, r.bytesPerFault(),
                r.guest().mismatches());
        out.printf(Locale.ROOT, "# pages/s: pages the guest touched per second of its run"
                + " (%.3f s); p50/p99: fault-to-install latency of demand requests that waited;"
                + " bytes/fault: demand-fetched bytes per fault event; migration took %.3f s,"
                + " checksums verified%n", seconds, report.elapsed().toNanos() / 1e9);
    }

    /** The mechanisms this run would measure: "all" leaves out what the backing forbids. */
    List<Mechanism> runnable() {
        return mechanism.mechanisms().stream()
                .filter(m -> !m.needsSharedMemory() || backing.isShared())
                .collect(Collectors.toList());
    }
}
