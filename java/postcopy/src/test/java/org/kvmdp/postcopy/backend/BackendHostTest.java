// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.memory.Backing;
import org.kvmdp.memory.GuestMemory;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.PostcopyOptions;
import org.kvmdp.postcopy.TestImages;
import org.kvmdp.postcopy.access.MemoryWindow;
import org.kvmdp.postcopy.access.VmmAccessGate;
import org.kvmdp.postcopy.device.BlockRequest;

/**
 * The whole thing on the host, with a real device-backend process (a child JVM): the VMM
 * side over the real engine and a shmem memfd standing in for guest memory, the guest's two
 * block requests (as kvmdp migrate's workload lays them out) in pages that have not
 * arrived. The backend serves them through the page channel; killed in the middle of one,
 * the request fails with an I/O error and the migration finishes; a VMM that goes away
 * while the backend waits makes it exit.
 */
@Timeout(120)
class BackendHostTest {
    private static final long GPA = 1L << 32;
    private static final int PAGES = 64;
    private static final long WRITE_DESC = GPA + GuestAbi.BLOCK_QUEUE_OFFSET;
    private static final long READ_DESC = WRITE_DESC + GuestAbi.BLOCK_DESC_SIZE;
    private static final byte[] IMAGE = image();

    private final StringWriter out = new StringWriter();
    private final PrintWriter log = new PrintWriter(out, true);
    private final GuestMemory memory = GuestMemory.allocate(Backing.SHMEM, Pages.offset(PAGES));
    private final MemoryRegion region = new MemoryRegion(1, GPA, memory);
    private final PageTracker tracker = new PageTracker(PAGES);
    private final MemoryPageSource source = MemoryPageSource.copyOf(IMAGE);
    private BackendHost host;
    private PostcopyDestination destination;

    /** Random pages, and in page 0 a WRITE of page 1's head and a READ into page 2's tail. */
    private static byte[] image() {
        byte[] image = TestImages.random(PAGES, 77);
        int bytes = GuestAbi.BLOCK_DEVICE_BYTES;
        byte[] write = new BlockRequest(WRITE_DESC, GuestAbi.BLOCK_OP_WRITE, bytes, 3,
                GPA + Pages.SIZE).encode();
        byte[] read = new BlockRequest(READ_DESC, GuestAbi.BLOCK_OP_READ, bytes, 3,
                GPA + 3L * Pages.SIZE - bytes).encode();
        System.arraycopy(write, 0, image, GuestAbi.BLOCK_QUEUE_OFFSET, write.length);
        System.arraycopy(read, 0, image, GuestAbi.BLOCK_QUEUE_OFFSET + write.length,
                read.length);
        return image;
    }

    /** Installs into the memfd's mapping: what the KVM driver does, less KVM_MARK_PRESENT. */
    private PageInstaller memfdInstaller() {
        return new PageInstaller() {
            @Override
            public void install(long page, ByteBuffer bytes) {
                byte[] b = new byte[Pages.SIZE];
                bytes.duplicate().get(b);
                memory.write(Pages.offset(page), b);
            }

            @Override
            public int publish(PageRun run) {
                return 0;
            }

            @Override
            public void readBack(long page, ByteBuffer into) {
                into.put(into.position(), memory.read(Pages.offset(page), Pages.SIZE));
            }
        };
    }

    private RemoteBlockDevice start(DeviceBackendOptions options) {
        host = BackendHost.launch(options, log, "vmm: ");
        destination = new PostcopyDestination(source, tracker,
                host.publishing(memfdInstaller(), tracker, 1),
                PostcopyOptions.defaults().withChecksumOnInstall(true), null);
        VmmAccessGate gate = new VmmAccessGate(destination, tracker, MemoryWindow.of(region), 1,
                "vmm-block-device");
        return host.connect(region, gate, 1, PAGES, Duration.ofSeconds(60));
    }

    private static DeviceBackendOptions backend() {
        return DeviceBackendOptions.process(DeviceBackendOptions.javaLauncher(
                System.getProperty("java.class.path"), BackendProcessMain.class.getName()));
    }

    @AfterEach
    void cleanUp() {
        if (destination != null) {
            destination.close();
        }
        if (host != null) {
            host.close();
        }
        source.close();
        memory.close();
    }

    @Test
    void theBackendServesRequestsOnPagesThatHadNotArrivedWithTheirContents() {
        RemoteBlockDevice device = start(backend());
        assertThat(tracker.receivedCount()).as("nothing arrived before the doorbells").isZero();

        assertThat(device.notify(BlockRequest.doorbellOf(WRITE_DESC)))
                .isEqualTo(GuestAbi.BLOCK_STATUS_OK);
        assertThat(device.notify(BlockRequest.doorbellOf(READ_DESC)))
                .isEqualTo(GuestAbi.BLOCK_STATUS_OK);

        // The backend's pages came by the VMM's demand path, and what it did is right.
        assertThat(tracker.isReceived(0) && tracker.isReceived(1) && tracker.isReceived(2))
                .isTrue();
        assertThat(tracker.receivedCount()).isEqualTo(3);
        int bytes = GuestAbi.BLOCK_DEVICE_BYTES;
        assertThat(memory.read(3L * Pages.SIZE - bytes, bytes))
                .isEqualTo(Arrays.copyOfRange(IMAGE, Pages.SIZE, Pages.SIZE + bytes));
        assertThat(memory.read(GuestAbi.BLOCK_QUEUE_OFFSET + GuestAbi.BLOCK_DESC_STATUS, 4))
                .containsOnly(0);
        destination.start();
        destination.awaitCompletion(Duration.ofSeconds(60));
        host.finish();
        assertThat(out.toString()).contains("vmm: device backend pid " + host.pid()
                + " connected").contains("device-backend: GOODBYE from the VMM; served 2"
                + " device requests (0 failed)").contains("exited with status 0")
                .containsPattern("the VMM served its [1-9]\\d* page requests");
        assertThat(device.rejected()).isZero();
    }

    @Test
    void aBackendKilledInTheMiddleOfARequestFailsItAndTheMigrationFinishes()
            throws Exception {
        RemoteBlockDevice device = start(BackendFaults.withFaults(backend(), 1, -1));
        CompletableFuture<Integer> vcpu = CompletableFuture.supplyAsync(() ->
                device.notify(BlockRequest.doorbellOf(WRITE_DESC)));
        await().atMost(Duration.ofSeconds(60)).until(() -> out.toString()
                .contains("device-backend: stalled after 1 page requests"));
        assertThat(vcpu).isNotDone();
        ProcessHandle.of(host.pid()).orElseThrow().destroyForcibly(); // kill -9

        assertThat(vcpu.get(60, TimeUnit.SECONDS)).isEqualTo(GuestAbi.BLOCK_STATUS_IO_ERROR);
        assertThat(memory.read(GuestAbi.BLOCK_QUEUE_OFFSET + GuestAbi.BLOCK_DESC_STATUS, 1)[0])
                .isEqualTo((byte) GuestAbi.BLOCK_STATUS_IO_ERROR);
        assertThat(device.notify(BlockRequest.doorbellOf(READ_DESC)))
                .as("a later doorbell fails at once").isEqualTo(GuestAbi.BLOCK_STATUS_IO_ERROR);
        assertThat(out.toString()).contains("device backend lost: ");
        destination.start();
        destination.awaitCompletion(Duration.ofSeconds(60));
        assertThat(tracker.receivedCount()).isEqualTo(PAGES);
        host.finish();
        assertThat(out.toString()).contains("exited with status 137 (SIGKILL)");
    }

    @Test
    void aVmmThatGoesAwayWhileTheBackendWaitsForAPageMakesItExit() throws Exception {
        RemoteBlockDevice device = start(BackendFaults.withFaults(backend(), -1, 0));
        CompletableFuture<Integer> vcpu = CompletableFuture.supplyAsync(() ->
                device.notify(BlockRequest.doorbellOf(WRITE_DESC)));
        await().atMost(Duration.ofSeconds(60)).until(() -> out.toString()
                .contains("holding the device backend's page request for pages [0, 1)"));
        host.abandon(); // the VMM's end of both channels closes, as when it dies
        host.finish();
        assertThat(out.toString()).contains("exited with status 1");
        assertThat(vcpu.get(60, TimeUnit.SECONDS)).isEqualTo(GuestAbi.BLOCK_STATUS_IO_ERROR);
    }
}
