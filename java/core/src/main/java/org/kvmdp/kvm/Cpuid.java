// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import static org.kvmdp.kvm.KvmStructs.Cpuid2.EAX;
import static org.kvmdp.kvm.KvmStructs.Cpuid2.EBX;
import static org.kvmdp.kvm.KvmStructs.Cpuid2.ECX;
import static org.kvmdp.kvm.KvmStructs.Cpuid2.EDX;
import static org.kvmdp.kvm.KvmStructs.Cpuid2.ENTRIES;
import static org.kvmdp.kvm.KvmStructs.Cpuid2.ENTRY_SIZE;
import static org.kvmdp.kvm.KvmStructs.Cpuid2.FLAGS;
import static org.kvmdp.kvm.KvmStructs.Cpuid2.FUNCTION;
import static org.kvmdp.kvm.KvmStructs.Cpuid2.HEADER_SIZE;
import static org.kvmdp.kvm.KvmStructs.Cpuid2.INDEX;
import static org.kvmdp.kvm.KvmStructs.Cpuid2.NENT;

import java.util.List;
import java.util.Optional;
import org.kvmdp.nativeio.NativeBuffer;

/** The entries of a struct kvm_cpuid2 (KVM_GET_SUPPORTED_CPUID / KVM_SET_CPUID2). */
public record Cpuid(List<CpuidEntry> entries) {
    public Cpuid {
        entries = List.copyOf(entries);
    }

    /** The entry for a leaf and sub-leaf, if present. */
    public Optional<CpuidEntry> find(int function, int index) {
        return entries.stream().filter(e -> e.function() == function && e.index() == index)
                .findFirst();
    }

    /** A buffer holding struct kvm_cpuid2 with room for {@code capacity} entries. */
    static NativeBuffer allocate(int capacity) {
        NativeBuffer b = new NativeBuffer(HEADER_SIZE + (long) ENTRY_SIZE * capacity);
        b.putInt(NENT, capacity);
        return b;
    }

    static Cpuid readFrom(NativeBuffer b) {
        int count = b.getInt(NENT);
        CpuidEntry[] list = new CpuidEntry[count];
        for (int i = 0; i < count; i++) {
            long at = ENTRIES + (long) ENTRY_SIZE * i;
            list[i] = new CpuidEntry(b.getInt(at + FUNCTION), b.getInt(at + INDEX),
                    b.getInt(at + FLAGS), b.getInt(at + EAX), b.getInt(at + EBX),
                    b.getInt(at + ECX), b.getInt(at + EDX));
        }
        return new Cpuid(List.of(list));
    }

    NativeBuffer toNative() {
        NativeBuffer b = allocate(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            CpuidEntry e = entries.get(i);
            long at = ENTRIES + (long) ENTRY_SIZE * i;
            b.putInt(at + FUNCTION, e.function());
            b.putInt(at + INDEX, e.index());
            b.putInt(at + FLAGS, e.flags());
            b.putInt(at + EAX, e.eax());
            b.putInt(at + EBX, e.ebx());
            b.putInt(at + ECX, e.ecx());
            b.putInt(at + EDX, e.edx());
        }
        return b;
    }
}
