// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kvmdp.cli.Main;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.memory.Backing;
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
 * by KVM demand paging or by userfaultfd MISSING. The guest checks every page it reads; the
 * engine checks every page's CRC32C against the source's at the end.
 */
class PostcopyTouchTest {
    static final long PAGE = Pages.SIZE;
    static final long SEED = 0x706f7374636f7079L;
    static final long SIZE = 4L << 20; // two 2 MiB pages on hugetlb
    static final Duration TIMEOUT = Duration.ofMinutes(3);
    /** Demand-fetched pages before the sweep starts, so both paths carry pages. */
    static final long DEMAND_BEFORE_SWEEP = 8;

    static Stream<Arguments> mechanismsBackingsVcpus() {
        return Stream.of("kvm", "uffd-missing").flatMap(m ->
                Stream.of(Backing.ANONYMOUS, Backing.HUGETLB_2M).flatMap(b ->
                        Stream.of(1, 2).map(n -> Arguments.of(m, b, n))));
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
                PostcopyTouchRun.Result outcome = mechanism.equals("kvm")
                        ? PostcopyTouchRun.kvm(guest, region, source, params)
                        : PostcopyTouchRun.uffdMissing(guest, region, source, params);
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
                assertThat(report.pagesSwept()).as("swept").isPositive();
                assertThat(report.pagesDemandFetched() + report.pagesSwept()).isEqualTo(pages);
                assertThat(report.bytesTransferred()).isEqualTo(SIZE);
            }
        }
    }

    @ParameterizedTest(name = "kvmdp bench --mechanism {0} --backing {1} [{index}]")
    @MethodSource("cliRuns")
    void cliBenchRunsAndPrintsTheTable(String mechanism, String backing) {
        assumeTrue(!backing.equals("hugetlb2m")
                || Backing.HUGETLB_2M.unavailabilityReason(SIZE).isEmpty(), "no 2M huge pages");
        if (mechanism.equals("kvm")) {
            try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
                assumeTrue(DemandPaging.of(guest.vm()).isSupported(),
                        "kernel without KVM_CAP_DEMAND_PAGING");
            }
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "bench",
                "--mechanism", mechanism, "--backing", backing, "--vcpus", "2", "--memory", "2M",
                "--access", "read");
        System.out.print(out);
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("pages/s", "p50(us)", "p99(us)", "bytes/fault",
                mechanism + " ", "checksums verified");
    }

    static Stream<Arguments> cliRuns() {
        return Stream.of("kvm", "uffd-missing").flatMap(m ->
                Stream.of("anonymous", "hugetlb2m").map(b -> Arguments.of(m, b)));
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
