// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.nativeio.Uapi;

/** A mutable copy of struct kvm_regs (KVM_GET_REGS / KVM_SET_REGS). */
public final class Regs {
    static final int SIZE = Uapi.getInt("sizeof(kvm_regs)");

    private final long[] values = new long[Register.values().length];

    public long get(Register register) {
        return values[register.ordinal()];
    }

    /** Sets one register; returns this for chaining. */
    public Regs set(Register register, long value) {
        values[Objects.requireNonNull(register, "register").ordinal()] = value;
        return this;
    }

    /** All registers by name, for messages. */
    public Map<Register, Long> asMap() {
        Map<Register, Long> map = new EnumMap<>(Register.class);
        for (Register r : Register.values()) {
            map.put(r, values[r.ordinal()]);
        }
        return map;
    }

    static Regs readFrom(NativeBuffer buffer) {
        Regs regs = new Regs();
        for (Register r : Register.values()) {
            regs.values[r.ordinal()] = buffer.getLong(r.offset);
        }
        return regs;
    }

    void writeTo(NativeBuffer buffer) {
        for (Register r : Register.values()) {
            buffer.putLong(r.offset, values[r.ordinal()]);
        }
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Regs[");
        for (Register r : Register.values()) {
            s.append(r.ordinal() == 0 ? "" : " ").append(r.name().toLowerCase(java.util.Locale.ROOT))
                    .append("=0x").append(Long.toHexString(values[r.ordinal()]));
        }
        return s.append(']').toString();
    }
}
