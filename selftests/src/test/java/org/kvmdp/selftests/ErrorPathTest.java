// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.kvm.Capability;
import org.kvmdp.kvm.Kvm;
import org.kvmdp.kvm.KvmException;
import org.kvmdp.kvm.KvmIoctls;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.kvm.Vm;
import org.kvmdp.kvm.VmErrno;
import org.kvmdp.memory.Backing;
import org.kvmdp.memory.GuestMemory;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.NativeIo;
import org.kvmdp.nativeio.OpenFlags;

/**
 * Error paths against the real KVM: the kernel's errno arrives in a KvmException naming the
 * ioctl, and what the typed API refuses itself is refused before any syscall.
 */
class ErrorPathTest {
    private static final long GIB = 1L << 30;
    private static final long MIB2 = 2L << 20;

    private Kvm kvm;
    private Vm vm;
    private GuestMemory memory;

    @BeforeEach
    void openVm() {
        kvm = Kvm.open();
        vm = kvm.createVm();
        memory = GuestMemory.allocate(Backing.ANONYMOUS, 4 * MIB2);
    }

    @AfterEach
    void close() {
        kvm.close();
        memory.close();
    }

    @Test
    void closedHandlesAreIllegalStateBeforeAnySyscall() {
        Vcpu vcpu = vm.createVcpu(0);
        vcpu.close();
        assertThatThrownBy(vcpu::run).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(vcpu::getSregs).isInstanceOf(IllegalStateException.class);
        vm.close();
        assertThatThrownBy(() -> vm.createVcpu(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> vm.setUserMemoryRegion(1, 0, GIB, MIB2, memory.address()))
                .isInstanceOf(IllegalStateException.class);
        kvm.close();
        assertThatThrownBy(kvm::getApiVersion).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void ioctlOnAClosedRawFdIsEbadf() {
        int copy = NativeIo.dup3(kvm.fd(), 900, OpenFlags.O_CLOEXEC);
        assertThat(copy).isEqualTo(900);
        assertThat(NativeIo.ioctl(copy, KvmIoctls.KVM_GET_API_VERSION, 0)).isEqualTo(12);
        assertThat(NativeIo.close(copy)).isZero();
        assertThat(NativeIo.ioctl(copy, KvmIoctls.KVM_GET_API_VERSION, 0))
                .isEqualTo(-Errno.EBADF.code());
    }

    @Test
    void overlappingMemslotsAreEexist() {
        vm.setUserMemoryRegion(1, 0, GIB, 2 * MIB2, memory.address());
        assertThatThrownBy(() -> vm.setUserMemoryRegion(2, 0, GIB + MIB2, 2 * MIB2,
                memory.address() + 2 * MIB2))
                .isInstanceOfSatisfying(KvmException.class,
                        e -> assertThat(e.is(Errno.EEXIST)).isTrue())
                .hasMessageStartingWith("KVM_SET_USER_MEMORY_REGION failed: EEXIST (File exists)");
        assertThatThrownBy(() -> vm.setUserMemoryRegion2(3, 0, GIB - MIB2, 2 * MIB2,
                memory.address() + 2 * MIB2, -1, 0))
                .hasMessageStartingWith("KVM_SET_USER_MEMORY_REGION2 failed: EEXIST (File exists)");
        vm.setUserMemoryRegion2(3, 0, GIB + 2 * MIB2, 2 * MIB2, memory.address() + 2 * MIB2, -1, 0);
    }

    @Test
    void misalignedGpaSizeOrAddressIsEinvalFromKvmAndRefusedByTheTypedApi() {
        int einval = -Errno.EINVAL.code();
        assertThat(VmErrno.setUserMemoryRegion(vm, 1, 0, GIB + 0x800, MIB2, memory.address()))
                .isEqualTo(einval);
        assertThat(VmErrno.setUserMemoryRegion(vm, 1, 0, GIB, 0x1800, memory.address()))
                .isEqualTo(einval);
        assertThat(VmErrno.setUserMemoryRegion(vm, 1, 0, GIB, MIB2, memory.address() + 0x10))
                .isEqualTo(einval);
        assertThatThrownBy(() -> vm.setUserMemoryRegion(1, 0, GIB + 0x800, MIB2, memory.address()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> vm.setUserMemoryRegion(1, 0, GIB, 0x1800, memory.address()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(VmErrno.setUserMemoryRegion(vm, 1, 0, GIB, MIB2, memory.address())).isZero();
    }

    @Test
    void badSlotIdsAddressSpacesAndFlagsAreEinval() {
        int userSlots = 32764; // KVM_USER_MEM_SLOTS: the ids above belong to KVM itself
        for (int slot : new int[] {userSlots, 32767, (2 << 16) | 1}) {
            assertThatThrownBy(() -> vm.setUserMemoryRegion(slot, 0, GIB, MIB2, memory.address()))
                    .as("slot 0x%x", slot)
                    .isInstanceOfSatisfying(KvmException.class,
                            e -> assertThat(e.is(Errno.EINVAL)).isTrue());
        }
        assertThatThrownBy(() -> vm.setUserMemoryRegion(1, 1 << 30, GIB, MIB2, memory.address()))
                .hasMessageStartingWith("KVM_SET_USER_MEMORY_REGION failed: EINVAL");
        assertThat(kvm.checkExtension(Capability.NR_MEMSLOTS)).isLessThanOrEqualTo(userSlots);
    }

    @Test
    void duplicateVcpuIdIsEexistAndTooBigAnIdIsEinval() {
        vm.createVcpu(0);
        assertThatThrownBy(() -> vm.createVcpu(0))
                .isInstanceOfSatisfying(KvmException.class, e -> {
                    assertThat(e.ioctl()).isEqualTo("KVM_CREATE_VCPU");
                    assertThat(e.is(Errno.EEXIST)).isTrue();
                });
        int maxId = kvm.checkExtension(Capability.MAX_VCPU_ID);
        assertThatThrownBy(() -> vm.createVcpu(maxId))
                .isInstanceOfSatisfying(KvmException.class,
                        e -> assertThat(e.is(Errno.EINVAL)).isTrue());
    }

    @Test
    void harnessRefusesOverlappingTestMemoryBeforeAnySyscall() {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion first = guest.addMemory(Backing.ANONYMOUS, 4 * MIB2);
            assertThatThrownBy(() -> guest.addMemory(9, first.gpa() + MIB2, Backing.ANONYMOUS,
                    MIB2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
            assertThatThrownBy(() -> guest.addMemory(9, GuestAbi.MMIO_GPA, Backing.ANONYMOUS,
                    MIB2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MMIO");
            assertThat(guest.addMemory(Backing.ANONYMOUS, MIB2).gpa()).isEqualTo(first.gpa() + GIB);
        }
    }

    @Test
    void privateAttributeNeedsAVmWithPrivateMemory() {
        assertThatThrownBy(() -> vm.setMemoryAttributes(GIB, MIB2, Vm.MEMORY_ATTRIBUTE_PRIVATE))
                .isInstanceOfSatisfying(KvmException.class,
                        e -> assertThat(e.is(Errno.EINVAL)).isTrue())
                .hasMessageStartingWith("KVM_SET_MEMORY_ATTRIBUTES failed: EINVAL");
    }
}
