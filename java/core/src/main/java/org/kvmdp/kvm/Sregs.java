// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import static org.kvmdp.kvm.KvmStructs.Sregs.APIC_BASE;
import static org.kvmdp.kvm.KvmStructs.Sregs.CR0;
import static org.kvmdp.kvm.KvmStructs.Sregs.CR2;
import static org.kvmdp.kvm.KvmStructs.Sregs.CR3;
import static org.kvmdp.kvm.KvmStructs.Sregs.CR4;
import static org.kvmdp.kvm.KvmStructs.Sregs.CR8;
import static org.kvmdp.kvm.KvmStructs.Sregs.CS;
import static org.kvmdp.kvm.KvmStructs.Sregs.DS;
import static org.kvmdp.kvm.KvmStructs.Sregs.EFER;
import static org.kvmdp.kvm.KvmStructs.Sregs.ES;
import static org.kvmdp.kvm.KvmStructs.Sregs.FS;
import static org.kvmdp.kvm.KvmStructs.Sregs.GDT;
import static org.kvmdp.kvm.KvmStructs.Sregs.GS;
import static org.kvmdp.kvm.KvmStructs.Sregs.IDT;
import static org.kvmdp.kvm.KvmStructs.Sregs.INTERRUPT_BITMAP;
import static org.kvmdp.kvm.KvmStructs.Sregs.INTERRUPT_BITMAP_WORDS;
import static org.kvmdp.kvm.KvmStructs.Sregs.LDT;
import static org.kvmdp.kvm.KvmStructs.Sregs.SS;
import static org.kvmdp.kvm.KvmStructs.Sregs.TR;

import org.kvmdp.nativeio.NativeBuffer;

/**
 * A mutable copy of struct kvm_sregs (KVM_GET_SREGS / KVM_SET_SREGS): segment registers,
 * descriptor tables, control registers, EFER and the APIC base. Fields mirror the C struct.
 */
public final class Sregs {
    static final int SIZE = KvmStructs.Sregs.SIZE;

    public Segment cs;
    public Segment ds;
    public Segment es;
    public Segment fs;
    public Segment gs;
    public Segment ss;
    public Segment tr;
    public Segment ldt;
    public DescriptorTable gdt;
    public DescriptorTable idt;
    public long cr0;
    public long cr2;
    public long cr3;
    public long cr4;
    public long cr8;
    public long efer;
    public long apicBase;
    public long[] interruptBitmap = new long[INTERRUPT_BITMAP_WORDS];

    static Sregs readFrom(NativeBuffer b) {
        Sregs s = new Sregs();
        s.cs = Segment.readFrom(b, CS);
        s.ds = Segment.readFrom(b, DS);
        s.es = Segment.readFrom(b, ES);
        s.fs = Segment.readFrom(b, FS);
        s.gs = Segment.readFrom(b, GS);
        s.ss = Segment.readFrom(b, SS);
        s.tr = Segment.readFrom(b, TR);
        s.ldt = Segment.readFrom(b, LDT);
        s.gdt = DescriptorTable.readFrom(b, GDT);
        s.idt = DescriptorTable.readFrom(b, IDT);
        s.cr0 = b.getLong(CR0);
        s.cr2 = b.getLong(CR2);
        s.cr3 = b.getLong(CR3);
        s.cr4 = b.getLong(CR4);
        s.cr8 = b.getLong(CR8);
        s.efer = b.getLong(EFER);
        s.apicBase = b.getLong(APIC_BASE);
        for (int i = 0; i < INTERRUPT_BITMAP_WORDS; i++) {
            s.interruptBitmap[i] = b.getLong(INTERRUPT_BITMAP + 8L * i);
        }
        return s;
    }

    void writeTo(NativeBuffer b) {
        cs.writeTo(b, CS);
        ds.writeTo(b, DS);
        es.writeTo(b, ES);
        fs.writeTo(b, FS);
        gs.writeTo(b, GS);
        ss.writeTo(b, SS);
        tr.writeTo(b, TR);
        ldt.writeTo(b, LDT);
        gdt.writeTo(b, GDT);
        idt.writeTo(b, IDT);
        b.putLong(CR0, cr0);
        b.putLong(CR2, cr2);
        b.putLong(CR3, cr3);
        b.putLong(CR4, cr4);
        b.putLong(CR8, cr8);
        b.putLong(EFER, efer);
        b.putLong(APIC_BASE, apicBase);
        for (int i = 0; i < INTERRUPT_BITMAP_WORDS; i++) {
            b.putLong(INTERRUPT_BITMAP + 8L * i, interruptBitmap[i]);
        }
    }
}
