// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.kvmdp.memory.Backing;
import org.kvmdp.memory.GuestMemory;
import org.kvmdp.nativeio.NativeMemory;
import org.kvmdp.nativeio.OpenFlags;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.PageTracker;

/**
 * The VMM's side of the shared page state ({@link PageStateLayout}): a memfd it maps
 * read-write and a backend maps read-only, so the backend looks a page up with one load and
 * no round trip. Bits are set by {@link #publishing}, the wrapper around the mechanism's
 * installer, right after a run is published (written and KVM_MARK_PRESENT, or UFFDIO_COPY /
 * UFFDIO_CONTINUE) and before the engine's tracker calls it received: a set bit never runs
 * ahead of the page. The tracker stays the VMM's truth; this is a one-way mirror for other
 * processes, and the VMM never reads it back, so a backend cannot change what the VMM
 * believes. What it hands out is a read-only reopening of the memfd
 * ({@link #openReadOnly}): a backend cannot map it writable at all.
 */
public final class SharedPageState implements AutoCloseable {
    private final GuestMemory memory;
    private final long address;
    private final long bytes;
    private final long pageCount;
    /** Read-held around every access, write-held to unmap: a late install never hits a hole. */
    private final ReentrantReadWriteLock mapping = new ReentrantReadWriteLock();
    private boolean closed; // guarded by mapping

    private SharedPageState(GuestMemory memory, long pageCount) {
        this.memory = memory;
        this.address = memory.address();
        this.bytes = memory.size();
        this.pageCount = pageCount;
    }

    /** A page state for {@code pageCount} pages in units of {@code pagesPerUnit}, none arrived. */
    public static SharedPageState create(long pageCount, int pagesPerUnit) {
        if (pageCount <= 0 || pagesPerUnit < 1) {
            throw new IllegalArgumentException(pageCount + " pages in units of " + pagesPerUnit);
        }
        // A memfd mapped shared: what shmem guest memory is, so the same allocator serves.
        GuestMemory memory = GuestMemory.allocate(Backing.SHMEM, PageStateLayout.bytes(pageCount));
        long address = memory.address();
        NativeMemory.putInt(address + PageStateLayout.MAGIC_OFFSET, PageStateLayout.MAGIC);
        NativeMemory.putInt(address + PageStateLayout.VERSION_OFFSET, PageStateLayout.VERSION);
        NativeMemory.putLong(address + PageStateLayout.PAGE_COUNT_OFFSET, pageCount);
        NativeMemory.putInt(address + PageStateLayout.PAGES_PER_UNIT_OFFSET, pagesPerUnit);
        NativeMemory.putLongVolatile(address + PageStateLayout.STATE, PageStateLayout.MIGRATING);
        return new SharedPageState(memory, pageCount);
    }

    public long pageCount() {
        return pageCount;
    }

    /** The memfd's size (the SETUP's pageStateBytes). */
    public long bytes() {
        return bytes;
    }

    /**
     * A new read-only file description of the memfd (reopened through /proc/self/fd), to
     * pass to a backend; the caller closes it once sent.
     */
    public OwnedFd openReadOnly() {
        mapping.readLock().lock();
        try {
            checkOpen();
            return OwnedFd.open("/proc/self/fd/" + memory.memfd(), OpenFlags.O_RDONLY);
        } finally {
            mapping.readLock().unlock();
        }
    }

    /**
     * Sets the bits of {@code count} pages from {@code first}: they are visible to the guest.
     * Once closed it does nothing: an install that lands after the migration ended (a fetch
     * still in flight) has no backend left to tell.
     */
    public void publish(long first, int count) {
        new PageRun(first, count).checkWithin(pageCount);
        mapping.readLock().lock();
        try {
            if (closed) {
                return;
            }
            long page = first;
            long end = first + count;
            while (page < end) {
                long word = page >>> 6;
                long wordEnd = Math.min(end, (word + 1) << 6);
                int bits = (int) (wordEnd - page);
                long mask = bits == 64 ? -1L : ((1L << bits) - 1) << (page & 63);
                // Several installer threads publish disjoint runs that may share a word.
                NativeMemory.getAndBitwiseOrLong(address + PageStateLayout.BITMAP_OFFSET
                        + word * 8, mask);
                page = wordEnd;
            }
        } finally {
            mapping.readLock().unlock();
        }
    }

    /** Whether page {@code page}'s bit is set (tests, diagnostics: the VMM asks its tracker). */
    public boolean isPublished(long page) {
        new PageRun(page, 1).checkWithin(pageCount);
        mapping.readLock().lock();
        try {
            checkOpen();
            long word = NativeMemory.getLongVolatile(address + PageStateLayout.BITMAP_OFFSET
                    + (page >>> 6) * 8);
            return (word & (1L << page)) != 0;
        } finally {
            mapping.readLock().unlock();
        }
    }

    /** Says every page arrived, or that the migration failed, once the tracker knows. */
    public void follow(PageTracker tracker) {
        tracker.allReceived().whenComplete((v, error) -> setState(error == null
                ? PageStateLayout.COMPLETE : PageStateLayout.FAILED));
    }

    /** The state word: {@link PageStateLayout#MIGRATING}, COMPLETE or FAILED. */
    public long state() {
        mapping.readLock().lock();
        try {
            checkOpen();
            return NativeMemory.getLongVolatile(address + PageStateLayout.STATE);
        } finally {
            mapping.readLock().unlock();
        }
    }

    private void setState(long state) {
        mapping.readLock().lock();
        try {
            if (!closed) {
                NativeMemory.putLongVolatile(address + PageStateLayout.STATE, state);
            }
        } finally {
            mapping.readLock().unlock();
        }
    }

    /**
     * {@code delegate}, publishing each run's bits here once the delegate has published it
     * (or installed it directly). Everything else passes straight through.
     */
    public PageInstaller publishing(PageInstaller delegate) {
        Objects.requireNonNull(delegate, "delegate");
        return new PageInstaller() {
            @Override
            public void install(long page, ByteBuffer bytes) {
                delegate.install(page, bytes);
            }

            @Override
            public int publish(PageRun run) {
                int alreadyPresent = delegate.publish(run);
                SharedPageState.this.publish(run.first(), run.count());
                return alreadyPresent;
            }

            @Override
            public int installDirect(PageSource source, long first, int count) {
                int alreadyPresent = delegate.installDirect(source, first, count);
                if (alreadyPresent >= 0) {
                    SharedPageState.this.publish(first, count);
                }
                return alreadyPresent;
            }

            @Override
            public void readBack(long page, ByteBuffer into) {
                delegate.readBack(page, into);
            }
        };
    }

    /** Unmaps and closes; backends keep their own mappings until they exit. Idempotent. */
    @Override
    public void close() {
        mapping.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            memory.close();
        } finally {
            mapping.writeLock().unlock();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("shared page state is closed");
        }
    }
}
