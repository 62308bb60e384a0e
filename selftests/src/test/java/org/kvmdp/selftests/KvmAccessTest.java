// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.kvm.CpuidEntry;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.kvm.VcpuExit;
import org.kvmdp.memory.Backing;

/**
 * Guest program kvm_access: KVM itself reads or writes guest memory (string IO and MMIO go
 * through its instruction emulator; kvmclock and steal time are written by KVM on entry).
 * These are the accesses demand paging must later make wait instead of exit.
 */
class KvmAccessTest {
    private static final int KVM_FEATURE_STEAL_TIME = 5;

    private GuestVm guest;
    private MemoryRegion region;

    @BeforeEach
    void createGuest() {
        guest = GuestVm.create(GuestProgram.KVM_ACCESS);
        region = guest.addMemory(Backing.ANONYMOUS, 2L << 20);
    }

    @AfterEach
    void closeGuest() {
        guest.close();
    }

    @Test
    void repOutsbSendsTheBufferReadByKvmsEmulator() {
        byte[] buffer = pattern(64, 3);
        region.memory().write(0, buffer);
        Vcpu vcpu = guest.prepareVcpu(0, GuestAbi.ACCESS_OUTSB, region.gpa(), buffer.length);
        ExitTrace trace = ExitTrace.runToHalt(vcpu);
        assertThat(trace.outBytes(GuestAbi.PORT_DATA)).as(trace.toString()).isEqualTo(buffer);
        assertThat(trace.completed()).isTrue();
    }

    @Test
    void repOutslSendsDwordsAcrossAPageBoundary() {
        byte[] buffer = pattern(256, 7);
        long offset = 4096 - 128; // half in one page, half in the next
        region.memory().write(offset, buffer);
        Vcpu vcpu = guest.prepareVcpu(0, GuestAbi.ACCESS_OUTSL, region.gpa() + offset,
                buffer.length);
        ExitTrace trace = ExitTrace.runToHalt(vcpu);
        assertThat(trace.exits).filteredOn(VcpuExit.Io.class::isInstance)
                .map(VcpuExit.Io.class::cast)
                .filteredOn(io -> io.port() == GuestAbi.PORT_DATA)
                .allSatisfy(io -> assertThat(io.size()).isEqualTo(4));
        assertThat(trace.outBytes(GuestAbi.PORT_DATA)).isEqualTo(buffer);
        assertThat(trace.completed()).isTrue();
    }

    @Test
    void repInsbFillsTheBufferWithUserspaceDataWrittenByKvm() {
        int length = 100;
        ByteArrayOutputStream supplied = new ByteArrayOutputStream();
        Vcpu vcpu = guest.prepareVcpu(0, GuestAbi.ACCESS_INSB, region.gpa() + 8, length);
        ExitTrace trace = ExitTrace.runToHalt(vcpu, exit -> {
            VcpuExit.Io io = (VcpuExit.Io) exit;
            assertThat(io.port()).isEqualTo(GuestAbi.PORT_DATA);
            byte[] data = pattern(io.length(), 11 + supplied.size());
            supplied.writeBytes(data);
            return data;
        });
        assertThat(trace.completed()).as(trace.toString()).isTrue();
        assertThat(supplied.size()).isEqualTo(length);
        assertThat(region.memory().read(8, length)).isEqualTo(supplied.toByteArray());
        assertThat(region.memory().getLong(0)).as("bytes before the buffer").isZero();
    }

    @Test
    void repMovsbToMmioIsEmulatedFromGuestMemory() {
        byte[] buffer = pattern(48, 5);
        region.memory().write(0x100, buffer);
        Vcpu vcpu = guest.prepareVcpu(0, GuestAbi.ACCESS_MOVSB_TO_MMIO, region.gpa() + 0x100,
                buffer.length, GuestAbi.MMIO_GPA + 0x200);
        ExitTrace trace = ExitTrace.runToHalt(vcpu);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        long expectedGpa = GuestAbi.MMIO_GPA + 0x200;
        for (VcpuExit e : trace.exits) {
            if (e instanceof VcpuExit.Mmio m) {
                assertThat(m.isWrite()).isTrue();
                assertThat(m.gpa()).isEqualTo(expectedGpa);
                expectedGpa += m.length();
                written.writeBytes(m.data());
            }
        }
        assertThat(written.toByteArray()).as(trace.toString()).isEqualTo(buffer);
        assertThat(trace.completed()).isTrue();
    }

    @Test
    void kvmclockStructIsWrittenByKvm() {
        long offset = 0x40; // pvclock_vcpu_time_info must not cross a page
        Vcpu vcpu = guest.prepareVcpu(0, GuestAbi.ACCESS_KVMCLOCK, region.gpa() + offset);
        ExitTrace trace = ExitTrace.runToHalt(vcpu);
        assertThat(trace.completed()).as(trace.toString()).isTrue();
        long version = trace.outValues(GuestAbi.PORT_VALUE).get(0);
        assertThat(version).as("version seen by the guest").isPositive().isEven();
        long hostVersion = region.memory().getLong(offset) & 0xffffffffL;
        assertThat(hostVersion).as("version in memory").isGreaterThanOrEqualTo(version).isEven();
        long mul = region.memory().getLong(offset + 24) & 0xffffffffL; // after two u64 times
        assertThat(mul).as("tsc_to_system_mul").isPositive();
        assertThat(vcpu.getMsr(GuestAbi.MSR_KVM_SYSTEM_TIME_NEW))
                .isEqualTo(region.gpa() + offset | GuestAbi.KVM_MSR_ENABLED);
        vcpu.setMsr(GuestAbi.MSR_KVM_SYSTEM_TIME_NEW, 0); // userspace turns kvmclock off
        assertThat(vcpu.getMsr(GuestAbi.MSR_KVM_SYSTEM_TIME_NEW)).isZero();
    }

    @Test
    void stealTimeStructIsWrittenByKvm() {
        CpuidEntry features = guest.kvm().getSupportedCpuid().find(0x40000001, 0).orElseThrow();
        assumeTrue((features.eax() & (1 << KVM_FEATURE_STEAL_TIME)) != 0,
                "KVM does not offer steal time (kernel without CONFIG_SCHED_INFO)");
        long offset = 0x80; // kvm_steal_time is 64-byte aligned
        Vcpu vcpu = guest.prepareVcpu(0, GuestAbi.ACCESS_STEAL_TIME, region.gpa() + offset);
        ExitTrace trace = ExitTrace.runToHalt(vcpu);
        assertThat(trace.completed()).as(trace.toString()).isTrue();
        long version = trace.outValues(GuestAbi.PORT_VALUE).get(0);
        assertThat(version).as("steal time version").isPositive().isEven();
        assertThat(region.memory().getLong(offset + 8) & 0xffffffffL).isGreaterThanOrEqualTo(version);
    }

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed + i * 31);
        }
        return bytes;
    }
}
