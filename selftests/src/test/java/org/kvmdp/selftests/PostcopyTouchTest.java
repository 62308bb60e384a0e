// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageChecksums;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.PostcopyOptions;
import org.kvmdp.postcopy.driver.KvmDemandPagingDriver;
import org.kvmdp.postcopy.driver.KvmDemandPagingInstaller;
import org.kvmdp.postcopy.driver.UffdInstaller;
import org.kvmdp.postcopy.driver.UffdMissingDriver;
import org.kvmdp.postcopy.tcp.PageServer;
import org.kvmdp.postcopy.tcp.TcpOptions;
import org.kvmdp.postcopy.tcp.TcpPageSource;
import org.kvmdp.uffd.Userfaultfd;

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
    void guestReadsTheSourceImageWhilePagesArrive(String mechanism, Backing backing, int vcpus)
            throws Exception {
        assumeTrue(backing.unavailabilityReason(SIZE).isEmpty(),
                () -> backing + " unavailable: " + backing.unavailabilityReason(SIZE).get());
        long pages = SIZE / PAGE;
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(backing, SIZE);
            ByteBuffer image = imageFor(region);
            MemoryPageSource memorySource = MemoryPageSource.wrap(image);
            try (PageServer server = PageServer.start(memorySource,
                    new InetSocketAddress("127.0.0.1", 0));
                    TcpPageSource source = TcpPageSource.connect(server.address(),
                            TcpOptions.defaults())) {
                Outcome outcome = mechanism.equals("kvm")
                        ? runWithKvm(guest, region, source, vcpus)
                        : runWithUffd(guest, region, source, vcpus);
                MigrationReport report = outcome.report();
                System.out.printf("%s %s %d vCPU(s): %s", mechanism, backing, vcpus, report);

                assertThat(outcome.guest().touched()).isEqualTo(pages);
                assertThat(outcome.guest().mismatches()).as("pages the guest read wrong").isZero();
                // awaitCompletion compared every installed page with the source's CRC32C;
                // the checksums it got over TCP are the image's own.
                assertThat(checksumsEqual(source.checksums(), PageChecksums.compute(memorySource),
                        pages)).as("checksums over TCP match the image").isTrue();
                assertThat(outcome.notInstalledOnce()).as("pages not installed exactly once")
                        .isZero();
                assertThat(report.pageCount()).isEqualTo(pages);
                assertThat(report.pagesDemandFetched()).as("demand-fetched").isPositive();
                assertThat(report.pagesSwept()).as("swept").isPositive();
                assertThat(report.pagesDemandFetched() + report.pagesSwept()).isEqualTo(pages);
            }
        }
    }

    record Outcome(TouchPages.Result guest, MigrationReport report, long notInstalledOnce) {}

    private static Outcome runWithKvm(GuestVm guest, MemoryRegion region, TcpPageSource source,
            int vcpus) throws Exception {
        DemandPaging dp = DemandPaging.of(guest.vm());
        assumeTrue(dp.isSupported(), "kernel without KVM_CAP_DEMAND_PAGING");
        KvmDemandPagingInstaller installer = new KvmDemandPagingInstaller(region, dp);
        try (PostcopyDestination destination = destination(source, installer);
                KvmDemandPagingDriver driver = new KvmDemandPagingDriver(dp, region, destination)) {
            TouchPages.Result result = runGuest(guest, region, vcpus, destination,
                    driver.faultHandler());
            MigrationReport report = driver.awaitCompletion(TIMEOUT);
            assertThat(driver.readerFailure()).isEmpty();
            return new Outcome(result, report, installer.pagesNotInstalledExactlyOnce());
        }
    }

    private static Outcome runWithUffd(GuestVm guest, MemoryRegion region, TcpPageSource source,
            int vcpus) throws Exception {
        try (Userfaultfd uffd = Userfaultfd.open(UffdMissingDriver.featuresFor(region));
                UffdInstaller installer = new UffdInstaller(region, uffd);
                PostcopyDestination destination = destination(source, installer);
                UffdMissingDriver driver = new UffdMissingDriver(uffd, region, installer,
                        destination)) {
            TouchPages.Result result = runGuest(guest, region, vcpus, destination,
                    (vcpu, fault) -> {
                        throw new IllegalStateException("memory fault without KVM demand"
                                + " paging: " + fault);
                    });
            MigrationReport report = driver.awaitCompletion(TIMEOUT);
            assertThat(driver.handlerFailure()).isEmpty();
            return new Outcome(result, report, installer.pagesNotInstalledExactlyOnce());
        }
    }

    private static PostcopyDestination destination(TcpPageSource source,
            org.kvmdp.postcopy.PageInstaller installer) {
        return new PostcopyDestination(source, new PageTracker(source.pageCount()), installer,
                PostcopyOptions.defaults().withPageTimeout(Duration.ofMinutes(1)), null);
    }

    /**
     * Runs the guest; the sweep starts once a few pages were demand-fetched, so the test sees
     * both paths whatever the relative speed of the guest and the sweep.
     */
    private static TouchPages.Result runGuest(GuestVm guest, MemoryRegion region, int vcpus,
            PostcopyDestination destination, TouchPages.MemoryFaultHandler faults)
            throws Exception {
        AtomicReference<Throwable> starterFailure = new AtomicReference<>();
        Thread starter = new Thread(() -> {
            try {
                long deadline = System.nanoTime() + TIMEOUT.toNanos();
                while (destination.report().pagesDemandFetched() < DEMAND_BEFORE_SWEEP
                        && destination.failure().isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                destination.start();
            } catch (Throwable e) {
                starterFailure.set(e);
            }
        }, "sweep-starter");
        starter.start();
        try {
            return TouchPages.run(guest, region,
                    new TouchPages.Params(vcpus, false, PAGE, SEED, 0, TIMEOUT), faults);
        } finally {
            starter.join(TIMEOUT.toMillis());
            assertThat(starterFailure.get()).isNull();
        }
    }

    /** Random bytes, with the word touch_pages checks at the start of every page. */
    private static ByteBuffer imageFor(MemoryRegion region) {
        byte[] bytes = new byte[(int) region.size()];
        new Random(SEED).nextBytes(bytes);
        ByteBuffer image = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (long offset = 0; offset < region.size(); offset += PAGE) {
            image.putLong((int) offset, TouchPages.expectedValue(region.gpa() + offset, SEED));
        }
        return image;
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
