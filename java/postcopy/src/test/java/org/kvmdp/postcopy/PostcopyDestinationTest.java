// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine over a local source; the TCP end-to-end runs are in tcp/. */
@Timeout(60)
class PostcopyDestinationTest {
    private static final int PAGES = 1000;
    private static final byte[] IMAGE = TestImages.random(PAGES, 7);

    @Test
    void sweepAloneInstallsEveryPageOnceInCappedBatches() {
        List<MigrationProgress> progress = new CopyOnWriteArrayList<>();
        BufferInstaller installer = new BufferInstaller(IMAGE.length);
        try (PageSource source = MemoryPageSource.copyOf(IMAGE);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer,
                        PostcopyOptions.defaults().withSweepBatchPages(64), progress::add)) {
            destination.start();
            MigrationReport report = destination.awaitCompletion(Duration.ofSeconds(30));

            assertThat(installer.pagesNotInstalledOnce()).isZero();
            assertThat(installer.memory()).isEqualTo(IMAGE);
            assertThat(installer.published()).allSatisfy(r -> assertThat(r.count()).isLessThanOrEqualTo(64));
            // 1000 = 15 * 64 + 40: the last batch is the short final flush.
            assertThat(installer.published()).hasSize(16).contains(new PageRun(960, 40));
            assertThat(report.pagesSwept()).isEqualTo(PAGES);
            assertThat(report.pagesDemandFetched()).isZero();
            assertThat(report.bytesTransferred()).isEqualTo(IMAGE.length);
            assertThat(progress).last().satisfies(p -> assertThat(p.pagesReceived()).isEqualTo(PAGES));
        }
    }

    @Test
    void demandBeforeTheSweepIsFetchedOnceAndCounted() {
        BufferInstaller installer = new BufferInstaller(IMAGE.length);
        try (PageSource source = MemoryPageSource.copyOf(IMAGE);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer, PostcopyOptions.defaults(), null)) {
            destination.awaitPage(500, "vcpu-0");
            destination.awaitPage(500, "vcpu-1");
            destination.awaitPage(501, "vcpu-1");
            destination.start();
            MigrationReport report = destination.awaitCompletion(Duration.ofSeconds(30));

            assertThat(installer.pagesNotInstalledOnce()).isZero();
            assertThat(report.pagesDemandFetched()).isEqualTo(2);
            assertThat(report.pagesSwept()).isEqualTo(PAGES - 2);
            assertThat(report.requesters().get("vcpu-0").faults()).isEqualTo(1);
            assertThat(report.requesters().get("vcpu-1").faults()).isEqualTo(2);
            assertThat(report.requesters().get("vcpu-1").alreadyReceived()).isEqualTo(1);
            assertThat(report.faultToInstall().count()).isEqualTo(2);
            assertThat(report.toString()).contains("vcpu-1: 2 faults, 1 already received");
        }
    }

    @Test
    void aCorruptedPageFailsTheFinalCheckNamingIt() {
        BufferInstaller installer = new BufferInstaller(IMAGE.length);
        try (PageSource source = WrappingPageSource.corrupting(MemoryPageSource.copyOf(IMAGE), 321);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer, PostcopyOptions.defaults(), null)) {
            destination.start();
            assertThatThrownBy(() -> destination.awaitCompletion(Duration.ofSeconds(30)))
                    .isInstanceOf(ChecksumMismatchException.class)
                    .hasMessageContaining("1 of 1000 pages differ from the source")
                    .satisfies(e -> assertThat(((ChecksumMismatchException) e).pages())
                            .containsExactly(321L));
        }
    }

    @Test
    void theSweepWaitsForTheDemandItWasToldTo() {
        BufferInstaller installer = new BufferInstaller(IMAGE.length);
        try (PageSource source = MemoryPageSource.copyOf(IMAGE);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer, PostcopyOptions.defaults(), null)) {
            destination.startAfterDemand(3);
            destination.awaitPage(10, "vcpu-0");
            destination.awaitPage(20, "vcpu-0");
            // Two of three: no sweep thread exists yet, so nothing can have been swept.
            assertThat(destination.report().pagesSwept()).isZero();
            destination.awaitPage(30, "vcpu-0");
            MigrationReport report = destination.awaitCompletion(Duration.ofSeconds(30));
            assertThat(report.pagesDemandFetched()).isEqualTo(3);
            assertThat(report.pagesSwept()).isEqualTo(PAGES - 3);
        }
    }

    @Test
    void withTheSweepNeverStartedEveryPageComesOnDemand() {
        BufferInstaller installer = new BufferInstaller(IMAGE.length);
        try (PageSource source = MemoryPageSource.copyOf(IMAGE);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer, PostcopyOptions.defaults(), null)) {
            destination.startAfterDemand(PostcopyDestination.SWEEP_NEVER);
            for (long p = PAGES - 1; p >= 0; p--) {
                destination.awaitPage(p, "vcpu-0");
            }
            MigrationReport report = destination.awaitCompletion(Duration.ofSeconds(30));
            assertThat(report.pagesDemandFetched()).isEqualTo(PAGES);
            assertThat(report.pagesSwept()).isZero();
            assertThat(installer.pagesNotInstalledOnce()).isZero();
        }
    }

    @Test
    void checksumOnInstallStopsACorruptedPageBeforeTheGuestCanSeeIt() {
        BufferInstaller installer = new BufferInstaller(IMAGE.length);
        PostcopyOptions options = PostcopyOptions.defaults().withChecksumOnInstall(true);
        try (PageSource source = WrappingPageSource.corrupting(MemoryPageSource.copyOf(IMAGE), 321);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer, options, null)) {
            assertThatThrownBy(() -> destination.awaitPage(321, "vcpu-0"))
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("pages 321");
            assertThat(installer.installs(321)).as("installs of the corrupted page").isZero();
            assertThat(destination.failure()).get().isInstanceOf(ChecksumMismatchException.class);
        }
    }

    @Test
    void checksumOnInstallLetsTheGuestWriteInstalledPages() {
        BufferInstaller installer = new BufferInstaller(IMAGE.length);
        PostcopyOptions options = PostcopyOptions.defaults().withChecksumOnInstall(true);
        try (PageSource source = MemoryPageSource.copyOf(IMAGE);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer, options, null)) {
            destination.awaitPage(5, "vcpu-0");
            installer.memory()[(int) Pages.offset(5)] ^= 1; // the running guest writes it
            destination.start();
            MigrationReport report = destination.awaitCompletion(Duration.ofSeconds(30));
            assertThat(report.pagesDemandFetched() + report.pagesSwept()).isEqualTo(PAGES);
        }
        // The same write fails the default end-of-migration check: the option is what differs.
        BufferInstaller again = new BufferInstaller(IMAGE.length);
        try (PageSource source = MemoryPageSource.copyOf(IMAGE);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), again, PostcopyOptions.defaults(), null)) {
            destination.awaitPage(5, "vcpu-0");
            again.memory()[(int) Pages.offset(5)] ^= 1;
            destination.start();
            assertThatThrownBy(() -> destination.awaitCompletion(Duration.ofSeconds(30)))
                    .isInstanceOf(ChecksumMismatchException.class);
        }
    }

    @Test
    void anInstallerFailureReleasesRequestersWithTheCause() {
        PageInstaller broken = new PageInstaller() {
            @Override
            public void install(long page, ByteBuffer bytes) {
                throw new IllegalStateException("KVM_MARK_PRESENT failed: EINVAL");
            }

            @Override
            public int publish(PageRun run) {
                return 0;
            }

            @Override
            public void readBack(long page, ByteBuffer into) {}
        };
        try (PageSource source = MemoryPageSource.copyOf(IMAGE);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), broken, PostcopyOptions.defaults(), null)) {
            assertThatThrownBy(() -> destination.awaitPage(7, "vcpu-0"))
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("installing pages [7, 8) failed")
                    .hasMessageContaining("EINVAL");
            assertThatThrownBy(() -> destination.awaitPage(8, "vcpu-1"))
                    .hasMessageContaining("EINVAL");
            assertThatThrownBy(() -> destination.awaitCompletion(Duration.ofSeconds(5)))
                    .hasMessageContaining("EINVAL");
        }
    }

    @Test
    void aStalledSourceTimesOutTheRequesterInsteadOfHanging() throws Exception {
        GatedPageSource stalled = new GatedPageSource(MemoryPageSource.copyOf(IMAGE), 0);
        PostcopyOptions options = PostcopyOptions.defaults().withPageTimeout(Duration.ofMillis(200));
        try (PostcopyDestination destination = new PostcopyDestination(stalled,
                new PageTracker(PAGES), new BufferInstaller(IMAGE.length), options, null)) {
            // A local source blocks the caller; a separate thread plays the stuck fetcher.
            Thread fetcher = new Thread(() -> destination.requestPage(9, "vcpu-0"));
            fetcher.start();
            assertThat(stalled.awaitHeld(5000)).isTrue();
            assertThatThrownBy(() -> destination.awaitPage(9, "vcpu-1"))
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("page 9 needed by vcpu-1 was not installed within 200 ms");
            stalled.open();
            fetcher.join(5000);
        }
    }

    @Test
    void closingEarlyReleasesWaiters() {
        PageTracker tracker = new PageTracker(PAGES);
        try (PageSource source = MemoryPageSource.copyOf(IMAGE)) {
            PostcopyDestination destination = new PostcopyDestination(source, tracker,
                    new BufferInstaller(IMAGE.length), PostcopyOptions.defaults(), null);
            var arrival = tracker.claim(3).arrival(); // someone else's in-flight fetch
            destination.close();
            assertThat(arrival).isCompletedExceptionally();
            assertThatThrownBy(() -> destination.awaitPage(4, "vcpu-0"))
                    .hasMessageContaining("closed with 0 of 1000 pages received");
        }
    }
}
