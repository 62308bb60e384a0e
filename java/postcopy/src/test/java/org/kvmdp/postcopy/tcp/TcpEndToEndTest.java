// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvmdp.postcopy.BufferInstaller;
import org.kvmdp.postcopy.ChecksumMismatchException;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.PostcopyOptions;
import org.kvmdp.postcopy.TestImages;
import org.kvmdp.postcopy.Urgency;
import org.kvmdp.postcopy.WrappingPageSource;

/** Page server to client to tracker to installer to checksums, on loopback. */
@Timeout(120)
class TcpEndToEndTest {
    private static final int PAGES = 4096; // 16 MiB
    private static final byte[] IMAGE = TestImages.random(PAGES, 42);
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void racingRequestersAndTheSweepInstallEveryPageOnceAndChecksumsMatch() throws Exception {
        int requesters = 4;
        int faultsEach = 300;
        // Every requester is served once before the sweep starts, so demand and sweep
        // overlap by construction, not by timing; afterwards they race freely.
        PageSource image = MemoryPageSource.copyOf(IMAGE);
        CountDownLatch firstDemandServed = new CountDownLatch(requesters);
        BufferInstaller installer = new BufferInstaller(IMAGE.length);
        PageTracker tracker = new PageTracker(PAGES);
        AtomicInteger servedBeforeSweepEnded = new AtomicInteger();
        try (PageServer server = PageServer.start(image, LOOPBACK);
                TcpPageSource source = TcpPageSource.connect(server.address(), TcpOptions.defaults());
                PostcopyDestination destination = new PostcopyDestination(source, tracker,
                        installer, PostcopyOptions.defaults().withSweepBatchPages(16), null)) {
            ExecutorService pool = Executors.newFixedThreadPool(requesters);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int r = 0; r < requesters; r++) {
                String name = "vcpu-" + r;
                Random random = new Random(r);
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < faultsEach; i++) {
                        // Mostly the far end, which the sweep reaches last; some shared pages.
                        long page = i % 10 == 0 ? random.nextInt(32)
                                : PAGES / 2 + random.nextInt(PAGES / 2);
                        destination.awaitPage(page, name);
                        assertThat(tracker.isReceived(page)).isTrue();
                        if (!tracker.allReceived().isDone()) {
                            servedBeforeSweepEnded.incrementAndGet();
                        }
                        if (i == 0) {
                            firstDemandServed.countDown();
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            assertThat(firstDemandServed.await(60, TimeUnit.SECONDS))
                    .as("every requester served before the sweep starts").isTrue();
            destination.start();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            MigrationReport report = destination.awaitCompletion(Duration.ofSeconds(60));

            assertThat(installer.pagesNotInstalledOnce()).as("pages not installed exactly once").isZero();
            assertThat(installer.memory()).isEqualTo(IMAGE);
            assertThat(server.stats().pagesServed()).as("pages sent").isEqualTo(PAGES);
            assertThat(server.stats().pagesServedAgain()).as("pages sent twice").isZero();
            assertThat(report.pagesDemandFetched()).isPositive();
            assertThat(report.pagesSwept()).isPositive();
            assertThat(report.pagesDemandFetched() + report.pagesSwept()).isEqualTo(PAGES);
            assertThat(report.bytesTransferred()).isEqualTo((long) PAGES * Pages.SIZE);
            assertThat(servedBeforeSweepEnded.get()).as("demand served while sweeping").isPositive();
            assertThat(server.stats().urgentRequests()).isEqualTo(report.pagesDemandFetched());
            assertThat(report.requesters()).hasSize(requesters);
            assertThat(report.requesters().values()).allSatisfy(r ->
                    assertThat(r.faults()).isEqualTo(faultsEach));
            assertThat(report.faultToInstall().count()).isPositive();
            assertThat(report.faultToInstall().p99Nanos())
                    .isGreaterThanOrEqualTo(report.faultToInstall().p50Nanos());
        } finally {
            image.close();
        }
    }

    @Test
    void aPageCorruptedAtTheSourceIsCaughtByTheChecksums() {
        PageSource image = WrappingPageSource.corrupting(MemoryPageSource.copyOf(IMAGE), 1234);
        BufferInstaller installer = new BufferInstaller(IMAGE.length);
        try (PageServer server = PageServer.start(image, LOOPBACK);
                TcpPageSource source = TcpPageSource.connect(server.address(), TcpOptions.defaults());
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer, PostcopyOptions.defaults(), null)) {
            destination.awaitPage(1234, "vcpu-0");
            destination.start();
            assertThatThrownBy(() -> destination.awaitCompletion(Duration.ofSeconds(60)))
                    .isInstanceOf(ChecksumMismatchException.class)
                    .hasMessageContaining("1 of 4096 pages differ")
                    .hasMessageContaining("pages 1234");
        }
    }

    @Test
    void checksumsComeOverTheWireInChunks() {
        int pages = Wire.MAX_CHECKSUMS_PER_MESSAGE + 100;
        byte[] big = new byte[pages * Pages.SIZE];
        big[pages * Pages.SIZE - 1] = 1;
        try (PageSource image = MemoryPageSource.copyOf(big);
                PageServer server = PageServer.start(image, LOOPBACK);
                TcpPageSource source = TcpPageSource.connect(server.address(), TcpOptions.defaults())) {
            assertThat(source.pageCount()).isEqualTo(pages);
            assertThat(source.checksums().mismatches(image.checksums())).isEmpty();
        }
    }

    @Test
    void fetchesArePipelinedAndCompleteIntoTheirOwnBuffers() {
        try (PageSource image = MemoryPageSource.copyOf(IMAGE);
                PageServer server = PageServer.start(image, LOOPBACK);
                TcpPageSource source = TcpPageSource.connect(server.address(), TcpOptions.defaults())) {
            List<ByteBuffer> buffers = new ArrayList<>();
            List<java.util.concurrent.CompletableFuture<Void>> futures = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(2 * Pages.SIZE);
                buffers.add(b);
                futures.add(source.fetch(new PageRun(i * 2L, 2),
                        i % 2 == 0 ? Urgency.DEMAND : Urgency.BACKGROUND, b));
            }
            for (int i = 0; i < 50; i++) {
                assertThat(futures.get(i)).succeedsWithin(Duration.ofSeconds(10));
                byte[] got = new byte[2 * Pages.SIZE];
                buffers.get(i).get(0, got);
                byte[] want = java.util.Arrays.copyOfRange(IMAGE, i * 2 * Pages.SIZE,
                        (i + 1) * 2 * Pages.SIZE);
                assertThat(got).isEqualTo(want);
            }
        }
    }

    /**
     * With checksums checked on arrival, an install runs on a connection's reader thread: the
     * checksums must already be there, or that thread would wait for an answer only it can
     * read (it did: the sweep stalled until the request timed out).
     */
    @Test
    void checksumOnInstallOverTcpCompletesWithTheSweepAlone() throws Exception {
        PageSource image = MemoryPageSource.copyOf(IMAGE);
        BufferInstaller installer = new BufferInstaller(IMAGE.length);
        TcpOptions options = TcpOptions.defaults().withRequestTimeout(Duration.ofSeconds(2));
        try (PageServer server = PageServer.start(image, LOOPBACK);
                TcpPageSource source = TcpPageSource.connect(server.address(), options);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer,
                        PostcopyOptions.defaults().withChecksumOnInstall(true), null)) {
            destination.start();
            MigrationReport report = destination.awaitCompletion(Duration.ofSeconds(60));
            assertThat(report.pagesSwept()).isEqualTo(PAGES);
            assertThat(installer.memory()).isEqualTo(IMAGE);
        }
    }
}
