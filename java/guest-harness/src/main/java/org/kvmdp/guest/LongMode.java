// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import org.kvmdp.kvm.DescriptorTable;
import org.kvmdp.kvm.Segment;
import org.kvmdp.kvm.Sregs;
import org.kvmdp.memory.GuestMemory;

/**
 * Puts a vCPU straight into 64-bit mode via KVM_SET_SREGS (no real-mode boot code): flat
 * segments matching the GDT written by {@link #writeGdt}, paging with the identity tables,
 * EFER.LME|LMA, and an empty IDT so any exception ends in a triple fault (KVM_EXIT_SHUTDOWN).
 */
public final class LongMode {
    static final long CR0_PE = 1L;
    static final long CR0_MP = 1L << 1;
    static final long CR0_ET = 1L << 4;
    static final long CR0_NE = 1L << 5;
    static final long CR0_WP = 1L << 16;
    static final long CR0_PG = 1L << 31;
    static final long CR4_PAE = 1L << 5;
    static final long CR4_OSFXSR = 1L << 9;
    static final long CR4_OSXMMEXCPT = 1L << 10;
    static final long EFER_LME = 1L << 8;
    static final long EFER_LMA = 1L << 10;

    static final int CODE_SELECTOR = 0x08;
    static final int DATA_SELECTOR = 0x10;
    static final int TSS_SELECTOR = 0x18;
    private static final long GDT_CODE64 = 0x00af9b000000ffffL; // present, DPL0, exec/read, L
    private static final long GDT_DATA = 0x00cf93000000ffffL;   // present, DPL0, read/write, 4G
    private static final long GDT_TSS64_LOW = 0x0000_8b00_0000_0067L; // busy 64-bit TSS at 0
    private static final int GDT_ENTRIES = 5; // the TSS descriptor takes two

    private LongMode() {}

    /** Writes the GDT at {@link GuestAbi#GDT_GPA} of the system memory. */
    public static void writeGdt(GuestMemory system) {
        system.putLong(GuestAbi.GDT_GPA, 0);
        system.putLong(GuestAbi.GDT_GPA + 8, GDT_CODE64);
        system.putLong(GuestAbi.GDT_GPA + 16, GDT_DATA);
        system.putLong(GuestAbi.GDT_GPA + 24, GDT_TSS64_LOW);
        system.putLong(GuestAbi.GDT_GPA + 32, 0);
    }

    /** Rewrites {@code sregs} (as read from KVM, keeping e.g. the APIC base) for 64-bit mode. */
    public static Sregs apply(Sregs sregs) {
        Segment data = new Segment(0, 0xffffffff, DATA_SELECTOR, 0x3, true, 0, true, true, false,
                true, false, false);
        sregs.cs = new Segment(0, 0xffffffff, CODE_SELECTOR, 0xb, true, 0, false, true, true, true,
                false, false);
        sregs.ds = data;
        sregs.es = data;
        sregs.fs = data;
        sregs.gs = data;
        sregs.ss = data;
        sregs.tr = new Segment(0, 0x67, TSS_SELECTOR, 0xb, true, 0, false, false, false, false,
                false, false);
        sregs.ldt = new Segment(0, 0, 0, 0x2, false, 0, false, false, false, false, false, true);
        sregs.gdt = new DescriptorTable(GuestAbi.GDT_GPA, GDT_ENTRIES * 8 - 1);
        sregs.idt = new DescriptorTable(0, 0);
        sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
        sregs.cr3 = GuestAbi.PML4_GPA;
        sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
        sregs.efer = EFER_LME | EFER_LMA;
        return sregs;
    }
}
