// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.NativeMemory;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.uffd.Userfaultfd;

/**
 * Installs pages into a region registered with userfaultfd MISSING. The JVM must never touch
 * the registered memory while a page may be missing (a JVM thread blocked on such a fault
 * would hang every safepoint), so {@link #install} stages the bytes in native memory and
 * {@link #publish} places them with UFFDIO_COPY, which fills the pages atomically and wakes
 * the threads (vCPUs in KVM_RUN) faulting on them.
 *
 * <p>UFFDIO_COPY works in units of the backing's page: on hugetlb a whole huge page is copied
 * at once, so the 4 KiB engine pages of one huge page are staged until all of them have been
 * installed and the run that completes the huge page copies it. A requester of any page of a
 * huge page must therefore wait for all of its pages ({@link #pagesPerUnit}).
 */
public final class UffdInstaller implements UffdPageInstaller {
    private final MemoryRegion region;
    /** The userfaultfds, one per equal slice of the region (one for the whole region). */
    private final Userfaultfd[] uffds;
    private final long sliceBytes;
    private final long unit;
    private final int pagesPerUnit;
    private final InstallCounts installs;
    private final ConcurrentHashMap<Long, Staging> staging = new ConcurrentHashMap<>();
    /** 1 once a unit has been copied in; only then may {@link #readBack} read it. */
    private final AtomicIntegerArray placed;
    private final ThreadScratch scratch = new ThreadScratch();

    private static final class Staging {
        final long address;
        final AtomicInteger filled = new AtomicInteger();

        Staging(long size) {
            address = NativeMemory.allocateZeroed(size);
        }
    }

    /**
     * An installer for a region split into {@code shards.size()} equal slices, slice i
     * registered with {@code shards.get(i)}: each UFFDIO_COPY goes to its slice's fd.
     */
    public UffdInstaller(MemoryRegion region, List<Userfaultfd> shards) {
        this.region = Objects.requireNonNull(region, "region");
        this.uffds = shards.toArray(new Userfaultfd[0]);
        this.unit = region.memory().backing().pageSize();
        if (uffds.length == 0 || unit % Pages.SIZE != 0
                || region.size() % (unit * uffds.length) != 0) {
            throw new IllegalArgumentException("region of " + region.size() + " bytes in units of "
                    + unit + " does not split into " + Math.max(1, uffds.length)
                    + " slices of whole units of " + Pages.SIZE + "-byte pages");
        }
        this.sliceBytes = region.size() / uffds.length;
        this.pagesPerUnit = (int) (unit / Pages.SIZE);
        this.installs = new InstallCounts(Pages.count(region.size()));
        this.placed = new AtomicIntegerArray((int) (region.size() / unit));
    }

    /** Engine pages per UFFDIO_COPY unit: 1 on 4 KiB backings, 512 on 2 MiB hugetlb. */
    public int pagesPerUnit() {
        return pagesPerUnit;
    }

    /** The backing's page size, the unit of one UFFDIO_COPY. */
    public long unitBytes() {
        return unit;
    }

    public long pagesNotInstalledExactlyOnce() {
        return installs.notExactlyOnce();
    }

    @Override
    public void install(long page, ByteBuffer bytes) {
        installs.checkPage(page);
        Staging s = staging.computeIfAbsent(page / pagesPerUnit, u -> new Staging(unit));
        KvmDemandPagingInstaller.copyIn(bytes, s.address + (page % pagesPerUnit) * Pages.SIZE);
        installs.installed(page);
    }

    /**
     * The fault path on 4 KiB backings: the source copies the run into this thread's staging
     * area and one UFFDIO_COPY places all of it and wakes the faulting vCPU; staging and the
     * ioctl struct are reused, so nothing is allocated. Huge pages take the staged path.
     */
    @Override
    public int installDirect(PageSource source, long first, int count) {
        if (pagesPerUnit != 1 || count > ThreadScratch.STAGING_PAGES
                || sliceOf(first) != sliceOf(first + count - 1)) {
            return -1;
        }
        installs.checkPage(first);
        installs.checkPage(first + count - 1);
        ThreadScratch.Buffers buffers = scratch.get();
        if (!source.copyToAddress(first, count, buffers.page())) {
            return -1;
        }
        for (int i = 0; i < count; i++) {
            installs.installed(first + i);
        }
        if (count == 1) {
            return copyUnit(first, buffers.page(), buffers) ? 0 : 1;
        }
        if (copyRun(first, count, buffers)) {
            return 0;
        }
        // Some page of the run was there already (EEXIST, the benign duplicate of copyUnit):
        // place the pages one by one; those this call's copy placed count as present too.
        int alreadyPresent = 0;
        for (int i = 0; i < count; i++) {
            if (!copyUnit(first + i, buffers.page() + (long) i * Pages.SIZE, buffers)) {
                alreadyPresent++;
            }
        }
        return alreadyPresent;
    }

    /** Which userfaultfd's slice 4 KiB page {@code page} is in. */
    private int sliceOf(long page) {
        return (int) (Pages.offset(page) / sliceBytes);
    }

    @Override
    public int publish(PageRun run) {
        run.checkWithin(installs.pages());
        int alreadyPresent = 0;
        long page = run.first();
        while (page < run.end()) {
            long u = page / pagesPerUnit;
            long unitEnd = Math.min(run.end(), (u + 1) * pagesPerUnit);
            int n = (int) (unitEnd - page);
            Staging s = staging.get(u);
            if (s == null) {
                throw new IllegalStateException("publishing pages " + run + " never installed");
            }
            // The staged bytes of other runs of this unit were written before their
            // increments, so the thread whose increment completes the unit sees them all.
            if (s.filled.addAndGet(n) == pagesPerUnit) {
                alreadyPresent += copy(u, s) ? 0 : pagesPerUnit;
            }
            page = unitEnd;
        }
        return alreadyPresent;
    }

    /** UFFDIO_COPY of unit {@code u}; false if it was already there (EEXIST). */
    private boolean copy(long u, Staging s) {
        try {
            return copyUnit(u, s.address, scratch.get());
        } finally {
            staging.remove(u);
            NativeMemory.free(s.address);
        }
    }

    private boolean copyUnit(long u, long from, ThreadScratch.Buffers buffers) {
        return copyUnits(u, 1, from, buffers);
    }

    /** One UFFDIO_COPY of {@code count} 4 KiB pages (units) from staging; false on EEXIST. */
    private boolean copyRun(long first, int count, ThreadScratch.Buffers buffers) {
        return copyUnits(first, count, buffers.page(), buffers);
    }

    /**
     * One UFFDIO_COPY of {@code count} units from {@code u}, all in one slice, from native
     * {@code from}; false if one was there already (EEXIST: then only a single unit counts as
     * placed, and a caller of a longer run places its units one by one).
     */
    private boolean copyUnits(long u, int count, long from, ThreadScratch.Buffers buffers) {
        long dst = region.memory().address() + u * unit;
        long length = count * unit;
        Userfaultfd uffd = uffds[(int) (u * unit / sliceBytes)];
        long rc = uffd.copyRaw(dst, from, length, true, buffers.ioctl());
        if (rc == -Errno.EEXIST.code()) {
            // Benign: the engine installs each page once, so the unit can only have been
            // filled by a duplicate resolution of the same fault (e.g. a racing UFFDIO_COPY
            // after a retried event). Memory that was filled was never missing, so the guest
            // cannot have written it while we staged, and a present unit wakes no one: the
            // faulting threads were woken by whoever filled it. Count it and go on.
            if (count == 1) {
                placed.set((int) u, 1);
            }
            return false;
        }
        if (rc < 0) {
            throw new IllegalStateException("UFFDIO_COPY of " + length + " bytes at unit " + u
                    + ": " + Errno.describe((int) -rc));
        }
        if (rc != length) {
            throw new IllegalStateException("UFFDIO_COPY copied " + rc + " of " + length
                    + " bytes at unit " + u);
        }
        for (int i = 0; i < count; i++) {
            placed.set((int) (u + i), 1);
        }
        return true;
    }

    @Override
    public void readBack(long page, ByteBuffer into) {
        installs.checkPage(page);
        if (placed.get((int) (page / pagesPerUnit)) == 0) {
            // Reading a missing page of the registered range from Java would block this JVM
            // thread on a userfault that no one may ever resolve.
            throw new IllegalStateException("page " + page + " was never placed with UFFDIO_COPY");
        }
        into.put(region.memory().read(Pages.offset(page), Pages.SIZE));
    }

    /** Frees staging left by a failed migration and the threads' scratch buffers. */
    @Override
    public void close() {
        scratch.close();
        staging.forEach((u, s) -> {
            if (staging.remove(u, s)) {
                NativeMemory.free(s.address);
            }
        });
    }
}
