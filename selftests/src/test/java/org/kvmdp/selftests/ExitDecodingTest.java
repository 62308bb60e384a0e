// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.kvm.MemoryFaultFlags;
import org.kvmdp.kvm.Register;
import org.kvmdp.kvm.Sregs;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.kvm.VcpuExit;
import org.kvmdp.kvm.Vm;
import org.kvmdp.kvm.VmType;
import org.kvmdp.memory.Backing;
import org.kvmdp.nativeio.Uapi;

/** Every exit kind a guest can provoke on 6.12, decoded from a real KVM_RUN. */
class ExitDecodingTest {
    private static final long PAGE = 4096;
    private static final long SEED = 0x5eed;

    @Test
    void ioExitsCarryDirectionPortSizeAndValue() {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, 2L << 20); // 512 pages
            Vcpu vcpu = guest.prepareVcpu(0, region.gpa(), region.size(), PAGE,
                    GuestAbi.TOUCH_WRITE, SEED, 128);
            VcpuExit first = vcpu.run();
            assertThat(first).isInstanceOfSatisfying(VcpuExit.Io.class, io -> {
                assertThat(io.direction()).isEqualTo(VcpuExit.Direction.OUT);
                assertThat(io.port()).isEqualTo(GuestAbi.PORT_PROGRESS);
                assertThat(io.size()).isEqualTo(4);
                assertThat(io.count()).isEqualTo(1);
                assertThat(io.value()).isEqualTo(128);
            });
            ExitTrace rest = ExitTrace.runToHalt(vcpu);
            assertThat(rest.outValues(GuestAbi.PORT_PROGRESS)).as(rest.toString())
                    .containsExactly(256L, 384L, 512L);
            assertThat(rest.outValues(GuestAbi.PORT_TOUCHED)).containsExactly(512L);
            assertThat(rest.completed()).as(rest.toString()).isTrue();
        }
    }

    @Test
    void haltedGuestExitsWithHltOnEveryRun() {
        try (GuestVm guest = GuestVm.create(GuestProgram.KVM_ACCESS)) {
            Vcpu vcpu = guest.prepareVcpu(0, 999); // unknown mode: reports -1 and halts
            ExitTrace trace = ExitTrace.runToHalt(vcpu);
            assertThat(trace.outValues(GuestAbi.PORT_DONE)).containsExactly(0xffffffffL);
            assertThat(vcpu.run()).isEqualTo(new VcpuExit.Hlt());
            assertThat(vcpu.run()).isEqualTo(new VcpuExit.Hlt());
        }
    }

    @Test
    void mmioReadExitTakesTheValueUserspaceSupplies() {
        try (GuestVm guest = GuestVm.create(GuestProgram.KVM_ACCESS)) {
            MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, 2L << 20);
            long mmio = GuestAbi.MMIO_GPA + 0x10;
            Vcpu vcpu = guest.prepareVcpu(0, GuestAbi.ACCESS_MMIO_READ, region.gpa(), 0, mmio);
            VcpuExit first = vcpu.run();
            assertThat(first).isInstanceOfSatisfying(VcpuExit.Mmio.class, m -> {
                assertThat(m.isWrite()).isFalse();
                assertThat(m.gpa()).isEqualTo(mmio);
                assertThat(m.length()).isEqualTo(8);
            });
            vcpu.completeMmioRead(littleEndian(0x1122334455667788L));
            ExitTrace rest = ExitTrace.runToHalt(vcpu);
            assertThat(rest.outValues(GuestAbi.PORT_VALUE)).containsExactly(0x55667788L);
            assertThat(region.memory().getLong(0)).isEqualTo(0x1122334455667788L);
            assertThat(rest.completed()).as(rest.toString()).isTrue();
        }
    }

    @Test
    void mmioWriteExitCarriesAddressLengthAndData() {
        try (GuestVm guest = GuestVm.create(GuestProgram.KVM_ACCESS)) {
            long mmio = GuestAbi.MMIO_GPA + 0x1000;
            Vcpu vcpu = guest.prepareVcpu(0, GuestAbi.ACCESS_MMIO_WRITE, 0, 0xcafef00dd00dfeedL,
                    mmio);
            assertThat(vcpu.run()).isEqualTo(vcpu.lastExit()).isInstanceOfSatisfying(
                    VcpuExit.Mmio.class, m -> {
                        assertThat(m.isWrite()).isTrue();
                        assertThat(m.gpa()).isEqualTo(mmio);
                        assertThat(m.length()).isEqualTo(8);
                        assertThat(m.value()).isEqualTo(0xcafef00dd00dfeedL);
                    });
            assertThat(ExitTrace.runToHalt(vcpu).completed()).isTrue();
        }
    }

    @Test
    void tripleFaultWithoutAnIdtIsShutdown() {
        try (GuestVm guest = GuestVm.create(GuestProgram.KVM_ACCESS)) {
            Vcpu vcpu = guest.prepareVcpu(0, GuestAbi.ACCESS_UD2);
            assertThat(vcpu.run()).isEqualTo(new VcpuExit.Shutdown());
        }
    }

    @Test
    void invalidLongModeCodeSegmentFailsEntry() {
        try (GuestVm guest = GuestVm.create(GuestProgram.KVM_ACCESS)) {
            Vcpu vcpu = guest.prepareVcpu(0, 999);
            Sregs sregs = vcpu.getSregs();
            sregs.cs = sregs.cs.withDb(true); // CS.L and CS.D together: VMRUN consistency check
            vcpu.setSregs(sregs);
            assertThat(vcpu.run()).isInstanceOfSatisfying(VcpuExit.FailEntry.class,
                    f -> assertThat(f.hardwareReason()).as("SVM_EXIT_ERR (u32 -1)")
                            .isEqualTo(0xffffffffL));
        }
    }

    @Test
    void executingFromMmioIsAnEmulationInternalError() {
        try (GuestVm guest = GuestVm.create(GuestProgram.KVM_ACCESS)) {
            Vcpu vcpu = guest.prepareVcpu(0, GuestAbi.ACCESS_JUMP, 0, 0, GuestAbi.MMIO_GPA);
            assertThat(vcpu.run()).isInstanceOfSatisfying(VcpuExit.InternalError.class,
                    e -> assertThat(e.suberror())
                            .isEqualTo(Uapi.getInt("KVM_INTERNAL_ERROR_EMULATION")));
        }
    }

    @Test
    void privateAccessToASharedOnlySlotIsAMemoryFaultAndResumable() {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES, VmType.SW_PROTECTED)) {
            MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, 2L << 20);
            TouchPages.fill(region, PAGE, SEED);
            long privatePage = region.gpa() + 5 * PAGE;
            guest.vm().setMemoryAttributes(privatePage, PAGE, Vm.MEMORY_ATTRIBUTE_PRIVATE);
            Vcpu vcpu = guest.prepareVcpu(0, region.gpa(), region.size(), PAGE,
                    GuestAbi.TOUCH_READ, SEED, 0);
            VcpuExit exit = vcpu.run();
            assertThat(exit).isEqualTo(new VcpuExit.MemoryFault(MemoryFaultFlags.PRIVATE,
                    privatePage, PAGE));
            assertThat(((VcpuExit.MemoryFault) exit).isPrivate()).isTrue();
            assertThat(vcpu.getRegs().get(Register.R10)).as("cursor at the faulting page")
                    .isEqualTo(privatePage);

            guest.vm().setMemoryAttributes(privatePage, PAGE, 0);
            ExitTrace rest = ExitTrace.runToHalt(vcpu);
            assertThat(rest.outValues(GuestAbi.PORT_TOUCHED)).containsExactly(512L);
            assertThat(rest.completed()).as(rest.toString()).isTrue();
        }
    }

    @Test
    void kickInterruptsARunningVcpuAndCloseStopsOne() {
        try (GuestVm guest = GuestVm.create(GuestProgram.KVM_ACCESS)) {
            Vcpu vcpu = guest.prepareVcpu(0, GuestAbi.ACCESS_SPIN);
            vcpu.kick(); // before KVM_RUN: immediate_exit makes the run return at once
            assertThat(vcpu.run()).isEqualTo(new VcpuExit.Interrupted());

            CompletableFuture<VcpuExit> spinning = CompletableFuture.supplyAsync(vcpu::run);
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                    .until(() -> !spinning.isDone());
            vcpu.kick();
            assertThat(spinning.join()).isEqualTo(new VcpuExit.Interrupted());
            long rip = vcpu.getRegs().get(Register.RIP);
            assertThat(rip).isBetween(GuestAbi.CODE_GPA, GuestAbi.CODE_GPA + 0x1000);

            CompletableFuture<VcpuExit> again = CompletableFuture.supplyAsync(vcpu::run);
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5))
                    .until(() -> !again.isDone());
            vcpu.close(); // kicks and waits for KVM_RUN to return before unmapping kvm_run
            assertThat(again.join()).isEqualTo(new VcpuExit.Interrupted());
            assertThatThrownBy(vcpu::run).isInstanceOf(IllegalStateException.class);
        }
    }

    static byte[] littleEndian(long value) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    }
}
