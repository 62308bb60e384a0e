// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.Mman;
import org.kvmdp.nativeio.NativeIo;
import org.kvmdp.nativeio.OwnedFd;

/**
 * Argument checks of the typed API, run without KVM: the handles are built over eventfds, on
 * which every KVM ioctl fails with ENOTTY. So a method that throws IllegalArgumentException
 * here did so before any syscall, and one that reaches the kernel shows up as ENOTTY.
 */
class HandleValidationTest {
    private Kvm kvm;
    private Vm vm;
    private Vcpu vcpu;

    @BeforeEach
    void handlesOverEventfds() {
        kvm = new Kvm(eventfd("fake /dev/kvm"));
        vm = new Vm(kvm, eventfd("fake VM fd"), VmType.DEFAULT);
        long run = Mman.mmap(0, 4096, Mman.PROT_READ | Mman.PROT_WRITE,
                Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
        vcpu = new Vcpu(vm, 0, eventfd("fake vCPU fd"), run, 4096);
    }

    @AfterEach
    void close() {
        vcpu.close();
        vm.close();
        kvm.close();
    }

    @Test
    void kernelReachingCallsSeeEnottyFromTheEventfd() {
        assertThatThrownBy(() -> kvm.getApiVersion())
                .isInstanceOfSatisfying(KvmException.class, e -> {
                    assertThat(e.ioctl()).isEqualTo("KVM_GET_API_VERSION");
                    assertThat(e.is(Errno.ENOTTY)).isTrue();
                })
                .hasMessage("KVM_GET_API_VERSION failed: ENOTTY (Inappropriate ioctl for device)");
        assertThat(VmErrno.setUserMemoryRegion(vm, 0, 0, 4097, 4095, 1))
                .isEqualTo(-Errno.ENOTTY.code());
        assertThat(VmErrno.setMemoryAttributes(vm, 1, 0, 0)).isEqualTo(-Errno.ENOTTY.code());
        assertThatThrownBy(() -> vm.setUserMemoryRegion(0, 0, 0, 4096, 4096))
                .isInstanceOf(KvmException.class)
                .hasMessageContaining("KVM_SET_USER_MEMORY_REGION failed: ENOTTY")
                .hasMessageContaining("slot 0");
        assertThat(VcpuErrno.run(vcpu)).isEqualTo(-Errno.ENOTTY.code());
        assertThatThrownBy(vcpu::run).isInstanceOf(KvmException.class).hasMessageContaining("KVM_RUN");
    }

    @Test
    void nullsAreNullPointerExceptions() {
        assertThatThrownBy(() -> kvm.checkExtension(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> kvm.createVm(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> vm.checkExtension(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> vm.enableCap(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> vm.ioctl(null, 0, 0)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> vcpu.setRegs(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> vcpu.setSregs(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> vcpu.setCpuid2(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> vcpu.completeIoIn(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Kvm.open(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void negativeAndUnalignedValuesAreIllegalArguments() {
        assertThatThrownBy(() -> vm.setUserMemoryRegion(-1, 0, 0, 4096, 4096))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memslot");
        assertThatThrownBy(() -> vm.setUserMemoryRegion(0, 0, 4097, 4096, 4096))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gpa 0x1001");
        assertThatThrownBy(() -> vm.setUserMemoryRegion(0, 0, 0, 4095, 4096))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("size");
        assertThatThrownBy(() -> vm.setUserMemoryRegion(0, 0, 0, -4096, 4096))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 0");
        assertThatThrownBy(() -> vm.setUserMemoryRegion(0, 0, 0, 4096, 12))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host address");
        assertThatThrownBy(() -> vm.setUserMemoryRegion2(0, 0, 0, 4096, 4096, -1, 7))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset");
        assertThatThrownBy(() -> vm.setMemoryAttributes(0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> vm.setMemoryAttributes(100, 4096, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> vm.createVcpu(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> vm.createGuestMemfd(123, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> vm.enableCap(Capability.HALT_POLL, 1, 2, 3, 4, 5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 4");
        assertThatThrownBy(() -> VcpuErrno.ioctl(vcpu, KvmIoctls.KVM_RUN, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void exitDataCanOnlyBeSuppliedForAPendingExit() {
        assertThatThrownBy(() -> vcpu.completeIoIn(new byte[1]))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no pending IN");
        assertThatThrownBy(() -> vcpu.completeMmioRead(new byte[8]))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no pending MMIO");
    }

    @Test
    void closedHandlesAreIllegalStateBeforeAnySyscall() {
        vcpu.close();
        assertThatThrownBy(vcpu::run).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("vCPU 0 is closed");
        assertThatThrownBy(vcpu::getRegs).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(vcpu::kvmRunAddress).isInstanceOf(IllegalStateException.class);
        vcpu.kick(); // harmless after close
        vm.close();
        assertThatThrownBy(() -> vm.setUserMemoryRegion(0, 0, 0, 4096, 4096))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("VM fd");
        assertThatThrownBy(() -> VmErrno.setUserMemoryRegion(vm, 0, 0, 0, 4096, 4096))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> vm.createVcpu(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> vm.checkExtension(Capability.USER_MEMORY))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(vm::getStats).isInstanceOf(IllegalStateException.class);
        kvm.close();
        assertThatThrownBy(kvm::getApiVersion).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("fake /dev/kvm is closed");
    }

    @Test
    void closingTheVmClosesItsVcpus() {
        Vcpu second = vm.register(new Vcpu(vm, 1, eventfd("second vCPU"), Mman.mmap(0, 4096,
                Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0),
                4096));
        vm.close();
        assertThat(vm.isClosed()).isTrue();
        assertThat(second.isClosed()).isTrue();
    }

    @Test
    void openingAMissingDeviceNamesIt() {
        assertThatThrownBy(() -> Kvm.open("/dev/no-such-kvm"))
                .isInstanceOfSatisfying(KvmException.class,
                        e -> assertThat(e.is(Errno.ENOENT)).isTrue())
                .hasMessageContaining("open /dev/no-such-kvm failed: ENOENT");
    }

    private static OwnedFd eventfd(String description) {
        int fd = NativeIo.eventfd(0, 0);
        assertThat(fd).isNotNegative();
        return new OwnedFd(fd, description);
    }
}
