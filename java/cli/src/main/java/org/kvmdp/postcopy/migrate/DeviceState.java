// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.migrate;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.kvmdp.kvm.Register;
import org.kvmdp.kvm.Regs;

/**
 * What a destination needs besides memory to resume the migrated guest: where the memory sits
 * in guest physical space, the workload's parameters and each vCPU's registers at the
 * migration point. System registers are not carried: the workload never changes them, and
 * both sides set up the same long-mode state.
 *
 * <p>Encoding (big-endian): magic "KVMS", version, region gpa, region bytes, seed, flags,
 * vCPU count, then per vCPU every {@link Register} in declaration order.
 */
public record DeviceState(long regionGpa, long regionBytes, long seed, int flags,
        List<Regs> vcpus) {
    static final int MAGIC = 0x4B56_4D53;
    static final int VERSION = 1;
    private static final int HEADER_BYTES = 4 + 4 + 8 + 8 + 8 + 4 + 4;

    public DeviceState {
        Objects.requireNonNull(vcpus, "vcpus");
        vcpus = List.copyOf(vcpus);
        if (vcpus.isEmpty()) {
            throw new IllegalArgumentException("a guest has at least one vCPU");
        }
    }

    public byte[] encode() {
        Register[] registers = Register.values();
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + vcpus.size() * registers.length * 8);
        b.putInt(MAGIC).putInt(VERSION).putLong(regionGpa).putLong(regionBytes).putLong(seed)
                .putInt(flags).putInt(vcpus.size());
        for (Regs regs : vcpus) {
            for (Register r : registers) {
                b.putLong(regs.get(r));
            }
        }
        return b.array();
    }

    /** Parses {@link #encode}'s output; {@link IllegalArgumentException} naming the problem. */
    public static DeviceState decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            int magic = b.getInt();
            if (magic != MAGIC) {
                throw new IllegalArgumentException(String.format("device state has magic 0x%08x,"
                        + " not a kvmdp migrate source's (0x%08x); %d bytes", magic, MAGIC,
                        bytes.length));
            }
            int version = b.getInt();
            if (version != VERSION) {
                throw new IllegalArgumentException("device state version " + version
                        + ", this destination reads " + VERSION);
            }
            long gpa = b.getLong();
            long size = b.getLong();
            long seed = b.getLong();
            int flags = b.getInt();
            int count = b.getInt();
            Register[] registers = Register.values();
            long expected = HEADER_BYTES + (long) count * registers.length * 8;
            if (count < 1 || expected != bytes.length) {
                throw new IllegalArgumentException("device state for " + count + " vCPUs has "
                        + bytes.length + " bytes, expected " + expected);
            }
            List<Regs> vcpus = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Regs regs = new Regs();
                for (Register r : registers) {
                    regs.set(r, b.getLong());
                }
                vcpus.add(regs);
            }
            return new DeviceState(gpa, size, seed, flags, vcpus);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("device state truncated at " + bytes.length
                    + " bytes");
        }
    }
}
