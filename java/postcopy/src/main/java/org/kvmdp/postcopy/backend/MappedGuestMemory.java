// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.util.Objects;
import org.kvmdp.nativeio.Mman;
import org.kvmdp.nativeio.NativeMemory;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.postcopy.access.MemoryWindow;

/**
 * A backend's own mapping of the guest memfd it was passed (MAP_SHARED, read-write): the
 * same pages as the VMM's mapping and the guest's. Consults nothing, like the VMM's
 * {@link MemoryWindow}: with KVM demand paging a page that has not arrived reads as zeros,
 * and with userfaultfd this mapping is not even registered, so touching a missing shmem or
 * hugetlb page here would allocate a zero page in the memfd's page cache and make the
 * engine's later UFFDIO_COPY fail. Only a {@link BackendGate} may use it.
 */
public final class MappedGuestMemory implements MemoryWindow, AutoCloseable {
    private final long address;
    private final long gpa;
    private final long size;
    private volatile boolean closed;

    private MappedGuestMemory(long address, long gpa, long size) {
        this.address = address;
        this.gpa = gpa;
        this.size = size;
    }

    /** Maps {@code size} bytes of {@code memfd} whose offset 0 is guest physical {@code gpa}. */
    public static MappedGuestMemory map(OwnedFd memfd, long gpa, long size) {
        Objects.requireNonNull(memfd, "memfd");
        long address = Mman.mmap(0, size, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_SHARED,
                memfd.get(), 0);
        return new MappedGuestMemory(address, gpa, size);
    }

    @Override
    public long gpa() {
        return gpa;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public byte[] read(long offset, int length) {
        return NativeMemory.toArray(at(offset, length), length);
    }

    @Override
    public void write(long offset, byte[] bytes) {
        NativeMemory.fromArray(bytes, at(offset, bytes.length));
    }

    private long at(long offset, long length) {
        if (closed) {
            throw new IllegalStateException("the backend's guest memory mapping is closed");
        }
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length
                    + " outside " + size + " bytes of guest memory");
        }
        return address + offset;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Mman.munmap(address, size);
        }
    }
}
