// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The engine's fast path: a local source copies pages straight into native guest memory on the
 * requester's thread (no buffer, no future), demand and sweep alike; statistics per requester
 * handle; checksum-on-arrival and sources that cannot copy directly take the buffer path.
 */
@Timeout(60)
class DirectInstallTest {
    private static final int PAGES = 300;
    private static final byte[] IMAGE = TestImages.random(PAGES, 11);

    @Test
    void demandFaultsAndTheSweepInstallDirectly() {
        try (NativeDirectInstaller installer = new NativeDirectInstaller(IMAGE.length);
                PageSource source = MemoryPageSource.copyOf(IMAGE);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer, PostcopyOptions.defaults(), null)) {
            Requester vcpu0 = destination.requester("vcpu-0");
            Requester vcpu1 = destination.requester("vcpu-1");
            destination.awaitPage(5, vcpu0);
            destination.awaitPage(5, vcpu1); // already received
            destination.awaitPage(6, vcpu1);
            assertThat(installer.direct()).containsExactly(PageRun.of(5), PageRun.of(6));

            destination.start();
            MigrationReport report = destination.awaitCompletion(Duration.ofSeconds(30));
            assertThat(installer.bufferInstalls()).isZero();
            assertThat(installer.pagesNotInstalledOnce()).isZero();
            assertThat(installer.contents()).isEqualTo(IMAGE);
            assertThat(report.pagesDemandFetched()).isEqualTo(2);
            assertThat(report.pagesSwept()).isEqualTo(PAGES - 2);
            assertThat(report.requesters()).containsOnlyKeys("vcpu-0", "vcpu-1");
            assertThat(report.requesters().get("vcpu-0").faults()).isEqualTo(1);
            assertThat(report.requesters().get("vcpu-1").faults()).isEqualTo(2);
            assertThat(report.requesters().get("vcpu-1").alreadyReceived()).isEqualTo(1);
            assertThat(report.faultToInstall().count()).isEqualTo(2);
        }
    }

    @Test
    void handlesWithOneNameAreMergedInTheReport() {
        try (NativeDirectInstaller installer = new NativeDirectInstaller(IMAGE.length);
                PageSource source = MemoryPageSource.copyOf(IMAGE);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer, PostcopyOptions.defaults(), null)) {
            destination.awaitPage(1, destination.requester("uffd"));
            destination.awaitPage(2, destination.requester("uffd"));
            destination.awaitPage(3, "uffd");
            assertThat(destination.report().requesters().get("uffd").faults()).isEqualTo(3);
        }
    }

    @Test
    void aPrefetchingFaultBringsTheFollowingUnrequestedPagesAsOneRun() {
        PostcopyOptions options = PostcopyOptions.defaults().withPrefetchPages(4);
        PageTracker tracker = new PageTracker(PAGES);
        try (NativeDirectInstaller installer = new NativeDirectInstaller(IMAGE.length);
                PageSource source = MemoryPageSource.copyOf(IMAGE);
                PostcopyDestination destination = new PostcopyDestination(source, tracker,
                        installer, options, null)) {
            Requester vcpu = destination.requester("vcpu-0");
            destination.awaitPage(10, vcpu);
            destination.awaitPage(12, vcpu); // came with 10
            assertThat(tracker.tryClaim(22)).isEqualTo(PageTracker.Outcome.FETCH); // in flight
            destination.awaitPage(20, vcpu); // stops short of 22
            destination.awaitPage(PAGES - 2, vcpu); // stops at the end of the image
            assertThat(installer.direct()).containsExactly(new PageRun(10, 4),
                    new PageRun(20, 2), new PageRun(PAGES - 2, 2));
            MigrationReport report = destination.report();
            assertThat(report.pagesDemandFetched()).isEqualTo(8);
            assertThat(report.requesters().get("vcpu-0").alreadyReceived()).isEqualTo(1);
            assertThat(installer.contents()).satisfies(memory -> {
                for (long p = 10; p < 14; p++) {
                    int at = (int) Pages.offset(p);
                    assertThat(java.util.Arrays.copyOfRange(memory, at, at + Pages.SIZE))
                            .isEqualTo(java.util.Arrays.copyOfRange(IMAGE, at, at + Pages.SIZE));
                }
            });
        }
    }

    @Test
    void checkingOnArrivalTakesTheBufferPath() {
        PostcopyOptions options = new PostcopyOptions(PostcopyOptions.MAX_BATCH_PAGES, 4,
                Duration.ofMillis(2), Duration.ofSeconds(30), Duration.ZERO, true);
        try (NativeDirectInstaller installer = new NativeDirectInstaller(IMAGE.length);
                PageSource source = MemoryPageSource.copyOf(IMAGE);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer, options, null)) {
            destination.awaitPage(7, destination.requester("vcpu-0"));
            assertThat(installer.direct()).isEmpty();
            assertThat(installer.bufferInstalls()).isEqualTo(1);
        }
    }

    @Test
    void aClosedSourceFailsTheMigrationOnTheDirectPath() {
        try (NativeDirectInstaller installer = new NativeDirectInstaller(IMAGE.length);
                PageSource source = MemoryPageSource.copyOf(IMAGE);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer, PostcopyOptions.defaults(), null)) {
            source.close();
            Requester vcpu = destination.requester("vcpu-0");
            assertThatThrownBy(() -> destination.awaitPage(9, vcpu))
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("memory page source closed");
            assertThatThrownBy(() -> destination.awaitPage(10, vcpu))
                    .hasMessageContaining("memory page source closed");
        }
    }
}
