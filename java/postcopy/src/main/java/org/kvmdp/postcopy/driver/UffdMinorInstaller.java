// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.memory.Backing;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.Mman;
import org.kvmdp.nativeio.NativeMem;
import org.kvmdp.nativeio.NativeMemory;
import org.kvmdp.nativeio.SyscallException;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.uffd.Userfaultfd;

/**
 * Installs pages into a shared (shmem or hugetlb) region registered with userfaultfd MINOR.
 * The bytes go through a second mapping of the same memfd, the alias, which no userfaultfd
 * watches: they land in the page cache while the guest's mapping still has no page-table
 * entry for them, and {@link #publish} maps them there with UFFDIO_CONTINUE, which wakes the
 * vCPUs faulting on them. The JVM never touches the registered mapping (a JVM thread blocked
 * on a userfault would hang every safepoint); {@link #readBack} reads the alias too.
 *
 * <p>MINOR faults happen only for pages already in the page cache: a page missing from it
 * would be allocated zero-filled without any event, and the guest would read zeros. So the
 * constructor allocates every page of the memfd (fallocate) before the region is registered.
 *
 * <p>UFFDIO_CONTINUE works in units of the backing's page: on hugetlb a huge page is mapped
 * once all of its 4 KiB engine pages have been written into the alias, by the run that
 * completes it. A requester of any page of a huge page must therefore wait for all of its
 * pages ({@link #pagesPerUnit}).
 */
public final class UffdMinorInstaller implements UffdPageInstaller {
    private final MemoryRegion region;
    private final Userfaultfd uffd;
    private final long unit;
    private final int pagesPerUnit;
    private final long alias;
    private final InstallCounts installs;
    /** Engine pages of each unit written into the alias so far. */
    private final AtomicIntegerArray filled;
    private volatile boolean closed;
    private final ThreadScratch scratch = new ThreadScratch();

    public UffdMinorInstaller(MemoryRegion region, Userfaultfd uffd) {
        this.region = Objects.requireNonNull(region, "region");
        this.uffd = Objects.requireNonNull(uffd, "uffd");
        Backing backing = region.memory().backing();
        if (!backing.isShared()) {
            throw new IllegalArgumentException("userfaultfd MINOR needs shared memory (shmem or"
                    + " hugetlb), not " + backing + ": private memory has no page cache to map");
        }
        this.unit = backing.pageSize();
        if (unit % Pages.SIZE != 0 || region.size() % unit != 0) {
            throw new IllegalArgumentException("region of " + region.size() + " bytes in units of "
                    + unit + " does not split into " + Pages.SIZE + "-byte pages");
        }
        this.pagesPerUnit = (int) (unit / Pages.SIZE);
        this.installs = new InstallCounts(Pages.count(region.size()));
        this.filled = new AtomicIntegerArray((int) (region.size() / unit));
        int memfd = region.memory().memfd();
        int rc = NativeMem.fallocate(memfd, 0, 0, region.size());
        if (rc < 0) {
            throw new SyscallException("fallocate", -rc, "populating the page cache of "
                    + region.size() + " bytes of " + backing);
        }
        this.alias = Mman.mmap(0, region.size(), Mman.PROT_READ | Mman.PROT_WRITE,
                Mman.MAP_SHARED, memfd, 0);
    }

    /** Engine pages per UFFDIO_CONTINUE unit: 1 on shmem, 512 on 2 MiB hugetlb. */
    public int pagesPerUnit() {
        return pagesPerUnit;
    }

    /** The backing's page size, the unit of one UFFDIO_CONTINUE. */
    public long unitBytes() {
        return unit;
    }

    public long pagesNotInstalledExactlyOnce() {
        return installs.notExactlyOnce();
    }

    @Override
    public void install(long page, ByteBuffer bytes) {
        installs.checkPage(page);
        KvmDemandPagingInstaller.copyIn(bytes, aliasAddress(page));
        installs.installed(page);
    }

    /**
     * The fault path: the source copies the pages straight into the alias (one copy, no
     * buffer), then they are published as by {@link #publish}, with a reused ioctl struct.
     */
    @Override
    public int installDirect(PageSource source, long first, int count) {
        installs.checkPage(first);
        installs.checkPage(first + count - 1);
        if (!source.copyToAddress(first, count, aliasAddress(first))) {
            return -1;
        }
        for (int i = 0; i < count; i++) {
            installs.installed(first + i);
        }
        return publish(first, first + count);
    }

    @Override
    public int publish(PageRun run) {
        run.checkWithin(installs.pages());
        return publish(run.first(), run.end());
    }

    private int publish(long first, long end) {
        if (pagesPerUnit == 1) {
            return mapInto(first, (int) (end - first)) ? 0 : (int) (end - first);
        }
        int alreadyPresent = 0;
        long page = first;
        while (page < end) {
            int u = (int) (page / pagesPerUnit);
            long unitEnd = Math.min(end, (u + 1L) * pagesPerUnit);
            // Other runs of this unit wrote their bytes before their increments, so the thread
            // whose increment completes the unit maps all of them.
            if (filled.addAndGet(u, (int) (unitEnd - page)) == pagesPerUnit) {
                alreadyPresent += mapInto((long) u * pagesPerUnit, pagesPerUnit) ? 0 : pagesPerUnit;
            }
            page = unitEnd;
        }
        return alreadyPresent;
    }

    /** UFFDIO_CONTINUE of {@code count} pages from {@code first}; false if already mapped. */
    private boolean mapInto(long first, int count) {
        long dst = region.memory().address() + Pages.offset(first);
        long length = (long) count * Pages.SIZE;
        long rc = uffd.continueRangeRaw(dst, length, true, scratch.get().ioctl());
        if (rc == -Errno.EEXIST.code()) {
            // Benign, as for UFFDIO_COPY: the engine installs each page once, so only a
            // duplicate resolution of the same fault can have mapped it, and the faulting
            // threads were woken by whoever did.
            return false;
        }
        if (rc < 0) {
            throw new IllegalStateException("UFFDIO_CONTINUE of " + length + " bytes at page "
                    + first + ": " + Errno.describe((int) -rc));
        }
        if (rc != length) {
            throw new IllegalStateException("UFFDIO_CONTINUE mapped " + rc + " of " + length
                    + " bytes at page " + first);
        }
        return true;
    }

    @Override
    public void readBack(long page, ByteBuffer into) {
        installs.checkPage(page);
        into.put(NativeMemory.toArray(aliasAddress(page), Pages.SIZE));
    }

    /** Unmaps the alias; the region's own mapping and the page cache stay. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            scratch.close();
            Mman.munmap(alias, region.size());
        }
    }

    private long aliasAddress(long page) {
        if (closed) {
            throw new IllegalStateException("installer is closed");
        }
        return alias + Pages.offset(page);
    }
}
