// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.GatedPageSource;
import org.kvmdp.postcopy.Mechanism;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.MigrationFailedException;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSourceException;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.TestImages;
import org.kvmdp.postcopy.Urgency;
import org.kvmdp.postcopy.WrappingPageSource;

/**
 * The gate against the real engine (tracker, demand path, installer into an array) with the
 * sweep held back: what the VMM reads and writes through it is right whether the page had
 * arrived, was missing or was in flight. What goes wrong without it is in
 * {@link UngatedAccessTest}.
 */
@Timeout(60)
class VmmAccessGateTest {
    private static final int PAGES = 64;
    private static final byte[] IMAGE = TestImages.random(PAGES, 12);

    private static byte[] source(long page, int offset, int length) {
        int at = (int) Pages.offset(page) + offset;
        return Arrays.copyOfRange(IMAGE, at, at + length);
    }

    @Test
    void aReadOfAMissingPageDemandFetchesItAheadOfTheSweep() {
        try (PostcopyRig rig = new PostcopyRig(IMAGE)) {
            byte[] read = rig.gate().read(PostcopyRig.gpa(5, 100), 64);

            assertThat(read).isEqualTo(source(5, 100, 64));
            assertThat(rig.tracker.isReceived(5)).isTrue();
            assertThat(rig.tracker.receivedCount()).isEqualTo(1);
            assertThat(rig.destination.report().pagesDemandFetched()).isEqualTo(1);
            assertThat(rig.destination.report().requesters().get("vmm").faults()).isEqualTo(1);
        }
    }

    @Test
    void aReadOfAnArrivedPageFetchesNothing() {
        try (PostcopyRig rig = new PostcopyRig(IMAGE)) {
            rig.destination.awaitPage(6, "vcpu-0");
            assertThat(rig.gate().read(PostcopyRig.gpa(6, 0), Pages.SIZE))
                    .isEqualTo(source(6, 0, Pages.SIZE));
            assertThat(rig.destination.report().requesters()).doesNotContainKey("vmm");
            assertThat(rig.installer.installs(6)).isEqualTo(1);
        }
    }

    @Test
    void aRangeAcrossPagesFetchesEachOfThemOnce() {
        try (PostcopyRig rig = new PostcopyRig(IMAGE)) {
            byte[] read = rig.gate().read(PostcopyRig.gpa(9, 4000), 2 * Pages.SIZE);

            assertThat(read).isEqualTo(Arrays.copyOfRange(IMAGE, 9 * Pages.SIZE + 4000,
                    11 * Pages.SIZE + 4000));
            assertThat(rig.tracker.receivedRanges().asRanges()).hasSize(1)
                    .allSatisfy(r -> assertThat(r.lowerEndpoint()).isEqualTo(9L))
                    .allSatisfy(r -> assertThat(r.upperEndpoint()).isEqualTo(12L));
            rig.finish();
            assertThat(rig.installer.pagesNotInstalledOnce()).isZero();
        }
    }

    @Test
    void aWriteToAMissingPageFetchesItFirstSoTheArrivalCannotOverwriteIt() {
        byte[] update = "the device's status".getBytes();
        try (PostcopyRig rig = new PostcopyRig(IMAGE)) {
            rig.gate().write(PostcopyRig.gpa(7, 10), update);
            rig.finish();

            byte[] page = Arrays.copyOfRange(rig.installer.memory(), 7 * Pages.SIZE,
                    8 * Pages.SIZE);
            byte[] expected = source(7, 0, Pages.SIZE);
            System.arraycopy(update, 0, expected, 10, update.length);
            assertThat(page).isEqualTo(expected);
            assertThat(rig.installer.installs(7)).isEqualTo(1);
        }
    }

    @Test
    void aWriteToAPageInFlightWaitsForItsArrival() throws Exception {
        byte[] update = {1, 2, 3, 4};
        try (GatedPageSource held = new GatedPageSource(MemoryPageSource.copyOf(IMAGE), 30);
                PostcopyRig rig = new PostcopyRig(held)) {
            // A vCPU's fault fetches page 30; the source holds that fetch.
            CompletableFuture<Void> vcpu = CompletableFuture.runAsync(() ->
                    rig.destination.awaitPage(30, "vcpu-0"));
            assertThat(held.awaitHeld(30_000)).isTrue();
            CompletableFuture<Void> device = CompletableFuture.runAsync(() ->
                    rig.gate().write(PostcopyRig.gpa(30, 0), update));
            // The gate found the page in flight and waits for that fetch, writing nothing yet.
            await().atMost(Duration.ofSeconds(30)).until(() -> rig.destination.report()
                    .requesters().containsKey("vmm") && rig.destination.report().requesters()
                    .get("vmm").merged() == 1);
            assertThat(device).isNotDone();
            assertThat(Arrays.copyOfRange(rig.installer.memory(), 30 * Pages.SIZE,
                    30 * Pages.SIZE + 4)).containsOnly(0);

            held.open();
            vcpu.get(30, TimeUnit.SECONDS);
            device.get(30, TimeUnit.SECONDS);
            assertThat(Arrays.copyOfRange(rig.installer.memory(), 30 * Pages.SIZE,
                    30 * Pages.SIZE + 4)).isEqualTo(update);
            assertThat(rig.installer.installs(30)).isEqualTo(1);
        }
    }

    @Test
    void aHugePageUnitIsWaitedForWhole() {
        try (PostcopyRig rig = new PostcopyRig(IMAGE)) {
            VmmAccessGate gate = new VmmAccessGate(rig.destination, rig.tracker, rig.window, 16,
                    "vmm");
            assertThat(gate.read(PostcopyRig.gpa(20, 8), 8)).isEqualTo(source(20, 8, 8));

            assertThat(rig.tracker.receivedRanges().asRanges()).hasSize(1)
                    .allSatisfy(r -> assertThat(r.lowerEndpoint()).isEqualTo(16L))
                    .allSatisfy(r -> assertThat(r.upperEndpoint()).isEqualTo(32L));
        }
    }

    @Test
    void unitsFollowTheMechanism() {
        assertThat(ArrivalUnit.pagesPerUnit(Mechanism.KVM, Backing.HUGETLB_2M)).isEqualTo(1);
        assertThat(ArrivalUnit.pagesPerUnit(Mechanism.UFFD_MISSING, Backing.ANONYMOUS))
                .isEqualTo(1);
        assertThat(ArrivalUnit.pagesPerUnit(Mechanism.UFFD_MISSING, Backing.HUGETLB_2M))
                .isEqualTo(512);
        assertThat(ArrivalUnit.pagesPerUnit(Mechanism.UFFD_MINOR, Backing.HUGETLB_2M))
                .isEqualTo(512);
        assertThat(ArrivalUnit.pagesPerUnit(Mechanism.UFFD_SHARDED, Backing.SHMEM)).isEqualTo(1);
    }

    @Test
    void afterAFailedMigrationAMissingPageFailsTheAccessAndAnArrivedOneStillReads() {
        try (PostcopyRig rig = new PostcopyRig(new WrappingPageSource(
                MemoryPageSource.copyOf(IMAGE)) {
                    @Override
                    public CompletableFuture<Void> fetch(PageRun run, Urgency urgency,
                            ByteBuffer dst) {
                        return run.first() == 40 ? CompletableFuture.failedFuture(
                                new PageSourceException("the source went away"))
                                : inner.fetch(run, urgency, dst);
                    }
                })) {
            VmmAccessGate gate = rig.gate();
            assertThat(gate.read(PostcopyRig.gpa(3, 0), 8)).isEqualTo(source(3, 0, 8));

            assertThatThrownBy(() -> gate.read(PostcopyRig.gpa(40, 0), 8))
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("the source went away");
            assertThatThrownBy(() -> gate.write(PostcopyRig.gpa(41, 0), new byte[8]))
                    .isInstanceOf(MigrationFailedException.class);
            assertThat(gate.read(PostcopyRig.gpa(3, 0), 8)).isEqualTo(source(3, 0, 8));
        }
    }

    @Test
    void aRangeOutsideTheRegionIsRefusedBeforeAnythingIsFetched() {
        try (PostcopyRig rig = new PostcopyRig(IMAGE)) {
            assertThatThrownBy(() -> rig.gate().read(PostcopyRig.gpa(PAGES - 1, 4000), 200))
                    .isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessageContaining("outside the region");
            assertThatThrownBy(() -> rig.gate().read(PostcopyRig.GPA - 8, 8))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(rig.tracker.receivedCount()).isZero();
        }
    }
}
