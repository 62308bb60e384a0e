// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

/**
 * The shared page state's layout, a memfd the VMM writes and a backend maps read-only: a
 * 64-byte header (u32 magic "KVPS", u32 version, u64 page count, u32 pages per unit, u32 0,
 * u64 {@link #STATE} word) and then one bit per 4 KiB page in u64 words, native order: bit
 * {@code p % 64} of word {@code p / 64} is set once page p is installed and visible to the
 * guest, exactly when the VMM's tracker calls it received. 32 KiB per GiB, as KVM's own
 * present bitmap.
 */
public final class PageStateLayout {
    public static final int MAGIC = 0x5350_564B; // "KVPS" in memory, little-endian
    public static final int VERSION = 1;
    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int PAGE_COUNT_OFFSET = 8;
    static final int PAGES_PER_UNIT_OFFSET = 16;
    /** {@link #MIGRATING}, {@link #COMPLETE} or {@link #FAILED}. */
    static final int STATE = 24;
    static final int BITMAP_OFFSET = 64;

    /** Pages are still arriving: consult the bits. */
    public static final int MIGRATING = 0;
    /** Every page arrived: nothing to consult any more. */
    public static final int COMPLETE = 1;
    /** The migration failed: pages whose bit is clear will never arrive. */
    public static final int FAILED = 2;

    private PageStateLayout() {}

    /** The memfd's size for {@code pageCount} pages, whole 4 KiB pages. */
    public static long bytes(long pageCount) {
        long raw = BITMAP_OFFSET + (pageCount + 63) / 64 * 8;
        return (raw + 4095) / 4096 * 4096;
    }
}
