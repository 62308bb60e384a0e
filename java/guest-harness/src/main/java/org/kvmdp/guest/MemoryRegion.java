// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import org.kvmdp.memory.GuestMemory;

/** A test memslot of a {@link GuestVm}: slot id, guest physical base and its host memory. */
public record MemoryRegion(int slot, long gpa, GuestMemory memory) {
    public long size() {
        return memory.size();
    }

    /** One past the last guest physical address. */
    public long endGpa() {
        return gpa + memory.size();
    }

    /** The host address backing guest physical {@code guestPhysical} (in this region). */
    public long hostAddress(long guestPhysical) {
        return memory.at(guestPhysical - gpa, 1);
    }

    /** The byte offset of {@code guestPhysical} in this region. */
    public long offsetOf(long guestPhysical) {
        long offset = guestPhysical - gpa;
        if (offset < 0 || offset >= memory.size()) {
            throw new IndexOutOfBoundsException("gpa 0x" + Long.toHexString(guestPhysical)
                    + " is outside slot " + slot);
        }
        return offset;
    }
}
