// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.device;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.kvmdp.guest.GuestAbi;

/**
 * One request of the demo block device as the guest lays it out: a
 * {@value GuestAbi#BLOCK_DESC_SIZE}-byte descriptor, little-endian, 32-byte aligned, in guest
 * memory (see guest_abi.inc): op, length in bytes, first sector, the guest physical address
 * of the data buffer, and a status word the device writes when it is done.
 */
public record BlockRequest(long descriptorGpa, int op, int length, long sector,
        long bufferGpa) {
    /** Decodes the descriptor read from {@code descriptorGpa}. */
    public static BlockRequest decode(long descriptorGpa, byte[] descriptor) {
        if (descriptor.length != GuestAbi.BLOCK_DESC_SIZE) {
            throw new IllegalArgumentException("a descriptor has " + GuestAbi.BLOCK_DESC_SIZE
                    + " bytes, got " + descriptor.length);
        }
        ByteBuffer b = ByteBuffer.wrap(descriptor).order(ByteOrder.LITTLE_ENDIAN);
        return new BlockRequest(descriptorGpa, b.getInt(GuestAbi.BLOCK_DESC_OP),
                b.getInt(GuestAbi.BLOCK_DESC_LENGTH), b.getLong(GuestAbi.BLOCK_DESC_SECTOR),
                b.getLong(GuestAbi.BLOCK_DESC_BUFFER));
    }

    /** The descriptor as the guest writes it, status {@link GuestAbi#BLOCK_STATUS_PENDING}. */
    public byte[] encode() {
        return ByteBuffer.allocate(GuestAbi.BLOCK_DESC_SIZE).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(GuestAbi.BLOCK_DESC_OP, op).putInt(GuestAbi.BLOCK_DESC_LENGTH, length)
                .putLong(GuestAbi.BLOCK_DESC_SECTOR, sector)
                .putLong(GuestAbi.BLOCK_DESC_BUFFER, bufferGpa)
                .putInt(GuestAbi.BLOCK_DESC_STATUS, GuestAbi.BLOCK_STATUS_PENDING).array();
    }

    /** The doorbell value that names this descriptor: its gpa divided by 32. */
    public int doorbell() {
        return doorbellOf(descriptorGpa);
    }

    /** The doorbell value for a descriptor at {@code gpa} (32-byte aligned, below 128 GiB). */
    public static int doorbellOf(long gpa) {
        if (gpa < 0 || gpa % GuestAbi.BLOCK_DESC_SIZE != 0
                || gpa >>> 5 > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(String.format("descriptor gpa 0x%x is not 32-byte"
                    + " aligned below 128 GiB", gpa));
        }
        return (int) (gpa >>> 5);
    }

    /** The descriptor gpa a doorbell value names (the value is unsigned). */
    public static long gpaOf(int doorbell) {
        return Integer.toUnsignedLong(doorbell) << 5;
    }
}
