// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.kvmdp.postcopy.Pages;

/**
 * What SETUP tells a backend besides its three fds: the protocol version, where guest memory
 * sits (the memfd's offset 0 is {@code gpa}), how many pages the page state tracks and in
 * what arrival units ({@link org.kvmdp.postcopy.access.ArrivalUnit}), and the disk's size.
 * Body: u32 version, u32 pagesPerUnit, u64 gpa, u64 bytes, u64 pageCount, u64 diskSectors,
 * u64 pageStateBytes, little-endian.
 */
public record BackendSetup(int pagesPerUnit, long gpa, long bytes, long pageCount,
        long diskSectors, long pageStateBytes) {
    public static final int BYTES = 4 + 4 + 5 * 8;

    /** Checks what a VMM must never send; a backend refuses a SETUP that fails it. */
    public BackendSetup {
        if (pagesPerUnit < 1 || Integer.bitCount(pagesPerUnit) != 1 || gpa < 0
                || gpa % Pages.SIZE != 0 || bytes <= 0 || bytes != Pages.offset(pageCount)
                || pageCount % pagesPerUnit != 0 || diskSectors <= 0
                || pageStateBytes != PageStateLayout.bytes(pageCount)) {
            throw new BackendProtocolException("inconsistent SETUP: " + pagesPerUnit
                    + " pages per unit, gpa 0x" + Long.toHexString(gpa) + ", " + bytes
                    + " bytes, " + pageCount + " pages, " + diskSectors + " sectors, "
                    + pageStateBytes + " bytes of page state");
        }
    }

    public byte[] encode() {
        return ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(BackendProtocol.VERSION).putInt(pagesPerUnit).putLong(gpa)
                .putLong(bytes).putLong(pageCount).putLong(diskSectors)
                .putLong(pageStateBytes).array();
    }

    public static BackendSetup decode(Frame frame) {
        ByteBuffer b = frame.bodyBuffer();
        int version = b.getInt();
        if (version != BackendProtocol.VERSION) {
            throw new BackendProtocolException("SETUP for protocol version " + version
                    + ", this backend speaks " + BackendProtocol.VERSION);
        }
        return new BackendSetup(b.getInt(), b.getLong(), b.getLong(), b.getLong(), b.getLong(),
                b.getLong());
    }
}
