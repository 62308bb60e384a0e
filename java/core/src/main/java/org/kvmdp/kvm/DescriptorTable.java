// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import org.kvmdp.nativeio.NativeBuffer;

/** struct kvm_dtable: base and limit of the GDT or IDT. */
public record DescriptorTable(long base, int limit) {
    static DescriptorTable readFrom(NativeBuffer b, int at) {
        return new DescriptorTable(b.getLong(at + KvmStructs.Sregs.DT_BASE),
                b.getShort(at + KvmStructs.Sregs.DT_LIMIT) & 0xffff);
    }

    void writeTo(NativeBuffer b, int at) {
        b.putLong(at + KvmStructs.Sregs.DT_BASE, base);
        b.putShort(at + KvmStructs.Sregs.DT_LIMIT, limit);
    }
}
