// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kvmdp.kvm.KvmStructs.Exits;
import org.kvmdp.kvm.KvmStructs.Run;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.nativeio.Uapi;

/** Decoding of every exit kind from a struct kvm_run filled the way KVM fills it. */
class VcpuExitsTest {
    private NativeBuffer run;

    @BeforeEach
    void allocate() {
        run = new NativeBuffer(Run.SIZE + 4096); // kvm_run plus the PIO data page after it
    }

    @AfterEach
    void free() {
        run.close();
    }

    private VcpuExit decode(int reason, long rc) {
        run.putInt(Run.EXIT_REASON, reason);
        return VcpuExits.decode(run.address(), rc);
    }

    @Test
    void ioOutCarriesItsDataFromDataOffset() {
        run.putByte(Run.IO_DIRECTION, Exits.IO_OUT);
        run.putByte(Run.IO_SIZE, 4);
        run.putShort(Run.IO_PORT, 0x12);
        run.putInt(Run.IO_COUNT, 2);
        run.putLong(Run.IO_DATA_OFFSET, Run.SIZE);
        run.putInt(Run.SIZE, 0xdeadbeef);
        run.putInt(Run.SIZE + 4, 7);
        VcpuExit.Io io = (VcpuExit.Io) decode(Exits.IO, 0);
        assertThat(io.direction()).isEqualTo(VcpuExit.Direction.OUT);
        assertThat(io.port()).isEqualTo(0x12);
        assertThat(io.count()).isEqualTo(2);
        assertThat(io.length()).isEqualTo(8);
        assertThat(io.value()).isEqualTo(0xdeadbeefL);
        assertThat(io.toString()).contains("port=0x12", "efbeadde07000000");
        assertThat(io).as("arrays compare by content").isEqualTo(decode(Exits.IO, 0))
                .hasSameHashCodeAs(decode(Exits.IO, 0));
    }

    @Test
    void ioInHasNoData() {
        run.putByte(Run.IO_DIRECTION, Exits.IO_IN);
        run.putByte(Run.IO_SIZE, 1);
        run.putShort(Run.IO_PORT, 0xffff);
        run.putInt(Run.IO_COUNT, 16);
        VcpuExit.Io io = (VcpuExit.Io) decode(Exits.IO, 0);
        assertThat(io.direction()).isEqualTo(VcpuExit.Direction.IN);
        assertThat(io.port()).isEqualTo(0xffff);
        assertThat(io.data()).isEmpty();
    }

    @Test
    void mmioWriteAndRead() {
        run.putLong(Run.MMIO_PHYS_ADDR, 0xc0000000L);
        run.putLong(Run.MMIO_DATA, 0x0102030405060708L);
        run.putInt(Run.MMIO_LEN, 8);
        run.putByte(Run.MMIO_IS_WRITE, 1);
        VcpuExit.Mmio write = (VcpuExit.Mmio) decode(Exits.MMIO, 0);
        assertThat(write.isWrite()).isTrue();
        assertThat(write.gpa()).isEqualTo(0xc0000000L);
        assertThat(write.value()).isEqualTo(0x0102030405060708L);
        run.putByte(Run.MMIO_IS_WRITE, 0);
        run.putInt(Run.MMIO_LEN, 4);
        VcpuExit.Mmio read = (VcpuExit.Mmio) decode(Exits.MMIO, 0);
        assertThat(read.isWrite()).isFalse();
        assertThat(read.length()).isEqualTo(4);
        assertThat(read.data()).isEmpty();
    }

    @Test
    void memoryFaultArrivesAsEfaultWithExitReason39() {
        run.putLong(Run.MEMORY_FAULT_FLAGS, MemoryFaultFlags.PRIVATE);
        run.putLong(Run.MEMORY_FAULT_GPA, 0x1_0000_0000L);
        run.putLong(Run.MEMORY_FAULT_SIZE, 4096);
        VcpuExit exit = decode(Exits.MEMORY_FAULT, -Errno.EFAULT.code());
        assertThat(exit).isEqualTo(new VcpuExit.MemoryFault(MemoryFaultFlags.PRIVATE,
                0x1_0000_0000L, 4096));
        assertThat(((VcpuExit.MemoryFault) exit).isPrivate()).isTrue();
        assertThat(((VcpuExit.MemoryFault) exit).isNotPresent()).isFalse();
        assertThat(Exits.MEMORY_FAULT).isEqualTo(39);
    }

    @Test
    void demandPagingFaultCarriesTheNotPresentFlag() {
        run.putLong(Run.MEMORY_FAULT_FLAGS, MemoryFaultFlags.NOT_PRESENT);
        run.putLong(Run.MEMORY_FAULT_GPA, 0x1_0000_3000L);
        run.putLong(Run.MEMORY_FAULT_SIZE, 4096);
        VcpuExit exit = decode(Exits.MEMORY_FAULT, -Errno.EFAULT.code());
        assertThat(exit).isInstanceOfSatisfying(VcpuExit.MemoryFault.class, f -> {
            assertThat(f.isNotPresent()).isTrue();
            assertThat(f.isPrivate()).isFalse();
            assertThat(f.gpa()).isEqualTo(0x1_0000_3000L);
        });
        assertThat(MemoryFaultFlags.NOT_PRESENT).isEqualTo(1L << 8);
    }

    @Test
    void plainEfaultAndOtherErrorsAreNotExits() {
        run.putInt(Run.EXIT_REASON, Exits.UNKNOWN);
        assertThat(VcpuExits.isExit(run.address(), -Errno.EFAULT.code())).isFalse();
        assertThat(VcpuExits.isExit(run.address(), -Errno.EINVAL.code())).isFalse();
        assertThatThrownBy(() -> VcpuExits.decode(run.address(), -Errno.EFAULT.code()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void simpleExits() {
        assertThat(decode(Exits.HLT, 0)).isEqualTo(new VcpuExit.Hlt());
        assertThat(decode(Exits.SHUTDOWN, 0)).isEqualTo(new VcpuExit.Shutdown());
        assertThat(decode(Exits.INTR, 0)).isEqualTo(new VcpuExit.Interrupted());
        assertThat(decode(Exits.HLT, -Errno.EINTR.code())).isEqualTo(new VcpuExit.Interrupted());
        assertThat(decode(Uapi.getInt("KVM_EXIT_X86_RDMSR"), 0))
                .isEqualTo(new VcpuExit.Unknown(Uapi.getInt("KVM_EXIT_X86_RDMSR")));
    }

    @Test
    void failEntryInternalErrorAndSystemEvent() {
        run.putLong(Run.FAIL_ENTRY_REASON, -1);
        run.putInt(Run.FAIL_ENTRY_CPU, 1);
        assertThat(decode(Exits.FAIL_ENTRY, 0)).isEqualTo(new VcpuExit.FailEntry(-1, 1));

        run.putInt(Run.INTERNAL_SUBERROR, Uapi.getInt("KVM_INTERNAL_ERROR_EMULATION"));
        run.putInt(Run.INTERNAL_NDATA, 2);
        run.putLong(Run.INTERNAL_DATA, 11);
        run.putLong(Run.INTERNAL_DATA + 8, 22);
        VcpuExit.InternalError internal = (VcpuExit.InternalError) decode(Exits.INTERNAL_ERROR, 0);
        assertThat(internal.suberror()).isEqualTo(Uapi.getInt("KVM_INTERNAL_ERROR_EMULATION"));
        assertThat(internal.data()).containsExactly(11, 22);

        run.putInt(Run.SYSTEM_EVENT_TYPE, Uapi.getInt("KVM_SYSTEM_EVENT_RESET"));
        run.putInt(Run.SYSTEM_EVENT_NDATA, 1000); // garbage ndata is clamped to the array
        VcpuExit.SystemEvent event = (VcpuExit.SystemEvent) decode(Exits.SYSTEM_EVENT, 0);
        assertThat(event.type()).isEqualTo(Uapi.getInt("KVM_SYSTEM_EVENT_RESET"));
        assertThat(event.data()).hasSize(16);
    }
}
