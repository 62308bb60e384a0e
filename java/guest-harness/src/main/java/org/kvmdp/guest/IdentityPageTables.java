// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import static org.kvmdp.guest.GuestAbi.GUEST_PAGE_SIZE;
import static org.kvmdp.guest.GuestAbi.MAPPABLE_LIMIT;
import static org.kvmdp.guest.GuestAbi.PAGE_DIRECTORIES_GPA;
import static org.kvmdp.guest.GuestAbi.PDPT_GPA;
import static org.kvmdp.guest.GuestAbi.PML4_GPA;

import org.kvmdp.memory.GuestMemory;

/**
 * 4-level x86-64 page tables in the system memory that map guest virtual = guest physical
 * with 2 MiB pages. Every PDPT entry below {@link GuestAbi#MAPPABLE_LIMIT} points at its own
 * page directory up front; {@link #map} fills page-directory entries, so only the ranges a
 * test asks for are mapped (anything else faults, which without an IDT ends in shutdown).
 */
public final class IdentityPageTables {
    static final long PRESENT = 1;
    static final long WRITABLE = 1 << 1;
    static final long PAGE_SIZE_BIT = 1 << 7;
    private static final long ENTRY_SIZE = 8;

    private final GuestMemory system;

    /** Writes PML4 and PDPT into {@code system} (which is mapped at guest physical 0). */
    public IdentityPageTables(GuestMemory system) {
        this.system = system;
        system.putLong(PML4_GPA, PDPT_GPA | PRESENT | WRITABLE);
        for (long gib = 0; gib < MAPPABLE_LIMIT >> 30; gib++) {
            system.putLong(PDPT_GPA + gib * ENTRY_SIZE, pageDirectory(gib) | PRESENT | WRITABLE);
        }
    }

    /** The guest physical address of the page directory covering GiB {@code gib}. */
    static long pageDirectory(long gib) {
        return PAGE_DIRECTORIES_GPA + gib * 4096;
    }

    /** Identity-maps [gpa, gpa + size), rounded out to 2 MiB pages. */
    public void map(long gpa, long size) {
        if (gpa < 0 || size <= 0 || gpa > MAPPABLE_LIMIT - size) {
            throw new IllegalArgumentException("cannot map gpa 0x" + Long.toHexString(gpa)
                    + " size 0x" + Long.toHexString(size) + ": the harness maps below 0x"
                    + Long.toHexString(MAPPABLE_LIMIT));
        }
        long first = gpa & -GUEST_PAGE_SIZE;
        for (long page = first; page < gpa + size; page += GUEST_PAGE_SIZE) {
            system.putLong(entryAddress(page), page | PRESENT | WRITABLE | PAGE_SIZE_BIT);
        }
    }

    /** The page-directory entry (2 MiB mapping) for {@code gpa}, 0 if unmapped. */
    public long entry(long gpa) {
        return system.getLong(entryAddress(gpa));
    }

    private static long entryAddress(long gpa) {
        long gib = gpa >>> 30;
        long index = (gpa >>> 21) & 511;
        return pageDirectory(gib) + index * ENTRY_SIZE;
    }
}
