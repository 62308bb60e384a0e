// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import static org.kvmdp.nativeio.NativeMemory.getByte;
import static org.kvmdp.nativeio.NativeMemory.getInt;
import static org.kvmdp.nativeio.NativeMemory.getLong;
import static org.kvmdp.nativeio.NativeMemory.getShort;

import org.kvmdp.kvm.KvmStructs.Exits;
import org.kvmdp.kvm.KvmStructs.Run;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.NativeMemory;

/** Decodes a struct kvm_run (at a native address) into a {@link VcpuExit}. */
final class VcpuExits {
    private static final int EINTR = Errno.EINTR.code();
    private static final int EFAULT = Errno.EFAULT.code();

    private VcpuExits() {}

    /** Whether a KVM_RUN result is an exit (not an error): 0, EINTR, or EFAULT+memory fault. */
    static boolean isExit(long run, long rc) {
        return rc >= 0 || rc == -EINTR
                || (rc == -EFAULT && getInt(run + Run.EXIT_REASON) == Exits.MEMORY_FAULT);
    }

    /** The exit described by {@code run} after KVM_RUN returned {@code rc}; see {@link #isExit}. */
    static VcpuExit decode(long run, long rc) {
        if (!isExit(run, rc)) {
            throw new IllegalArgumentException("KVM_RUN result " + rc + " is an error, not an exit");
        }
        if (rc == -EINTR) {
            return new VcpuExit.Interrupted();
        }
        int reason = getInt(run + Run.EXIT_REASON);
        if (reason == Exits.IO) {
            return decodeIo(run);
        } else if (reason == Exits.MMIO) {
            int length = getInt(run + Run.MMIO_LEN);
            boolean isWrite = getByte(run + Run.MMIO_IS_WRITE) != 0;
            int copied = isWrite ? Math.min(length, Run.MMIO_DATA_SIZE) : 0;
            return new VcpuExit.Mmio(getLong(run + Run.MMIO_PHYS_ADDR), length, isWrite,
                    NativeMemory.toArray(run + Run.MMIO_DATA, copied));
        } else if (reason == Exits.HLT) {
            return new VcpuExit.Hlt();
        } else if (reason == Exits.SHUTDOWN) {
            return new VcpuExit.Shutdown();
        } else if (reason == Exits.FAIL_ENTRY) {
            return new VcpuExit.FailEntry(getLong(run + Run.FAIL_ENTRY_REASON),
                    getInt(run + Run.FAIL_ENTRY_CPU));
        } else if (reason == Exits.INTERNAL_ERROR) {
            int count = Math.min(getInt(run + Run.INTERNAL_NDATA), Run.INTERNAL_DATA_MAX);
            return new VcpuExit.InternalError(getInt(run + Run.INTERNAL_SUBERROR),
                    words(run + Run.INTERNAL_DATA, count));
        } else if (reason == Exits.MEMORY_FAULT) {
            return new VcpuExit.MemoryFault(getLong(run + Run.MEMORY_FAULT_FLAGS),
                    getLong(run + Run.MEMORY_FAULT_GPA), getLong(run + Run.MEMORY_FAULT_SIZE));
        } else if (reason == Exits.SYSTEM_EVENT) {
            int count = Math.min(getInt(run + Run.SYSTEM_EVENT_NDATA), Run.SYSTEM_EVENT_DATA_MAX);
            return new VcpuExit.SystemEvent(getInt(run + Run.SYSTEM_EVENT_TYPE),
                    words(run + Run.SYSTEM_EVENT_DATA, count));
        } else if (reason == Exits.INTR) {
            return new VcpuExit.Interrupted();
        }
        return new VcpuExit.Unknown(reason);
    }

    private static VcpuExit decodeIo(long run) {
        boolean out = getByte(run + Run.IO_DIRECTION) == Exits.IO_OUT;
        int size = getByte(run + Run.IO_SIZE) & 0xff;
        int port = getShort(run + Run.IO_PORT) & 0xffff;
        int count = getInt(run + Run.IO_COUNT);
        byte[] data = out
                ? NativeMemory.toArray(run + getLong(run + Run.IO_DATA_OFFSET), size * count)
                : new byte[0];
        return new VcpuExit.Io(out ? VcpuExit.Direction.OUT : VcpuExit.Direction.IN, size, port,
                count, data);
    }

    private static long[] words(long address, int count) {
        long[] words = new long[Math.max(count, 0)];
        for (int i = 0; i < words.length; i++) {
            words[i] = getLong(address + 8L * i);
        }
        return words;
    }

    /** Unsigned little-endian value of {@code length} (at most 8) bytes from {@code offset}. */
    static long littleEndian(byte[] bytes, int offset, int length) {
        if (length > 8 || offset + length > bytes.length) {
            throw new IllegalStateException("no " + length + "-byte value in " + bytes.length
                    + " bytes of data");
        }
        long value = 0;
        for (int i = length - 1; i >= 0; i--) {
            value = (value << 8) | (bytes[offset + i] & 0xff);
        }
        return value;
    }
}
