// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.kvmdp.postcopy.tcp.TcpEndToEndTest.LOOPBACK;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvmdp.postcopy.BufferInstaller;
import org.kvmdp.postcopy.GatedPageSource;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.MigrationFailedException;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.PageSourceException;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.PostcopyOptions;
import org.kvmdp.postcopy.TestImages;
import org.kvmdp.postcopy.Urgency;

/**
 * Post-copy recovery: the connection to a live source breaks (a {@link CuttingProxy} cuts
 * every connection mid-frame), the destination pauses, reconnects, asks again for what was
 * outstanding and finishes with every page right and none installed twice; a source that
 * never comes back, or comes back as someone else, fails the migration with a clear error.
 */
@Timeout(120)
class TcpRecoveryTest {
    private static final int PAGES = 4096; // 16 MiB
    private static final byte[] IMAGE = TestImages.random(PAGES, 77);
    /** Quick retries: the tests wait on the reconnects, not on a clock. */
    private static final TcpOptions QUICK = TcpOptions.defaults()
            .withReconnect(5, Duration.ofMillis(10));

    @Test
    void aMigrationSurvivesThreeCutsMidFrameWithEveryPageRightAndInstalledOnce()
            throws Exception {
        int requesters = 3;
        int faultsEach = 200;
        PageSource image = MemoryPageSource.copyOf(IMAGE);
        BufferInstaller installer = new BufferInstaller(IMAGE.length);
        PageTracker tracker = new PageTracker(PAGES);
        List<String> events = new CopyOnWriteArrayList<>();
        long mib = 1 << 20;
        try (PageServer server = PageServer.start(image, LOOPBACK);
                CuttingProxy proxy = new CuttingProxy(server.address(),
                        List.of(2 * mib, 6 * mib, 10 * mib));
                TcpPageSource source = TcpPageSource.connect(proxy.address(), QUICK, events::add);
                PostcopyDestination destination = new PostcopyDestination(source, tracker,
                        installer, PostcopyOptions.defaults().withSweepBatchPages(16), null)) {
            ExecutorService pool = Executors.newFixedThreadPool(requesters);
            List<Future<?>> done = new ArrayList<>();
            for (int r = 0; r < requesters; r++) {
                String name = "vcpu-" + r;
                Random random = new Random(r);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < faultsEach; i++) {
                        // Vcpus wait through the cuts; none may fail.
                        destination.awaitPage(random.nextInt(PAGES), name);
                    }
                    return null;
                }));
            }
            destination.start();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            MigrationReport report = destination.awaitCompletion(Duration.ofSeconds(60));

            assertThat(proxy.cuts()).as("connections cut mid-frame").isEqualTo(3);
            assertThat(source.drops()).as("drops seen").isGreaterThanOrEqualTo(3);
            assertThat(events).filteredOn(e -> e.startsWith("reconnected the "))
                    .hasSizeGreaterThanOrEqualTo(3);
            assertThat(events).anySatisfy(e -> assertThat(e)
                    .contains("connection closed after").contains("bytes of a PAGES body")
                    .contains("pausing its"));
            // The page cut off mid-frame was asked for again, and only installed whole.
            assertThat(server.stats().pagesServedAgain()).as("pages sent again").isPositive();
            assertThat(installer.pagesNotInstalledOnce()).as("pages not installed exactly once")
                    .isZero();
            assertThat(installer.memory()).isEqualTo(IMAGE);
            assertThat(report.pagesDemandFetched() + report.pagesSwept()).isEqualTo(PAGES);
            assertThat(report.requesters().values()).allSatisfy(r ->
                    assertThat(r.faults()).isEqualTo(faultsEach));
        } finally {
            image.close();
        }
    }

    /**
     * A vCPU waiting through a pause longer than its page timeout still gets its page: the
     * timeout starts again while the source reconnects. Longer by construction: the requester
     * waits from before one reconnect attempt's backoff until after the next two (at least
     * 100 + 200 ms, the page timeout is 100 ms), counted in attempts, not measured.
     */
    @Test
    void aVcpuWaitsThroughAPauseLongerThanItsPageTimeout() throws Exception {
        PageSource image = MemoryPageSource.copyOf(IMAGE);
        List<String> events = new CopyOnWriteArrayList<>();
        BufferInstaller installer = new BufferInstaller(IMAGE.length);
        PageTracker tracker = new PageTracker(PAGES);
        try (PageServer server = PageServer.start(image, LOOPBACK);
                CuttingProxy proxy = new CuttingProxy(server.address(), List.of(0L));
                TcpPageSource source = TcpPageSource.connect(proxy.address(),
                        TcpOptions.defaults().withReconnect(10, Duration.ofMillis(100)),
                        events::add);
                PostcopyDestination destination = new PostcopyDestination(source, tracker,
                        installer, PostcopyOptions.defaults()
                                .withPageTimeout(Duration.ofMillis(100)), null)) {
            proxy.blackholeAfterTheLastCut();
            // The first page's answer is cut off; the source stays away until reopened.
            CompletableFuture<Void> first = CompletableFuture.runAsync(() ->
                    destination.awaitPage(0, "vcpu-0"));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> source.isReconnecting() && tracker.isRequested(0));
            CompletableFuture<Void> second = CompletableFuture.runAsync(() ->
                    destination.awaitPage(PAGES - 1, "vcpu-1"));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> tracker.isRequested(PAGES - 1));
            long attemptsBefore = attempts(events);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> attempts(events) >= attemptsBefore + 3);
            assertThat(first).isNotDone();
            assertThat(second).isNotDone();
            proxy.reopen();
            assertThat(first).succeedsWithin(Duration.ofSeconds(30));
            assertThat(second).succeedsWithin(Duration.ofSeconds(30));
            assertThat(installer.memory()).startsWith(java.util.Arrays.copyOf(IMAGE, Pages.SIZE));
            assertThat(events).anySatisfy(e -> assertThat(e).startsWith("reconnected the demand"));
        } finally {
            image.close();
        }
    }

    private static long attempts(List<String> events) {
        return events.stream().filter(e -> e.startsWith("reconnecting the demand")).count();
    }

    @Test
    void aSourceThatNeverComesBackFailsAfterTheBoundedRetriesAndReleasesTheVcpus()
            throws Exception {
        PageSource image = MemoryPageSource.copyOf(IMAGE);
        List<String> events = new CopyOnWriteArrayList<>();
        try (PageServer server = PageServer.start(image, LOOPBACK);
                CuttingProxy proxy = new CuttingProxy(server.address(), List.of(2L << 20));
                TcpPageSource source = TcpPageSource.connect(proxy.address(),
                        TcpOptions.defaults().withReconnect(3, Duration.ofMillis(10)),
                        events::add);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), new BufferInstaller(IMAGE.length),
                        PostcopyOptions.defaults(), null)) {
            proxy.blackholeAfterTheLastCut(); // accepts, and hangs up before any WELCOME
            destination.start();
            assertThatThrownBy(() -> destination.awaitCompletion(Duration.ofSeconds(60)))
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("connection closed after")
                    .hasMessageContaining("gave up reconnecting after 3 attempts without an answer")
                    .hasMessageContaining("instead of answering HELLO");
            // A vCPU asking now is told at once, with the same cause.
            assertThatThrownBy(() -> destination.awaitPage(PAGES - 1, "vcpu-late"))
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("gave up reconnecting");
            assertThat(proxy.cuts()).isEqualTo(1);
            assertThat(events).filteredOn(e -> e.startsWith("reconnecting the background"))
                    .extracting(e -> e.replaceAll(".*\\(attempt ", "("))
                    .containsExactly("(1 of 3)", "(2 of 3)", "(3 of 3)");
        } finally {
            image.close();
        }
    }

    /** Reconnecting does not go on for ever when the source accepts but never answers. */
    @Test
    void aSourceThatAcceptsButNeverAnswersIsGivenUpAfterTheBoundedRetries() {
        GatedPageSource image = new GatedPageSource(MemoryPageSource.copyOf(IMAGE), 0);
        TcpOptions options = TcpOptions.defaults().withRequestTimeout(Duration.ofMillis(200))
                .withReconnect(2, Duration.ofMillis(10));
        try (PageServer server = PageServer.start(image, LOOPBACK);
                TcpPageSource source = TcpPageSource.connect(server.address(), options)) {
            CompletableFuture<Void> f = source.fetch(PageRun.of(5), Urgency.DEMAND,
                    ByteBuffer.allocate(Pages.SIZE));
            assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS))
                    .cause().isInstanceOf(PageSourceException.class)
                    .hasMessageContaining("page server sent no answer to request #1 (pages [5, 6))")
                    .hasMessageContaining("gave up reconnecting after 2 attempts without an"
                            + " answer (last: reconnected, and no answer came)");
            assertThat(source.drops()).isEqualTo(3);
        } finally {
            image.open();
        }
    }

    @Test
    void aDifferentSourceAnsweringAfterADropIsNotTrusted() throws Exception {
        AtomicInteger demandConnections = new AtomicInteger();
        try (ScriptedServer restarted = new ScriptedServer((channel, in, out) -> {
            boolean first = channel != Wire.CHANNEL_DEMAND || demandConnections.incrementAndGet() == 1;
            ScriptedServer.welcome(out, Wire.MAGIC, Wire.VERSION, IMAGE.length,
                    first ? ScriptedServer.SESSION : ScriptedServer.SESSION + 1);
            if (channel == Wire.CHANNEL_DEMAND && first) {
                in.readNBytes(Wire.FRAME_HEADER_BYTES + 21); // the request, then a hang-up
                out.close();
                return;
            }
            ScriptedServer.idle(in);
        });
                TcpPageSource source = TcpPageSource.connect(restarted.address(), QUICK)) {
            CompletableFuture<Void> f = source.fetch(PageRun.of(0), Urgency.DEMAND,
                    ByteBuffer.allocate(Pages.SIZE));
            assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(PageSourceException.class)
                    .hasMessageContaining("page server closed the demand channel")
                    .hasMessageContaining("a different page server answers")
                    .hasMessageContaining("the source lost this migration's state");
            assertThat(demandConnections.get()).isEqualTo(2);
        }
    }

    @Test
    void aProtocolViolationIsNotRetried() throws Exception {
        try (ScriptedServer bad = new ScriptedServer((channel, in, out) -> {
            ScriptedServer.welcome(out, Wire.MAGIC, Wire.VERSION, IMAGE.length);
            if (channel == Wire.CHANNEL_DEMAND) {
                in.readNBytes(Wire.FRAME_HEADER_BYTES + 21);
                out.writeByte(0x99);
                out.writeInt(0);
                out.flush();
            }
            ScriptedServer.idle(in);
        });
                TcpPageSource source = TcpPageSource.connect(bad.address(), QUICK)) {
            CompletableFuture<Void> f = source.fetch(PageRun.of(0), Urgency.DEMAND,
                    ByteBuffer.allocate(Pages.SIZE));
            assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS))
                    .cause().hasMessageContaining("unknown message type 0x99");
            assertThat(source.drops()).isZero();
            assertThat(bad.accepted()).as("one connection per channel, no reconnect").isEqualTo(2);
        }
    }
}
