// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Why KVM_RUN returned, one record per exit kind. A memory fault (KVM_RUN failing with
 * EFAULT and exit reason KVM_EXIT_MEMORY_FAULT) and an interruption (EINTR) are results
 * here, not exceptions. Exits this project does not decode arrive as {@link Unknown}.
 * Records holding arrays compare them by content.
 */
public sealed interface VcpuExit {

    /** Direction of a port IO exit. */
    enum Direction { IN, OUT }

    /** KVM_EXIT_IO: {@code count} items of {@code size} bytes; {@code data} holds OUT data. */
    record Io(Direction direction, int size, int port, int count, byte[] data) implements VcpuExit {
        /** Bytes moved by this exit: size * count. */
        public int length() {
            return size * count;
        }

        /** The first item as an unsigned little-endian number (OUT only). */
        public long value() {
            return VcpuExits.littleEndian(data, 0, size);
        }

        /** Equal when every field and every data byte is equal. */
        @Override
        public boolean equals(Object o) {
            return o instanceof Io other && direction == other.direction && size == other.size
                    && port == other.port && count == other.count
                    && Arrays.equals(data, other.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(direction, size, port, count) * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Io[" + direction + " port=0x" + Integer.toHexString(port) + " size=" + size
                    + " count=" + count + " data=" + HexFormat.of().formatHex(data) + "]";
        }
    }

    /** KVM_EXIT_MMIO: an access to {@code gpa} that no memslot backs; data for writes. */
    record Mmio(long gpa, int length, boolean isWrite, byte[] data) implements VcpuExit {
        /** The written bytes as an unsigned little-endian number (writes only). */
        public long value() {
            return VcpuExits.littleEndian(data, 0, length);
        }

        /** Equal when every field and every data byte is equal. */
        @Override
        public boolean equals(Object o) {
            return o instanceof Mmio other && gpa == other.gpa && length == other.length
                    && isWrite == other.isWrite && Arrays.equals(data, other.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(gpa, length, isWrite) * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Mmio[" + (isWrite ? "write" : "read") + " gpa=0x" + Long.toHexString(gpa)
                    + " len=" + length + " data=" + HexFormat.of().formatHex(data) + "]";
        }
    }

    /** KVM_EXIT_HLT: the guest halted with no in-kernel interrupt controller. */
    record Hlt() implements VcpuExit {}

    /** KVM_EXIT_SHUTDOWN: triple fault or similar; the vCPU cannot continue. */
    record Shutdown() implements VcpuExit {}

    /** KVM_EXIT_FAIL_ENTRY: hardware refused to enter the guest (e.g. SVM VMEXIT_INVALID). */
    record FailEntry(long hardwareReason, int cpu) implements VcpuExit {}

    /** KVM_EXIT_INTERNAL_ERROR with its suberror (KVM_INTERNAL_ERROR_*) and debug data. */
    record InternalError(int suberror, long[] data) implements VcpuExit {
        @Override
        public boolean equals(Object o) {
            return o instanceof InternalError other && suberror == other.suberror
                    && Arrays.equals(data, other.data);
        }

        @Override
        public int hashCode() {
            return suberror * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "InternalError[suberror=" + suberror + " data=" + Arrays.toString(data) + "]";
        }
    }

    /**
     * KVM_EXIT_MEMORY_FAULT: KVM_RUN failed with EFAULT for the range [gpa, gpa + size);
     * {@code flags} holds KVM_MEMORY_EXIT_FLAG_* bits.
     */
    record MemoryFault(long flags, long gpa, long size) implements VcpuExit {
        /** Whether the guest accessed the range as private memory. */
        public boolean isPrivate() {
            return (flags & MemoryFaultFlags.PRIVATE) != 0;
        }

        /** Whether the page was marked non-present (KVM demand paging): install, mark, rerun. */
        public boolean isNotPresent() {
            return (flags & MemoryFaultFlags.NOT_PRESENT) != 0;
        }

        @Override
        public String toString() {
            return "MemoryFault[flags=0x" + Long.toHexString(flags) + " gpa=0x"
                    + Long.toHexString(gpa) + " size=0x" + Long.toHexString(size) + "]";
        }
    }

    /** KVM_EXIT_SYSTEM_EVENT of {@code type} (KVM_SYSTEM_EVENT_*) with its data words. */
    record SystemEvent(int type, long[] data) implements VcpuExit {
        @Override
        public boolean equals(Object o) {
            return o instanceof SystemEvent other && type == other.type
                    && Arrays.equals(data, other.data);
        }

        @Override
        public int hashCode() {
            return type * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "SystemEvent[type=" + type + " data=" + Arrays.toString(data) + "]";
        }
    }

    /** KVM_RUN returned EINTR (a signal, e.g. {@link Vcpu#kick}) or KVM_EXIT_INTR. */
    record Interrupted() implements VcpuExit {}

    /** Any other exit reason. */
    record Unknown(int reason) implements VcpuExit {}
}
