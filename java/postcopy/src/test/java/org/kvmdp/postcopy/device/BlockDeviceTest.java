// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.TestImages;
import org.kvmdp.postcopy.access.DirectAccess;
import org.kvmdp.postcopy.access.GuestMemoryAccess;
import org.kvmdp.postcopy.access.PostcopyRig;
import org.kvmdp.postcopy.access.VmmAccessGate;

/**
 * The block device on a destination in mid post-copy, with the requests migrate_workload
 * leaves in flight (WRITE page 1's head to the disk, READ it back into page 2's tail, both
 * descriptors in page 0): through the gate the guest finds its data and both statuses right;
 * without it the disk gets zeros and every write the device made is lost when its page
 * arrives.
 */
@Timeout(60)
class BlockDeviceTest {
    private static final long GPA = PostcopyRig.GPA;
    private static final int PAGES = 8;
    private static final int BYTES = GuestAbi.BLOCK_DEVICE_BYTES;
    private static final long QUEUE = GPA + GuestAbi.BLOCK_QUEUE_OFFSET;
    private static final long SECTOR = GPA >>> 12;
    private static final BlockRequest WRITE = new BlockRequest(QUEUE, GuestAbi.BLOCK_OP_WRITE,
            BYTES, SECTOR, GPA + Pages.SIZE);
    private static final BlockRequest READ = new BlockRequest(QUEUE + GuestAbi.BLOCK_DESC_SIZE,
            GuestAbi.BLOCK_OP_READ, BYTES, SECTOR, GPA + 3 * Pages.SIZE - BYTES);

    /** The source's memory at the migration point: the guest's requests in page 0. */
    private static byte[] sourceImage() {
        byte[] image = TestImages.random(PAGES, 21);
        System.arraycopy(WRITE.encode(), 0, image, GuestAbi.BLOCK_QUEUE_OFFSET,
                GuestAbi.BLOCK_DESC_SIZE);
        System.arraycopy(READ.encode(), 0, image, GuestAbi.BLOCK_QUEUE_OFFSET
                + GuestAbi.BLOCK_DESC_SIZE, GuestAbi.BLOCK_DESC_SIZE);
        return image;
    }

    /** The destination, the sweep held back: pages 0-2 are missing when the guest rings. */
    private static final class Destination implements AutoCloseable {
        final byte[] image = sourceImage();
        final PostcopyRig rig = new PostcopyRig(image);
        final RamDisk disk = new RamDisk(SECTOR + 16);

        /** The guest rings for both requests, then the rest of its memory arrives. */
        void ringBothThenFinish(GuestMemoryAccess access) {
            BlockDevice device = new BlockDevice(access, disk);
            device.notify(WRITE.doorbell());
            device.notify(READ.doorbell());
            rig.finish();
        }

        /** What the guest sees now at {@code gpa}. */
        byte[] guest(long gpa, int length) {
            return rig.window.read(gpa - GPA, length);
        }

        int status(BlockRequest r) {
            return ByteBuffer.wrap(guest(r.descriptorGpa() + GuestAbi.BLOCK_DESC_STATUS, 4))
                    .order(ByteOrder.LITTLE_ENDIAN).getInt();
        }

        byte[] sourceBytes(long gpa, int length) {
            return Arrays.copyOfRange(image, (int) (gpa - GPA), (int) (gpa - GPA) + length);
        }

        @Override
        public void close() {
            rig.close();
        }
    }

    @Test
    void throughTheGateTheGuestFindsItsDataAndBothStatusesRight() {
        try (Destination d = new Destination()) {
            d.ringBothThenFinish(d.rig.gate());

            byte[] written = d.sourceBytes(WRITE.bufferGpa(), BYTES);
            assertThat(d.disk.read(SECTOR, BYTES)).isEqualTo(written);
            assertThat(d.guest(READ.bufferGpa(), BYTES)).isEqualTo(written);
            assertThat(d.status(WRITE)).isEqualTo(GuestAbi.BLOCK_STATUS_OK);
            assertThat(d.status(READ)).isEqualTo(GuestAbi.BLOCK_STATUS_OK);
            // Pages 0-2 came by the device's demand, each once; the rest by the sweep.
            assertThat(d.rig.destination.report().requesters().get("vmm").faults()).isEqualTo(3);
            assertThat(d.rig.installer.pagesNotInstalledOnce()).isZero();
        }
    }

    @Test
    void withoutTheGateTheDiskGetsZerosAndTheDevicesWritesAreLost() {
        try (Destination d = new Destination()) {
            d.ringBothThenFinish(new DirectAccess(d.rig.window));

            // The device read page 1 before it arrived: zeros went to the disk.
            assertThat(d.disk.read(SECTOR, BYTES)).containsOnly(0);
            // Its writes (the data, both statuses) were overwritten by the pages' arrival:
            // the guest sees the source's bytes and its own PENDING, as if nothing happened.
            assertThat(d.guest(READ.bufferGpa(), BYTES)).isEqualTo(d.sourceBytes(
                    READ.bufferGpa(), BYTES));
            assertThat(d.status(WRITE)).isEqualTo(GuestAbi.BLOCK_STATUS_PENDING);
            assertThat(d.status(READ)).isEqualTo(GuestAbi.BLOCK_STATUS_PENDING);
        }
    }

    @Test
    void aBadRequestIsAnsweredAsSuchAndCounted() {
        try (Destination d = new Destination()) {
            VmmAccessGate gate = d.rig.gate();
            BlockDevice device = new BlockDevice(gate, d.disk);
            long at = GPA + 5 * Pages.SIZE + 64;
            gate.write(at, new BlockRequest(at, 7, BYTES, SECTOR, GPA).encode());
            assertThat(device.notify(BlockRequest.doorbellOf(at)))
                    .isEqualTo(GuestAbi.BLOCK_STATUS_BAD_REQUEST);
            gate.write(at, new BlockRequest(at, GuestAbi.BLOCK_OP_READ, BYTES, SECTOR,
                    GPA + PAGES * Pages.SIZE).encode());
            assertThat(device.notify(BlockRequest.doorbellOf(at)))
                    .isEqualTo(GuestAbi.BLOCK_STATUS_BAD_REQUEST);
            gate.write(at, new BlockRequest(at, GuestAbi.BLOCK_OP_READ, 100, SECTOR, GPA)
                    .encode());
            assertThat(device.notify(BlockRequest.doorbellOf(at)))
                    .isEqualTo(GuestAbi.BLOCK_STATUS_BAD_REQUEST);
            assertThat(gate.readInt(at + GuestAbi.BLOCK_DESC_STATUS))
                    .isEqualTo(GuestAbi.BLOCK_STATUS_BAD_REQUEST);
            assertThat(device.requests()).isEqualTo(3);
            assertThat(device.rejected()).isEqualTo(3);
        }
    }

    @Test
    void aDescriptorRoundTripsAndItsDoorbellNamesIt() {
        BlockRequest decoded = BlockRequest.decode(READ.descriptorGpa(), READ.encode());
        assertThat(decoded).isEqualTo(READ);
        assertThat(BlockRequest.gpaOf(READ.doorbell())).isEqualTo(READ.descriptorGpa());
        assertThat(BlockRequest.gpaOf(BlockRequest.doorbellOf(127L << 30)))
                .isEqualTo(127L << 30);
    }
}
