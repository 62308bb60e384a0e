// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.memory;

import java.util.Objects;
import org.kvmdp.nativeio.Mman;
import org.kvmdp.nativeio.NativeMem;
import org.kvmdp.nativeio.NativeMemory;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.nativeio.SyscallException;

/**
 * A host mapping to back guest memory: address, size, backing and (for shmem and hugetlb)
 * the memfd. Unmapped and closed by {@link #close}; the caller must delete any memslot using
 * it first. Accessors check bounds; the raw {@link #address} is for memslots and syscalls.
 */
public final class GuestMemory implements AutoCloseable {
    private final Backing backing;
    private final long address;
    private final long size;
    private final OwnedFd memfd;
    private volatile boolean closed;

    private GuestMemory(Backing backing, long address, long size, OwnedFd memfd) {
        this.backing = backing;
        this.address = address;
        this.size = size;
        this.memfd = memfd;
    }

    /**
     * Maps {@code size} bytes (> 0, a multiple of the backing's page size) of {@code backing}.
     * Throws {@link IllegalStateException} with the reason if the backing is unavailable.
     */
    public static GuestMemory allocate(Backing backing, long size) {
        Objects.requireNonNull(backing, "backing");
        if (size <= 0 || size % backing.pageSize() != 0) {
            throw new IllegalArgumentException("size " + size + " is not a positive multiple of "
                    + backing + "'s page size " + backing.pageSize());
        }
        backing.unavailabilityReason(size).ifPresent(reason -> {
            throw new IllegalStateException(backing + " memory unavailable: " + reason);
        });
        switch (backing) {
            case ANONYMOUS:
                return new GuestMemory(backing, mapAnonymous(size), size, null);
            case THP:
                return new GuestMemory(backing, mapTransparentHuge(size), size, null);
            case SHMEM:
                return mapMemfd(backing, size, Mman.MFD_CLOEXEC);
            case HUGETLB_2M:
                return mapMemfd(backing, size, Mman.MFD_CLOEXEC | Mman.MFD_HUGETLB | Mman.MFD_HUGE_2MB);
            case HUGETLB_1G:
                return mapMemfd(backing, size, Mman.MFD_CLOEXEC | Mman.MFD_HUGETLB | Mman.MFD_HUGE_1GB);
            default:
                throw new AssertionError(backing);
        }
    }

    public Backing backing() {
        return backing;
    }

    /** Host virtual address of the first byte. */
    public long address() {
        checkOpen();
        return address;
    }

    public long size() {
        return size;
    }

    /** The memfd for SHMEM and HUGETLB_*; {@link IllegalStateException} for private memory. */
    public int memfd() {
        checkOpen();
        if (memfd == null) {
            throw new IllegalStateException(backing + " memory has no memfd");
        }
        return memfd.get();
    }

    public long getLong(long offset) {
        return NativeMemory.getLong(at(offset, 8));
    }

    public void putLong(long offset, long value) {
        NativeMemory.putLong(at(offset, 8), value);
    }

    public byte[] read(long offset, int length) {
        return NativeMemory.toArray(at(offset, length), length);
    }

    public void write(long offset, byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        NativeMemory.fromArray(bytes, at(offset, bytes.length));
    }

    /**
     * Allocates every page of the mapping now, writable (MADV_POPULATE_WRITE), so that later
     * writes take no page fault: pages never touched become zero-filled pages of the backing
     * (shmem and hugetlb: of its memfd). Throws {@link SyscallException} if the memory cannot
     * be had (ENOMEM, or no free huge pages).
     */
    public void populate() {
        checkOpen();
        Mman.madvise(address, size, Mman.MADV_POPULATE_WRITE);
    }

    /** Host address of {@code offset}, checked to leave {@code length} bytes in the mapping. */
    public long at(long offset, long length) {
        checkOpen();
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length
                    + " outside " + size + " bytes of " + backing + " memory");
        }
        return address + offset;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Unmaps and closes the memfd. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Mman.munmap(address, size);
        } finally {
            if (memfd != null) {
                memfd.close();
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(backing + " guest memory is closed");
        }
    }

    private static long mapAnonymous(long size) {
        return Mman.mmap(0, size, Mman.PROT_READ | Mman.PROT_WRITE,
                Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_NORESERVE, -1, 0);
    }

    /** Over-maps by one huge page and trims, so the range is 2 MiB aligned. */
    private static long mapTransparentHuge(long size) {
        long huge = Backing.THP.pageSize();
        long raw = mapAnonymous(size + huge);
        long aligned = (raw + huge - 1) & -huge;
        if (aligned > raw) {
            Mman.munmap(raw, aligned - raw);
        }
        long tail = raw + size + huge - (aligned + size);
        if (tail > 0) {
            Mman.munmap(aligned + size, tail);
        }
        try {
            Mman.madvise(aligned, size, Mman.MADV_HUGEPAGE);
        } catch (SyscallException e) {
            Mman.munmap(aligned, size);
            throw e;
        }
        return aligned;
    }

    private static GuestMemory mapMemfd(Backing backing, long size, int flags) {
        int rc = NativeMem.memfdCreate("kvmdp-" + backing.name().toLowerCase(java.util.Locale.ROOT),
                flags);
        if (rc < 0) {
            throw new SyscallException("memfd_create", -rc, backing.toString());
        }
        OwnedFd fd = new OwnedFd(rc, backing + " memfd");
        try {
            int truncated = NativeMem.ftruncate(fd.get(), size);
            if (truncated < 0) {
                throw new SyscallException("ftruncate", -truncated, backing + " size " + size);
            }
            long address = Mman.mmap(0, size, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_SHARED,
                    fd.get(), 0);
            return new GuestMemory(backing, address, size, fd);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }
}
