// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kvmdp.bench.Wire;
import org.kvmdp.cli.Main;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.Mechanism;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageChecksums;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyOptions;
import org.kvmdp.postcopy.driver.PostcopyTouchRun;
import org.kvmdp.postcopy.tcp.PageServer;
import org.kvmdp.postcopy.tcp.TcpOptions;
import org.kvmdp.postcopy.tcp.TcpPageSource;

/**
 * Post-copy end to end on a real VM: a source image holding what touch_pages (read mode)
 * expects, served by a PageServer on 127.0.0.1 through a TcpPageSource, installed into the
 * destination guest's memory by the post-copy engine while the guest runs, with faults caught
 * by KVM demand paging, userfaultfd MISSING or userfaultfd MINOR. The guest checks every page
 * it reads; the engine checks every page's CRC32C against the source's at the end. Then
 * {@code kvmdp bench} end to end, in process, with every mechanism, source and output format.
 */
class PostcopyTouchTest {
    static final long PAGE = Pages.SIZE;
    static final long SEED = 0x706f7374636f7079L;
    static final long SIZE = 4L << 20; // two 2 MiB pages on hugetlb
    static final Duration TIMEOUT = Duration.ofMinutes(3);
    /** Demand-fetched pages before the sweep starts, so both paths carry pages. */
    static final long DEMAND_BEFORE_SWEEP = 8;

    /**
     * KVM demand paging and userfaultfd MISSING (one userfaultfd, or one per vCPU's slice) on
     * private, shared and hugetlb memory; userfaultfd MINOR on the two shared backings it
     * supports.
     */
    static Stream<Arguments> mechanismsBackingsVcpus() {
        Stream<Arguments> kvmAndMissing = Stream.of("kvm", "uffd-missing", "uffd-sharded")
                .flatMap(m -> Stream.of(Backing.ANONYMOUS, Backing.SHMEM, Backing.HUGETLB_2M)
                        .flatMap(b -> Stream.of(1, 2).map(n -> Arguments.of(m, b, n))));
        Stream<Arguments> minor = Stream.of(Backing.SHMEM, Backing.HUGETLB_2M).flatMap(b ->
                Stream.of(1, 2).map(n -> Arguments.of("uffd-minor", b, n)));
        return Stream.concat(kvmAndMissing, minor);
    }

    /** The 4 KiB pages one fault installs: a whole huge page for userfaultfd on hugetlb. */
    private static long unitPages(String mechanism, Backing backing) {
        return backing.isHugetlb() && !mechanism.equals("kvm") ? backing.pageSize() / PAGE : 1;
    }

    @ParameterizedTest(name = "{0}, {1}, {2} vCPU(s) [{index}]")
    @MethodSource("mechanismsBackingsVcpus")
    void guestReadsTheSourceImageWhilePagesArrive(String mechanism, Backing backing, int vcpus) {
        assumeTrue(backing.unavailabilityReason(SIZE).isEmpty(),
                () -> backing + " unavailable: " + backing.unavailabilityReason(SIZE).get());
        long pages = SIZE / PAGE;
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            if (mechanism.equals("kvm")) {
                assumeTrue(DemandPaging.of(guest.vm()).isSupported(),
                        "kernel without KVM_CAP_DEMAND_PAGING");
            }
            MemoryRegion region = guest.addMemory(backing, SIZE);
            MemoryPageSource memorySource =
                    MemoryPageSource.wrap(PostcopyTouchRun.imageFor(region, PAGE, SEED));
            try (PageServer server = PageServer.start(memorySource,
                    new InetSocketAddress("127.0.0.1", 0));
                    TcpPageSource source = TcpPageSource.connect(server.address(),
                            TcpOptions.defaults())) {
                PostcopyTouchRun.Params params = new PostcopyTouchRun.Params(
                        new TouchPages.Params(vcpus, false, PAGE, SEED, 0, TIMEOUT),
                        PostcopyOptions.defaults().withPageTimeout(Duration.ofMinutes(1)),
                        DEMAND_BEFORE_SWEEP, TIMEOUT);
                PostcopyTouchRun.Result outcome = PostcopyTouchRun.run(
                        Mechanism.byLabel(mechanism).orElseThrow(), guest, region, source, params);
                MigrationReport report = outcome.report();
                System.out.printf("%s %s %d vCPU(s), %d fault events, %d bytes/fault: %s",
                        mechanism, backing, vcpus, outcome.faultEvents(), outcome.bytesPerFault(),
                        report);

                assertThat(outcome.guest().touched()).isEqualTo(pages);
                assertThat(outcome.guest().mismatches()).as("pages the guest read wrong").isZero();
                // awaitCompletion compared every installed page with the checksums it got over
                // TCP (or threw); those are the image's own.
                assertThat(checksumsEqual(source.checksums(), PageChecksums.compute(memorySource),
                        pages)).as("checksums over TCP match the image").isTrue();
                assertThat(outcome.notInstalledOnce()).as("pages not installed exactly once")
                        .isZero();
                assertThat(outcome.faultEvents()).as("fault events").isPositive();
                assertThat(report.pageCount()).isEqualTo(pages);
                assertThat(report.pagesDemandFetched()).as("demand-fetched").isPositive();
                assertThat(report.pagesDemandFetched() + report.pagesSwept()).isEqualTo(pages);
                if (pages / unitPages(mechanism, backing) > vcpus) {
                    // Some fault unit is first touched after the sweep started (it starts after
                    // DEMAND_BEFORE_SWEEP demand-fetched pages): the sweep fetches part of it.
                    assertThat(report.pagesSwept()).as("swept").isPositive();
                }
                // Otherwise (userfaultfd on hugetlb, a vCPU per huge page) each vCPU's first
                // touch faults in its own huge page: the fault fetches whatever 4 KiB pages the
                // sweep has not, which may be all of them. Only the sum above is certain.
                assertThat(report.bytesTransferred()).isEqualTo(SIZE);
                assertThat(outcome.prefilledPages()).isZero();
                assertThat(outcome.pagesPerSecondPerVcpu()).hasSize(vcpus)
                        .allSatisfy(rate -> assertThat(rate).isPositive());
                if (unitPages(mechanism, backing) > 1) {
                    // userfaultfd resolves whole huge pages: at most one fault per huge page
                    // (the vCPUs' slices do not share one), where 4 KiB faults would be many.
                    assertThat(outcome.faultEvents()).as("fault events")
                            .isLessThanOrEqualTo(SIZE / backing.pageSize());
                }
            }
        }
    }

    /** The baseline: everything copied in first, so the guest runs without a fault exit. */
    @ParameterizedTest(name = "none, {0} [{index}]")
    @MethodSource("backingsForNone")
    void withoutDemandPagingTheGuestReadsThePrefilledImage(Backing backing) {
        assumeTrue(backing.unavailabilityReason(SIZE).isEmpty(),
                () -> backing + " unavailable: " + backing.unavailabilityReason(SIZE).get());
        long pages = SIZE / PAGE;
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(backing, SIZE);
            MemoryPageSource source =
                    MemoryPageSource.wrap(PostcopyTouchRun.imageFor(region, PAGE, SEED));
            PostcopyTouchRun.Result outcome = PostcopyTouchRun.run(Mechanism.NONE, guest, region,
                    source, new PostcopyTouchRun.Params(
                            new TouchPages.Params(2, false, PAGE, SEED, 0, TIMEOUT),
                            PostcopyOptions.defaults(), 0, TIMEOUT));
            assertThat(outcome.guest().touched()).isEqualTo(pages);
            assertThat(outcome.guest().mismatches()).as("pages the guest read wrong").isZero();
            assertThat(outcome.prefilledPages()).isEqualTo(pages);
            assertThat(outcome.notInstalledOnce()).isZero();
            assertThat(outcome.faultEvents()).isZero();
            assertThat(outcome.report().pagesDemandFetched() + outcome.report().pagesSwept())
                    .isZero();
        }
    }

    /**
     * Why the CLI cases that check kvmdp bench's options and output formats skip the debug
     * kernel: the kernel paths they reach are guestReadsTheSourceImageWhilePagesArrive's, which
     * runs every mechanism and backing there; they cost about 230 s there.
     */
    static final String CLI_OUTPUT_ONLY = "it checks kvmdp bench's options and output; the"
            + " engine's kernel paths run there in guestReadsTheSourceImageWhilePagesArrive";

    static Stream<Backing> backingsForNone() {
        return Stream.of(Backing.ANONYMOUS, Backing.SHMEM);
    }

    @ParameterizedTest(name = "kvmdp bench --mechanism {0} --backing {1} [{index}]")
    @MethodSource("cliRuns")
    void cliBenchRunsAndPrintsTheTable(String mechanism, String backing) {
        assumeHugePages(backing);
        assumeKvmDemandPaging(mechanism);
        BenchOutput run = bench("--mechanism", mechanism, "--backing", backing, "--vcpus", "2",
                "--memory", "2M", "--access", "read");
        assertThat(run.out()).contains("pages/s", "p50(us)", "p99(us)", "p99.9(us)",
                "bytes/fault", "Checksums of every page verified");
        assertThat(run.tableRows()).hasSize(1);
        assertTableRow(run.tableRows().get(0), mechanism, backing, 2);
    }

    static Stream<Arguments> cliRuns() {
        return Stream.of("kvm", "uffd-missing").flatMap(m ->
                Stream.of("anonymous", "hugetlb2m").map(b -> Arguments.of(m, b)));
    }

    /** --mechanism all on shmem: one row per mechanism, each on its own VM. */
    @Test
    void cliBenchAllOnShmemRunsEveryMechanism() {
        assumeKvmDemandPaging("kvm");
        DebugKernel.assumeNormalKernel(CLI_OUTPUT_ONLY);
        BenchOutput run = bench("--mechanism", "all", "--backing", "shmem", "--vcpus", "2",
                "--memory", "2M", "--access", "read");
        List<String[]> rows = run.tableRows();
        assertThat(rows).extracting(r -> r[0])
                .containsExactly("kvm", "uffd-missing", "uffd-minor", "uffd-sharded", "none");
        rows.forEach(r -> assertTableRow(r, r[0], "shmem", 2));
        assertThat(run.err()).contains("[1/5] kvm on shmem", "[5/5] none on shmem");
    }

    /**
     * --no-kvm-pre-fault, both engines: the KVM row says it ran without pre-faulting
     * (kvm-nopf) and still serves and checks every page; the other mechanisms' rows keep their
     * names, as it does not apply to them.
     */
    @Test
    void cliBenchWithoutKvmPreFaultNamesItsRows() {
        assumeKvmDemandPaging("kvm");
        DebugKernel.assumeNormalKernel(CLI_OUTPUT_ONLY);
        BenchOutput full = bench("--mechanism", "all", "--backing", "anonymous", "--vcpus", "1",
                "--memory", "2M", "--access", "read", "--no-kvm-pre-fault");
        assertThat(full.tableRows()).extracting(r -> r[0])
                .containsExactly("kvm-nopf", "uffd-missing", "uffd-sharded", "none");
        full.tableRows().forEach(r -> assertTableRow(r, r[0], "anonymous", 1));
        BenchOutput minimal = bench("--engine", "minimal", "--mechanism", "kvm", "--backing",
                "anonymous", "--vcpus", "1", "--memory", "2M", "--access", "read",
                "--no-kvm-pre-fault");
        assertThat(minimal.tableRows()).extracting(r -> r[0]).containsExactly("kvm-nopf");
    }

    /**
     * --engine minimal, every mechanism it has, two repetitions in rotated order: each row is
     * the median of two verified runs, every page fetched on demand once, and the method (order,
     * repetitions, JVM flags) is in every row.
     */
    @Test
    void cliBenchMinimalEngineRepeatsInRotatedOrderAsJson() {
        assumeKvmDemandPaging("kvm");
        DebugKernel.assumeNormalKernel(CLI_OUTPUT_ONLY);
        BenchOutput run = bench("--engine", "minimal", "--mechanism", "all", "--backing",
                "anonymous", "--vcpus", "2", "--memory", "512K", "--access", "read", "--repeat", "2",
                "--json");
        List<Map<String, String>> rows = run.jsonRows();
        assertThat(rows).extracting(r -> r.get("mechanism"))
                .containsExactly("kvm", "uffd-missing", "none");
        long pages = 2 * (512L << 10) / PAGE;
        for (Map<String, String> row : rows) {
            assertThat(row).containsEntry("engine", "minimal").containsEntry("repeats", "2")
                    .containsEntry("warmup_runs", "0").containsEntry("mismatches", "0")
                    .containsEntry("not_installed_once", "0")
                    .containsEntry("run_order", "kvm uffd-missing none | uffd-missing none kvm")
                    .containsEntry("pages", String.valueOf(pages));
            assertThat(row.get("jvm_flags")).contains("-XX:TieredStopAtLevel=1");
            assertThat(row.get("pages_per_second_runs").split(",")).hasSize(2);
            double min = Double.parseDouble(row.get("pages_per_second_min"));
            double median = Double.parseDouble(row.get("pages_per_second"));
            double max = Double.parseDouble(row.get("pages_per_second_max"));
            assertThat(min).isPositive().isLessThanOrEqualTo(median);
            assertThat(median).isLessThanOrEqualTo(max);
        }
        Map<String, String> kvm = rows.get(0);
        assertThat(kvm.get("run_positions")).isEqualTo("[1, 3]");
        // KVM: one exit per 4 KiB page, each page fetched on demand and timed.
        assertThat(kvm).containsEntry("demand_pages", String.valueOf(pages))
                .containsEntry("fault_events", String.valueOf(pages))
                .containsEntry("fault_to_install_count", String.valueOf(2 * pages));
        assertNumbersAreSane(kvm);
        assertThat(run.err()).contains("[1/6] kvm on anonymous", "repetition 1/2",
                "[4/6] uffd-missing on anonymous", "[6/6] kvm on anonymous", "repetition 2/2");
    }

    /**
     * --wire 10g: every first touch that faults stalls its vCPU at least as long as its fetch
     * takes on the wire (the model never delivers early). The engine's KVM and userfaultfd
     * paths on 4 KiB pages (>= 33.3 us each), and the minimal userfaultfd handler on hugetlb
     * 2 MiB, which fetches the whole huge page per fault (>= 1.71 ms). (The engine's
     * userfaultfd hugetlb path fetches a huge page as 512 runs of 4 KiB, seconds under
     * emulation with a wire: left to kvmdp bench.)
     */
    @Test
    void cliBenchOverAWireStallsEachFirstTouchForItsBytes() {
        assumeKvmDemandPaging("kvm");
        DebugKernel.assumeNormalKernel(CLI_OUTPUT_ONLY);
        Wire wire = Wire.preset("10g").orElseThrow();
        List<List<String>> runs = new ArrayList<>(List.of(
                List.of("--mechanism", "kvm", "--backing", "anonymous", "--memory", "512K"),
                List.of("--mechanism", "uffd-missing", "--backing", "anonymous", "--memory", "512K")));
        if (Backing.HUGETLB_2M.unavailabilityReason(SIZE).isEmpty()) {
            runs.add(List.of("--engine", "minimal", "--mechanism", "uffd-missing", "--backing",
                    "hugetlb2m", "--memory", "2M"));
        }
        for (List<String> options : runs) {
            List<String> args = new ArrayList<>(options);
            args.addAll(List.of("--access", "read", "--wire", "10g", "--json"));
            Map<String, String> row = bench(args.toArray(String[]::new)).jsonRows().get(0);
            long bytes = options.contains("hugetlb2m") ? 2L << 20 : PAGE;
            assertThat(row).as(options.toString()).containsEntry("wire", "10g")
                    .containsEntry("mismatches", "0").containsEntry("not_installed_once", "0")
                    .containsEntry("bytes_per_fault", String.valueOf(bytes));
            assertThat(Long.parseLong(row.get("guest_stall_count"))).isPositive();
            assertThat(Double.parseDouble(row.get("guest_stall_p50_us")) * 1e3).as(options.toString())
                    .isGreaterThanOrEqualTo(wire.requestNanos(bytes) - 1);
            assertThat(Double.parseDouble(row.get("wire_late_us"))).isNotNegative();
            assertNumbersAreSane(row);
        }
    }

    /** --source file with a named image: the file is written, kept, and served. */
    @Test
    void cliBenchFromAnImageFileAsJson() throws Exception {
        assumeHugePages("hugetlb2m");
        Path dir = Files.createTempDirectory("kvmdp-bench-test");
        Path image = dir.resolve("guest.img");
        try {
            BenchOutput run = bench("--mechanism", "uffd-minor", "--backing", "hugetlb2m",
                    "--memory", "4M", "--access", "read", "--source", "file", "--image",
                    image.toString(), "--json");
            assertThat(Files.size(image)).isEqualTo(SIZE);
            List<Map<String, String>> rows = run.jsonRows();
            assertThat(rows).hasSize(1);
            Map<String, String> row = rows.get(0);
            assertThat(row).containsEntry("mechanism", "uffd-minor")
                    .containsEntry("backing", "hugetlb2m").containsEntry("source", "file")
                    .containsEntry("mismatches", "0").containsEntry("not_installed_once", "0")
                    .containsEntry("pages", String.valueOf(SIZE / PAGE));
            assertNumbersAreSane(row);
            // Huge pages come whole: at most one fault event per 2 MiB page.
            assertThat(Long.parseLong(row.get("fault_events"))).isLessThanOrEqualTo(SIZE >> 21);
        } finally {
            Files.deleteIfExists(image);
            Files.deleteIfExists(dir);
        }
    }

    /** --source tcp: a page server on 127.0.0.1 in the same process; CSV output. */
    @Test
    void cliBenchOverTcpAsCsv() {
        assumeKvmDemandPaging("kvm");
        BenchOutput run = bench("--mechanism", "kvm", "--backing", "shmem", "--vcpus", "2",
                "--memory", "2M", "--access", "read", "--source", "tcp", "--csv");
        List<Map<String, String>> rows = run.csvRows();
        assertThat(rows).hasSize(1);
        Map<String, String> row = rows.get(0);
        assertThat(row).containsEntry("mechanism", "kvm").containsEntry("source", "tcp")
                .containsEntry("vcpus", "2").containsEntry("mismatches", "0")
                .containsEntry("not_installed_once", "0");
        assertThat(row.get("vcpu_pages_per_second").split(";")).hasSize(2)
                .allSatisfy(v -> assertThat(Double.parseDouble(v)).isPositive());
        assertNumbersAreSane(row);
    }

    /** What one in-process kvmdp bench run printed, parsed. */
    record BenchOutput(String out, String err) {
        /** Table lines between the header and the key, split on blanks. */
        List<String[]> tableRows() {
            return out.lines().skip(1).filter(l -> !l.startsWith("#") && !l.isBlank())
                    .map(l -> l.trim().split("\\s+")).collect(Collectors.toList());
        }

        /** Each row object's members as text (the host tests check that this is valid JSON). */
        /**
         * The rows of {@code --json} output, read with Jackson; each member as text (numbers
         * as written, arrays as "[a, b]"), for assertions shared with {@link #csvRows}.
         */
        List<Map<String, String>> jsonRows() {
            JsonNode root;
            try {
                root = new ObjectMapper().readTree(out);
            } catch (JsonProcessingException e) {
                throw new AssertionError("bench --json printed no valid JSON: " + out, e);
            }
            assertThat(root.isObject()).as(out).isTrue();
            assertThat(root.get("rows").isArray()).as(out).isTrue();
            List<Map<String, String>> rows = new ArrayList<>();
            for (JsonNode object : root.get("rows")) {
                Map<String, String> row = new LinkedHashMap<>();
                object.fields().forEachRemaining(m -> row.put(m.getKey(), text(m.getValue())));
                rows.add(row);
            }
            return rows;
        }

        private static String text(JsonNode value) {
            if (!value.isArray()) {
                return value.asText();
            }
            List<String> items = new ArrayList<>();
            value.forEach(item -> items.add(item.asText()));
            return "[" + String.join(", ", items) + "]";
        }

        List<Map<String, String>> csvRows() {
            List<String> lines = out.lines().collect(Collectors.toList());
            String[] header = lines.get(0).split(",");
            List<Map<String, String>> rows = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                String[] cells = line.split(",", -1);
                assertThat(cells).as(line).hasSameSizeAs(header);
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < header.length; i++) {
                    row.put(header[i], cells[i]);
                }
                rows.add(row);
            }
            return rows;
        }
    }

    private static BenchOutput bench(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 1];
        all[0] = "bench";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all);
        System.out.print(out);
        System.out.print(err);
        assertThat(code).as(err.toString()).isZero();
        return new BenchOutput(out.toString(), err.toString());
    }

    /**
     * One table row: mechanism backing vCPUs pages demand swept prefill faults pages/s
     * range(min-max) vCPU-min-max p50 p99 p99.9 max stall-p50 bytes/fault mismatch.
     */
    private static void assertTableRow(String[] r, String mechanism, String backing, int vcpus) {
        assertThat(r).as(String.join(" ", r)).hasSize(18);
        assertThat(r[0]).isEqualTo(mechanism);
        assertThat(r[1]).isEqualTo(backing);
        assertThat(Integer.parseInt(r[2])).isEqualTo(vcpus);
        long pages = Long.parseLong(r[3]);
        assertThat(pages).isEqualTo(vcpus * (2L << 20) / PAGE);
        long demand = Long.parseLong(r[4]);
        long swept = Long.parseLong(r[5]);
        long prefilled = Long.parseLong(r[6]);
        if (mechanism.equals("none")) {
            assertThat(prefilled).isEqualTo(pages);
            assertThat(demand + swept).isZero();
        } else {
            assertThat(demand + swept).isEqualTo(pages);
            assertThat(prefilled).isZero();
            assertThat(Long.parseLong(r[7])).as("fault events").isPositive();
        }
        double rate = Double.parseDouble(r[8]);
        assertThat(rate).as("pages/s").isPositive();
        // One repetition: its range is that one rate.
        assertThat(r[9]).as("range").isEqualTo(r[8] + "-" + r[8]);
        String[] minMax = r[10].split("-");
        assertThat(Double.parseDouble(minMax[0])).isPositive()
                .isLessThanOrEqualTo(Double.parseDouble(minMax[1]));
        double p50 = Double.parseDouble(r[11]);
        double p99 = Double.parseDouble(r[12]);
        double p999 = Double.parseDouble(r[13]);
        double max = Double.parseDouble(r[14]);
        assertThat(p50).isLessThanOrEqualTo(p99);
        assertThat(p99).isLessThanOrEqualTo(p999);
        assertThat(p999).isLessThanOrEqualTo(max);
        double stall = Double.parseDouble(r[15]);
        assertThat(stall).as("stall p50").isGreaterThanOrEqualTo(0);
        if (mechanism.equals("none")) {
            assertThat(stall).isZero();
        }
        Long.parseLong(r[16]);
        assertThat(r[17]).as("mismatches").isEqualTo("0");
    }

    private static void assertNumbersAreSane(Map<String, String> row) {
        long pages = Long.parseLong(row.get("pages"));
        assertThat(Long.parseLong(row.get("demand_pages")) + Long.parseLong(row.get("swept_pages")))
                .isEqualTo(pages);
        assertThat(Long.parseLong(row.get("fault_events"))).isPositive();
        assertThat(Double.parseDouble(row.get("pages_per_second"))).isPositive();
        double p50 = Double.parseDouble(row.get("fault_to_install_p50_us"));
        double p99 = Double.parseDouble(row.get("fault_to_install_p99_us"));
        double p999 = Double.parseDouble(row.get("fault_to_install_p999_us"));
        assertThat(p50).isLessThanOrEqualTo(p99);
        assertThat(p99).isLessThanOrEqualTo(p999);
    }

    private static void assumeHugePages(String backing) {
        assumeTrue(!backing.equals("hugetlb2m")
                || Backing.HUGETLB_2M.unavailabilityReason(SIZE).isEmpty(), "no 2M huge pages");
    }

    private static void assumeKvmDemandPaging(String mechanism) {
        if (mechanism.equals("kvm")) {
            try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
                assumeTrue(DemandPaging.of(guest.vm()).isSupported(),
                        "kernel without KVM_CAP_DEMAND_PAGING");
            }
        }
    }

    private static boolean checksumsEqual(PageChecksums a, PageChecksums b, long pages) {
        if (a.pageCount() != pages || b.pageCount() != pages) {
            return false;
        }
        for (long p = 0; p < pages; p++) {
            if (a.get(p) != b.get(p)) {
                return false;
            }
        }
        return true;
    }
}
