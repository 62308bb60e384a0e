// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.kvmdp.kvm.Capability;
import org.kvmdp.kvm.Cpuid;
import org.kvmdp.kvm.Kvm;
import org.kvmdp.kvm.KvmException;
import org.kvmdp.kvm.Vm;
import org.kvmdp.kvm.VmType;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.Uapi;

/** /dev/kvm itself: version, capabilities, VM types, vCPU mmap size, CPUID. */
class KvmSystemTest {
    @Test
    void devKvmOpensWithApiVersion12() {
        try (Kvm kvm = Kvm.open()) {
            assertThat(kvm.getApiVersion()).isEqualTo(12);
        }
    }

    @Test
    void capabilitiesTheHarnessNeedsArePresent() {
        try (Kvm kvm = Kvm.open()) {
            assertThat(kvm.checkExtension(Capability.USER_MEMORY)).isEqualTo(1);
            assertThat(kvm.checkExtension(Capability.USER_MEMORY2)).isEqualTo(1);
            assertThat(kvm.checkExtension(Capability.SYNC_MMU)).isEqualTo(1);
            assertThat(kvm.checkExtension(Capability.IMMEDIATE_EXIT)).isEqualTo(1);
            assertThat(kvm.checkExtension(Capability.BINARY_STATS_FD)).isEqualTo(1);
            assertThat(kvm.checkExtension(Capability.MEMORY_FAULT_INFO)).isEqualTo(1);
            assertThat(kvm.checkExtension(Capability.NR_MEMSLOTS)).isGreaterThanOrEqualTo(32);
            assertThat(kvm.checkExtension(Capability.MAX_VCPUS)).isGreaterThanOrEqualTo(2);
            assertThat(kvm.checkExtension(Integer.MAX_VALUE)).as("unknown capability").isZero();
        }
    }

    @Test
    void softwareProtectedVmTypeIsOfferedAndHasPrivateMemory() {
        try (Kvm kvm = Kvm.open()) {
            int types = kvm.checkExtension(Capability.VM_TYPES);
            assertThat(types & (1 << VmType.SW_PROTECTED.number())).isNotZero();
            try (Vm vm = kvm.createVm(VmType.SW_PROTECTED)) {
                assertThat(vm.checkExtension(Capability.MEMORY_ATTRIBUTES))
                        .isEqualTo(Vm.MEMORY_ATTRIBUTE_PRIVATE);
                assertThat(vm.checkExtension(Capability.GUEST_MEMFD)).isEqualTo(1);
            }
            try (Vm vm = kvm.createVm()) {
                assertThat(vm.checkExtension(Capability.MEMORY_ATTRIBUTES)).isZero();
            }
        }
    }

    @Test
    void enableCapPassesItsArgumentsToKvm() {
        try (Kvm kvm = Kvm.open(); Vm vm = kvm.createVm()) {
            assertThat(vm.checkExtension(Capability.HALT_POLL)).isEqualTo(1);
            vm.enableCap(Capability.HALT_POLL, 0); // max_halt_poll_ns = 0
            assertThatThrownBy(() -> vm.enableCap(Capability.HALT_POLL, 1L << 40))
                    .isInstanceOfSatisfying(KvmException.class,
                            e -> assertThat(e.is(Errno.EINVAL)).isTrue())
                    .hasMessageStartingWith("KVM_ENABLE_CAP failed: EINVAL");
        }
    }

    @Test
    void vcpuMmapAreaHoldsKvmRunAndThePioPage() {
        try (Kvm kvm = Kvm.open()) {
            assertThat(kvm.getVcpuMmapSize())
                    .isGreaterThanOrEqualTo((int) Uapi.get("sizeof(kvm_run)"))
                    .isGreaterThanOrEqualTo(2 * 4096);
        }
    }

    @Test
    void supportedCpuidOffersLongModeAndKvmLeaves() {
        try (Kvm kvm = Kvm.open()) {
            Cpuid cpuid = kvm.getSupportedCpuid();
            assertThat(cpuid.entries()).hasSizeGreaterThan(10);
            assertThat(cpuid.find(0x80000001, 0)).get()
                    .satisfies(e -> assertThat(e.edx() & (1 << 29)).as("LM").isNotZero());
            assertThat(cpuid.find(0x40000000, 0)).get()
                    .satisfies(e -> assertThat(e.ebx()).as("'KVMK'").isEqualTo(0x4b4d564b));
        }
    }
}
