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

    public UffdInstaller(MemoryRegion region, Userfaultfd uffd) {
        this(region, List.of(Objects.requireNonNull(uffd, "uffd")));
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
     * The fault path on 4 KiB backings: per page, the source copies it into this thread's
     * staging page and one UFFDIO_COPY places it and wakes the faulting vCPU; the staging page
     * and the ioctl struct are reused, so nothing is allocated. Huge pages take the staged path.
     */
    @Override
    public int installDirect(PageSource source, long first, int count) {
        if (pagesPerUnit != 1) {
            return -1;
        }
        installs.checkPage(first);
        installs.checkPage(first + count - 1);
        ThreadScratch.Buffers buffers = scratch.get();
        int alreadyPresent = 0;
        for (int i = 0; i < count; i++) {
            long page = first + i;
            if (!source.copyToAddress(page, 1, buffers.page())) {
                if (i == 0) {
                    return -1;
                }
                throw new IllegalStateException("page source stopped copying directly at page "
                        + page);
            }
            installs.installed(page);
            alreadyPresent += place(page, buffers) ? 0 : 1;
        }
        return alreadyPresent;
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

    /** UFFDIO_COPY of 4 KiB page {@code page} from the staging page of {@code buffers}. */
    private boolean place(long page, ThreadScratch.Buffers buffers) {
        return copyUnit(page, buffers.page(), buffers);
    }

    private boolean copyUnit(long u, long from, ThreadScratch.Buffers buffers) {
        long dst = region.memory().address() + u * unit;
        Userfaultfd uffd = uffds[(int) (u * unit / sliceBytes)];
        long rc = uffd.copyRaw(dst, from, unit, true, buffers.ioctl());
        if (rc == -Errno.EEXIST.code()) {
            // Benign: the engine installs each page once, so the unit can only have been
            // filled by a duplicate resolution of the same fault (e.g. a racing UFFDIO_COPY
            // after a retried event). Memory that was filled was never missing, so the guest
            // cannot have written it while we staged, and a present unit wakes no one: the
            // faulting threads were woken by whoever filled it. Count it and go on.
            placed.set((int) u, 1);
            return false;
        }
        if (rc < 0) {
            throw new IllegalStateException("UFFDIO_COPY of " + unit + " bytes at unit " + u
                    + ": " + Errno.describe((int) -rc));
        }
        if (rc != unit) {
            throw new IllegalStateException("UFFDIO_COPY copied " + rc + " of " + unit
                    + " bytes at unit " + u);
        }
        placed.set((int) u, 1);
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
