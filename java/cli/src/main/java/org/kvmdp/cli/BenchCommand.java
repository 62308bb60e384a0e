// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.kvmdp.bench.MinimalHandler;
import org.kvmdp.bench.Wire;
import org.kvmdp.guest.EmulatorDefect;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.memory.Backing;
import org.kvmdp.memory.GuestMemory;
import org.kvmdp.postcopy.Mechanism;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.PostcopyOptions;
import org.kvmdp.postcopy.driver.KvmOptions;
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
                + " on private memory it is left out, not an error.",
                "uffd-sharded is userfaultfd MISSING with one userfaultfd and handler thread per"
                + " vCPU's slice of memory instead of one for all.",
                "Each mechanism runs on a fresh VM. A run in which the guest reads a page wrong,"
                + " a page differs from the source's checksum or a page is not installed exactly"
                + " once stops bench with exit code 1.",
                "Method: --warmup untimed runs of every mechanism, then --repeat repetitions"
                + " with the mechanisms in rotated order; the output states the method, the"
                + " JVM and its heap, JIT and GC flags.",
                "With --wire every fetch of every source and mechanism crosses a modelled"
                + " network; rows then show the guest stall per first touch that faulted (stall"
                + " p50) and the bytes each such touch fetched (bytes/fault)."})
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
            description = "Image file for --source file: written there if it does not exist"
                    + " (and kept), used as it is if it does (default: a temporary file,"
                    + " deleted after).")
    Path image;

    @Option(names = "--sweep-after-demand", paramLabel = "PAGES", defaultValue = "-1",
            description = "Start the background sweep after this many demand-fetched pages;"
                    + " 0: at once (a post-copy migration), -1: never, every page is fetched on"
                    + " demand (like demand_paging_test).")
    long sweepAfterDemand;

    @Option(names = "--prefetch", paramLabel = "PAGES", defaultValue = "1",
            description = "Pages one demand fetch brings: the faulting page and up to PAGES-1"
                    + " never-requested pages right after it, published with one call"
                    + " (KVM_MARK_PRESENT, UFFDIO_COPY or UFFDIO_CONTINUE), for every mechanism"
                    + " alike; 1..64, 1: no prefetch. Rows that ran with it say +pfPAGES.")
    int prefetch;

    @Option(names = "--kvm-pre-fault", negatable = true, defaultValue = "true",
            fallbackValue = "true",
            description = "KVM demand paging maps each served page with KVM_PRE_FAULT_MEMORY"
                    + " before its vCPU re-enters, so the guest's retry does not fault into KVM a"
                    + " second time (the default, as kvmdp migrate does); --no-kvm-pre-fault"
                    + " measures without it, in rows named kvm-nopf.")
    boolean kvmPreFault;

    @Option(names = "--kvm-prealloc", negatable = true, defaultValue = "false",
            fallbackValue = "true",
            description = "KVM demand paging allocates the guest memory once it is non-present,"
                    + " before the guest runs (MADV_POPULATE_WRITE), so serving a page takes no"
                    + " host page fault: KVM's present bitmap, not the page's absence, makes the"
                    + " guest exit, which userfaultfd MISSING cannot match (MINOR allocates up"
                    + " front too). Off by default, as kvmdp migrate runs; rows that ran with it"
                    + " say -prealloc.")
    boolean kvmPrealloc;

    @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "full",
            converter = Engine.Converter.class, completionCandidates = Engine.Names.class,
            description = "What serves the faults: ${COMPLETION-CANDIDATES}. full: the post-copy"
                    + " engine (tracker, page source, checksums, statistics); minimal: the"
                    + " smallest handlers (copy from memory and publish, as DemandPagingBench),"
                    + " for kvm, uffd-missing and none, --source memory only; same guest,"
                    + " image and method, so the two compare like for like.")
    Engine engine;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "1",
            description = "Measured repetitions of every mechanism, 1.." + MAX_REPEAT
                    + "; repetition r runs the mechanisms rotated by r places (A B C, B C A,"
                    + " ...). Rows give the median pages/s, its range, and latency percentiles"
                    + " as the median over the repetitions.")
    int repeat;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "0",
            description = "Untimed runs of every mechanism before the measured ones (JIT,"
                    + " page cache, first-VM costs), 0.." + MAX_WARMUP + "; checked like the"
                    + " measured ones, then discarded.")
    int warmup;

    @Option(names = "--wire", paramLabel = "WIRE", arity = "0..1", defaultValue = "none",
            fallbackValue = "10g", converter = Converters.WireConverter.class,
            description = "A network between source and destination, for every source and"
                    + " mechanism alike: each request costs a latency plus its bytes over a"
                    + " shared link of that bandwidth: 10g, 25g or 100g (Gb/s, 30 us per"
                    + " request; --wire alone: 10g), or none (pages as fast as the source gives"
                    + " them). A 4 KiB page costs 33 us at 10g, a 2 MiB huge page 1.7 ms.")
    Wire wire;

    @Option(names = "--wire-latency-us", paramLabel = "US",
            description = "Per-request latency of --wire in microseconds (default 30), 0.."
                    + MAX_WIRE_LATENCY_US + ".")
    Double wireLatencyMicros;

    @Option(names = "--json", description = "Results as JSON instead of a table.")
    boolean json;

    @Option(names = "--csv", description = "Results as CSV instead of a table.")
    boolean csv;

    /** The source image is built in memory (a ByteBuffer), so it must stay well below 2 GiB. */
    static final long MAX_IMAGE_BYTES = 1L << 30;
    static final int MAX_REPEAT = 100;
    static final int MAX_WARMUP = 10;
    static final int MAX_WIRE_LATENCY_US = 1_000_000;
    private static final long SEED = 0x6b766d6470L;
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration PAGE_TIMEOUT = Duration.ofMinutes(2);
    /** Under multi-threaded TCG the defect broke up to 3 of 15 runs of one boot. */
    static final int EMULATOR_RERUNS = 3;
    private final Map<Mechanism, Integer> emulatorReruns = new LinkedHashMap<>();

    @Override
    public Integer call() {
        checkOptions();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BenchPlan<Mechanism> plan = new BenchPlan<>(runnable(), warmup, repeat);
        BenchMethod method = BenchMethod.of(engine, plan, this::rowLabel, effectiveWire());
        Map<Mechanism, List<BenchRow>> measured = new LinkedHashMap<>();
        plan.mechanisms().forEach(m -> measured.put(m, new ArrayList<>()));
        List<String> failures = new ArrayList<>();
        int measuredRuns = 0;
        int warmupRuns = 0;
        for (BenchPlan.Step<Mechanism> step : plan.steps()) {
            if (!failures.isEmpty()) {
                break;
            }
            Mechanism m = step.mechanism();
            String what = m.label() + " on " + Converters.label(backing);
            String counter = step.measured()
                    ? String.format(Locale.ROOT, "[%d/%d]", ++measuredRuns, plan.measuredRuns())
                    : String.format(Locale.ROOT, "warm-up [%d/%d]", ++warmupRuns,
                            plan.warmup() * plan.mechanisms().size());
            String repetition = step.measured() && repeat > 1 ? String.format(Locale.ROOT,
                    ", repetition %d/%d", step.repetition() + 1, repeat) : "";
            err.printf(Locale.ROOT, "kvmdp bench: %s %s, %d vCPU(s) x %s, %s access, pages"
                    + " from %s%s%n", counter, what, vcpus, Sizes.format(memoryPerVcpu),
                    access.label(), source.label(), repetition);
            err.flush();
            try {
                BenchRow row = runRerunningEmulatorDefects(m, err, counter + " " + what);
                if (step.measured()) {
                    measured.get(m).add(row);
                }
                err.printf(Locale.ROOT, "kvmdp bench: %s %s: %.0f pages/s%s%n", counter, what,
                        row.pagesPerSecond(), step.measured() ? "" : " (discarded)");
                if (!row.verified()) {
                    failures.add(what + ": the guest read " + row.mismatches() + " pages wrong and "
                            + row.notInstalledOnce() + " pages were not installed exactly once");
                }
            } catch (RuntimeException e) {
                failures.add(what + " failed: " + describe(e));
            }
        }
        List<BenchResult> results = new ArrayList<>();
        measured.forEach((m, runs) -> {
            if (!runs.isEmpty()) {
                results.add(new BenchResult(runs, plan.positions(m).subList(0, runs.size()),
                        method));
            }
        });
        out.print(json ? BenchJson.write(results) + "\n" : csv ? BenchCsv.write(results)
                : BenchTable.write(results, method));
        out.flush();
        if (!emulatorReruns.isEmpty()) {
            err.println("kvmdp bench: runs rerun after the emulator broke the nested guest: "
                    + emulatorReruns.entrySet().stream().map(e -> e.getKey().label() + " "
                            + e.getValue()).collect(Collectors.joining(", ")));
        }
        failures.forEach(f -> err.println("kvmdp bench: " + f));
        return failures.isEmpty() ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /** Cross-option rules; each failure exits 2 naming the fix. */
    private void checkOptions() {
        UsageChecks checks = new UsageChecks(spec);
        checks.vcpus(vcpus);
        if (vcpus > GuestAbi.MAX_VCPUS) {
            throw checks.fail("--vcpus " + vcpus + ": the touch_pages guest runs at most "
                    + GuestAbi.MAX_VCPUS + " vCPUs");
        }
        checks.memory(memoryPerVcpu, backing);
        if (memoryPerVcpu > MAX_IMAGE_BYTES / vcpus) {
            throw checks.fail("--vcpus x --memory is more than " + Sizes.format(MAX_IMAGE_BYTES)
                    + ", the most bench holds as a source image in memory: lower --memory or"
                    + " --vcpus");
        }
        if (!mechanism.allSelected()) {
            checks.mechanismFitsBacking(mechanism.single(), backing);
        }
        if (mechanism.mechanisms().equals(List.of(Mechanism.NONE)) && checks.given("--source")) {
            throw checks.fail("--source has no effect with --mechanism none (the memory is filled"
                    + " before the guest runs, so no source is measured): drop --source or pick"
                    + " another mechanism");
        }
        if (image != null && source != SourceKind.FILE) {
            throw checks.fail("--image is read only with --source file (--source is "
                    + source.label() + "): add --source file or drop --image");
        }
        if (json && csv) {
            throw checks.fail("--json and --csv are exclusive: pick one");
        }
        if (prefetch < 1 || prefetch > PostcopyOptions.MAX_BATCH_PAGES) {
            throw checks.fail("--prefetch must be 1.." + PostcopyOptions.MAX_BATCH_PAGES
                    + " pages, got " + prefetch);
        }
        if (repeat < 1 || repeat > MAX_REPEAT) {
            throw checks.fail("--repeat must be 1.." + MAX_REPEAT + ", got " + repeat);
        }
        if (warmup < 0 || warmup > MAX_WARMUP) {
            throw checks.fail("--warmup must be 0.." + MAX_WARMUP + ", got " + warmup);
        }
        if (engine == Engine.MINIMAL) {
            checkMinimal(checks);
        }
        if (wireLatencyMicros != null) {
            if (wire.isNone()) {
                throw checks.fail("--wire-latency-us needs a wire: add --wire 10g, 25g or 100g");
            }
            if (!(wireLatencyMicros >= 0 && wireLatencyMicros <= MAX_WIRE_LATENCY_US)) {
                throw checks.fail("--wire-latency-us must be 0.." + MAX_WIRE_LATENCY_US
                        + ", got " + wireLatencyMicros);
            }
        }
        if (!wire.isNone() && mechanism.mechanisms().equals(List.of(Mechanism.NONE))) {
            throw checks.fail("--wire has no effect on the guest with --mechanism none (the memory"
                    + " is filled before the guest runs): drop --wire or pick another mechanism");
        }
        if (sweepAfterDemand < -1) {
            throw checks.fail("--sweep-after-demand must be -1 (never), 0 (at once) or a page"
                    + " count, got " + sweepAfterDemand);
        }
    }

    /** What the minimal handlers cannot do, each named with the fix (exit 2). */
    private void checkMinimal(UsageChecks checks) {
        String has = Engine.MINIMAL.mechanisms().stream().map(Mechanism::label)
                .collect(Collectors.joining(", "));
        if (!mechanism.allSelected() && !Engine.MINIMAL.mechanisms().contains(mechanism.single())) {
            throw checks.fail("--engine minimal has handlers for " + has + " only (--mechanism is "
                    + mechanism + "): pick one of those or --engine full");
        }
        if (source != SourceKind.MEMORY) {
            throw checks.fail("--engine minimal copies pages from memory (--source is "
                    + source.label() + "): drop --source or use --engine full");
        }
        if (prefetch != 1) {
            throw checks.fail("--engine minimal fetches only the faulting page (--prefetch is "
                    + prefetch + "): drop --prefetch or use --engine full");
        }
        if (checks.given("--sweep-after-demand") && sweepAfterDemand != -1) {
            throw checks.fail("--engine minimal has no background sweep (--sweep-after-demand is "
                    + sweepAfterDemand + "): drop it or use --engine full");
        }
    }

    /** The wire of this run: the preset, with --wire-latency-us if given. */
    Wire effectiveWire() {
        return wireLatencyMicros == null ? wire
                : wire.withLatencyNanos(Math.round(wireLatencyMicros * 1000));
    }

    /** One run of {@code m} on a fresh VM, by the chosen engine (none: the same prefill). */
    private BenchRow runOne(Mechanism m) {
        return engine == Engine.MINIMAL && m != Mechanism.NONE ? runMinimal(m) : runFull(m);
    }

    /**
     * The minimal handlers on a fresh VM: the same image as the engine's, copied once into
     * anonymous memory that the handlers copy from.
     */
    private BenchRow runMinimal(Mechanism m) {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(backing, memoryPerVcpu * vcpus);
            TouchPages.Params touch = new TouchPages.Params(vcpus, access == AccessPattern.WRITE,
                    Pages.SIZE, SEED, 0, RUN_TIMEOUT);
            try (GuestMemory image = GuestMemory.allocate(Backing.ANONYMOUS, region.size())) {
                image.write(0, PostcopyTouchRun.imageFor(region, Pages.SIZE, SEED).array());
                Wire.Link link = effectiveWire().link();
                MinimalHandler.Run r = switch (m) {
                    case KVM -> MinimalHandler.kvm(guest, region, image.address(), touch, link,
                            kvmPreFault, kvmPrealloc);
                    case UFFD_MISSING -> MinimalHandler.uffdMissing(guest, region,
                            image.address(), touch, PAGE_TIMEOUT, link);
                    default -> throw new IllegalArgumentException("no minimal handler for "
                            + m.label());
                };
                return BenchRow.ofMinimal(rowLabel(m), Converters.label(backing), vcpus,
                        memoryPerVcpu, access.label(), source.label(), wireLabel(),
                        link.meanLateNanos() / 1e3, r);
            }
        }
    }

    /**
     * One mechanism on a fresh VM: an image holding what touch_pages expects, served by the
     * chosen source, faults caught by the mechanism, the sweep as --sweep-after-demand says.
     */
    private BenchRow runFull(Mechanism m) {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(backing, memoryPerVcpu * vcpus);
            PostcopyTouchRun.Params params = new PostcopyTouchRun.Params(
                    new TouchPages.Params(vcpus, access == AccessPattern.WRITE, Pages.SIZE, SEED, 0,
                            RUN_TIMEOUT), PostcopyOptions.defaults().withPageTimeout(PAGE_TIMEOUT)
                            .withPrefetchPages(prefetch),
                    sweepAfterDemand < 0 ? PostcopyDestination.SWEEP_NEVER : sweepAfterDemand,
                    RUN_TIMEOUT, new KvmOptions(kvmPreFault, kvmPrealloc));
            try (BenchSource pages = BenchSource.open(source,
                    PostcopyTouchRun.imageFor(region, Pages.SIZE, SEED), image, effectiveWire())) {
                PostcopyTouchRun.Result r = PostcopyTouchRun.run(m, guest, region,
                        pages.source(), params);
                return BenchRow.of(rowLabel(m), Converters.label(backing), vcpus, memoryPerVcpu,
                        access.label(), source.label(), wireLabel(), pages.wireLateMicros(), r);
            }
        }
    }

    /** The wire as rows name it: "none", or e.g. "10g" / "10g@50us" with another latency. */
    private String wireLabel() {
        Wire w = effectiveWire();
        return w.isNone() || wireLatencyMicros == null ? w.name()
                : w.name() + "@" + new java.math.BigDecimal(wireLatencyMicros.toString())
                        .stripTrailingZeros().toPlainString() + "us";
    }

    /**
     * The mechanism's label: kvm-nopf for KVM without pre-faulting, -prealloc for KVM with
     * preallocation, then +pfN when it ran with prefetch (none never prefetches).
     */
    private String rowLabel(Mechanism m) {
        String label = m.label();
        if (m == Mechanism.KVM) {
            label += (kvmPreFault ? "" : "-nopf") + (kvmPrealloc ? "-prealloc" : "");
        }
        return prefetch > 1 && m != Mechanism.NONE ? label + "+pf" + prefetch : label;
    }

    /**
     * {@link #runOne}, rerun on a fresh VM, saying so, while it fails by the emulator's known
     * defect ({@link EmulatorDefect}), at most {@link #EMULATOR_RERUNS} times: that defect
     * says nothing about the mechanism measured, and a run it broke has no result to keep.
     * How many runs of each mechanism were rerun is printed at the end.
     */
    private BenchRow runRerunningEmulatorDefects(Mechanism m, PrintWriter err, String what) {
        for (int rerun = 0;; rerun++) {
            try {
                return runOne(m);
            } catch (RuntimeException e) {
                if (!EmulatorDefect.is(e) || rerun == EMULATOR_RERUNS) {
                    throw e;
                }
                emulatorReruns.merge(m, 1, Integer::sum);
                err.printf(Locale.ROOT, "kvmdp bench: %s: the emulator broke the nested guest"
                        + " (%s); rerun %d of at most %d, on a fresh VM%n", what, describe(e),
                        rerun + 1, EMULATOR_RERUNS);
                err.flush();
            }
        }
    }

    /** The exception and its causes on one line: the cause usually says what went wrong. */
    private static String describe(Throwable e) {
        StringBuilder s = new StringBuilder(e.toString());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            s.append("; caused by ").append(c);
        }
        return s.toString();
    }

    /**
     * The mechanisms this run would measure: "all" leaves out what the backing forbids and
     * what the engine has no handler for.
     */
    List<Mechanism> runnable() {
        return mechanism.mechanisms().stream()
                .filter(m -> !m.needsSharedMemory() || backing.isShared())
                .filter(engine.mechanisms()::contains)
                .collect(Collectors.toList());
    }
}
