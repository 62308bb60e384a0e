// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import static org.kvmdp.kvm.KvmStructs.Sregs.SEG_AVL;
import static org.kvmdp.kvm.KvmStructs.Sregs.SEG_BASE;
import static org.kvmdp.kvm.KvmStructs.Sregs.SEG_DB;
import static org.kvmdp.kvm.KvmStructs.Sregs.SEG_DPL;
import static org.kvmdp.kvm.KvmStructs.Sregs.SEG_G;
import static org.kvmdp.kvm.KvmStructs.Sregs.SEG_L;
import static org.kvmdp.kvm.KvmStructs.Sregs.SEG_LIMIT;
import static org.kvmdp.kvm.KvmStructs.Sregs.SEG_PRESENT;
import static org.kvmdp.kvm.KvmStructs.Sregs.SEG_S;
import static org.kvmdp.kvm.KvmStructs.Sregs.SEG_SELECTOR;
import static org.kvmdp.kvm.KvmStructs.Sregs.SEG_TYPE;
import static org.kvmdp.kvm.KvmStructs.Sregs.SEG_UNUSABLE;

import org.kvmdp.nativeio.NativeBuffer;

/** struct kvm_segment: a segment register's hidden state as KVM sees it. */
public record Segment(long base, int limit, int selector, int type, boolean present, int dpl,
        boolean db, boolean s, boolean l, boolean g, boolean avl, boolean unusable) {

    static Segment readFrom(NativeBuffer b, int at) {
        return new Segment(b.getLong(at + SEG_BASE), b.getInt(at + SEG_LIMIT),
                b.getShort(at + SEG_SELECTOR) & 0xffff, b.getByte(at + SEG_TYPE) & 0xff,
                b.getByte(at + SEG_PRESENT) != 0, b.getByte(at + SEG_DPL) & 0xff,
                b.getByte(at + SEG_DB) != 0, b.getByte(at + SEG_S) != 0,
                b.getByte(at + SEG_L) != 0, b.getByte(at + SEG_G) != 0,
                b.getByte(at + SEG_AVL) != 0, b.getByte(at + SEG_UNUSABLE) != 0);
    }

    void writeTo(NativeBuffer b, int at) {
        b.putLong(at + SEG_BASE, base);
        b.putInt(at + SEG_LIMIT, limit);
        b.putShort(at + SEG_SELECTOR, selector);
        b.putByte(at + SEG_TYPE, type);
        b.putByte(at + SEG_PRESENT, present ? 1 : 0);
        b.putByte(at + SEG_DPL, dpl);
        b.putByte(at + SEG_DB, db ? 1 : 0);
        b.putByte(at + SEG_S, s ? 1 : 0);
        b.putByte(at + SEG_L, l ? 1 : 0);
        b.putByte(at + SEG_G, g ? 1 : 0);
        b.putByte(at + SEG_AVL, avl ? 1 : 0);
        b.putByte(at + SEG_UNUSABLE, unusable ? 1 : 0);
    }

    /** This segment with the D/B bit changed (e.g. to provoke an invalid long-mode CS). */
    public Segment withDb(boolean newDb) {
        return new Segment(base, limit, selector, type, present, dpl, newDb, s, l, g, avl, unusable);
    }
}
