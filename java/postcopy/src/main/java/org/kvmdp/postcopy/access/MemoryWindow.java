// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.access;

import java.util.Objects;
import org.kvmdp.guest.MemoryRegion;

/**
 * The VMM's own view of one region of guest memory: its userspace mapping, addressed by the
 * byte offset into the region, plus where the region sits in guest physical space. Reading or
 * writing it consults nothing: that is the job of a {@link GuestMemoryAccess} over it.
 */
public interface MemoryWindow {
    /** The guest physical address of offset 0. */
    long gpa();

    long size();

    byte[] read(long offset, int length);

    void write(long offset, byte[] bytes);

    /** The userspace mapping of a guest memslot. */
    static MemoryWindow of(MemoryRegion region) {
        Objects.requireNonNull(region, "region");
        return new MemoryWindow() {
            @Override
            public long gpa() {
                return region.gpa();
            }

            @Override
            public long size() {
                return region.size();
            }

            @Override
            public byte[] read(long offset, int length) {
                return region.memory().read(offset, length);
            }

            @Override
            public void write(long offset, byte[] bytes) {
                region.memory().write(offset, bytes);
            }
        };
    }

    /** The offset of [gpa, gpa + length) in this window; throws if it is not all inside. */
    default long offsetOf(long gpa, long length) {
        long offset = gpa - gpa();
        if (length < 0 || offset < 0 || offset > size() || length > size() - offset) {
            throw new IndexOutOfBoundsException(String.format("guest range [0x%x, +%d) is outside"
                    + " the region [0x%x, 0x%x)", gpa, length, gpa(), gpa() + size()));
        }
        return offset;
    }
}
