// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import org.kvmdp.nativeio.Mman;
import org.kvmdp.nativeio.NativeMemory;
import org.kvmdp.nativeio.OwnedFd;

/**
 * A backend's read-only mapping of the VMM's {@link SharedPageState}: whether a page has
 * arrived is one volatile load of its word, no round trip. Checked against the SETUP when
 * mapped, so a page state of another size or layout is refused rather than misread.
 */
public final class PageStateView implements AutoCloseable {
    private final long address;
    private final long bytes;
    private final long pageCount;
    private boolean closed;

    private PageStateView(long address, long bytes, long pageCount) {
        this.address = address;
        this.bytes = bytes;
        this.pageCount = pageCount;
    }

    /** Maps {@code fd} read-only and checks its header against {@code setup}. */
    public static PageStateView map(OwnedFd fd, BackendSetup setup) {
        long address = Mman.mmap(0, setup.pageStateBytes(), Mman.PROT_READ, Mman.MAP_SHARED,
                fd.get(), 0);
        PageStateView view = new PageStateView(address, setup.pageStateBytes(),
                setup.pageCount());
        int magic = NativeMemory.getInt(address + PageStateLayout.MAGIC_OFFSET);
        int version = NativeMemory.getInt(address + PageStateLayout.VERSION_OFFSET);
        long pages = NativeMemory.getLong(address + PageStateLayout.PAGE_COUNT_OFFSET);
        int unit = NativeMemory.getInt(address + PageStateLayout.PAGES_PER_UNIT_OFFSET);
        if (magic != PageStateLayout.MAGIC || version != PageStateLayout.VERSION
                || pages != setup.pageCount() || unit != setup.pagesPerUnit()) {
            view.close();
            throw new BackendProtocolException(String.format("the page state is not the"
                    + " SETUP's: magic 0x%08x version %d, %d pages in units of %d", magic,
                    version, pages, unit));
        }
        return view;
    }

    public long pageCount() {
        return pageCount;
    }

    /** Whether page {@code page} has arrived (is visible to the guest). */
    public boolean isArrived(long page) {
        if (page < 0 || page >= pageCount) {
            throw new IndexOutOfBoundsException("page " + page + " of " + pageCount);
        }
        long word = NativeMemory.getLongVolatile(address + PageStateLayout.BITMAP_OFFSET
                + (page >>> 6) * 8);
        return (word & (1L << page)) != 0;
    }

    /** Whether every page of [first, end) has arrived. */
    public boolean allArrived(long first, long end) {
        for (long page = first; page < end; page++) {
            if (!isArrived(page)) {
                return false;
            }
        }
        return true;
    }

    /** {@link PageStateLayout#MIGRATING}, COMPLETE or FAILED, as the VMM last said. */
    public long state() {
        return NativeMemory.getLongVolatile(address + PageStateLayout.STATE);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Mman.munmap(address, bytes);
        }
    }
}
