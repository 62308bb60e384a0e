// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Cross-checks the layout table against facts of the KVM ABI that can never change (fixed
 * by x86-64 userspace compatibility), so a wrong entry in jni/kvmdp_layout.c shows up here.
 */
class UapiLayoutTest {
    @Test
    void kvmRunHeaderAndUnionOffsetsAreTheAbiOnes() {
        assertThat(Uapi.get("kvm_run.immediate_exit")).isEqualTo(1);
        assertThat(Uapi.get("kvm_run.exit_reason")).isEqualTo(8);
        assertThat(Uapi.get("kvm_run.io.direction")).isEqualTo(32);
        assertThat(Uapi.get("kvm_run.io.port")).isEqualTo(34);
        assertThat(Uapi.get("kvm_run.io.data_offset")).isEqualTo(40);
        assertThat(Uapi.get("kvm_run.mmio.phys_addr")).isEqualTo(32);
        assertThat(Uapi.get("kvm_run.mmio.data")).isEqualTo(40);
        assertThat(Uapi.get("kvm_run.memory_fault.flags")).isEqualTo(32);
        assertThat(Uapi.get("kvm_run.memory_fault.gpa")).isEqualTo(40);
        assertThat(Uapi.get("kvm_run.memory_fault.size")).isEqualTo(48);
        assertThat(Uapi.get("sizeof(kvm_run)")).isGreaterThan(256 + 2048);
    }

    @Test
    void memoryRegionStructsHaveTheirAbiSizes() {
        assertThat(Uapi.get("sizeof(kvm_userspace_memory_region)")).isEqualTo(32);
        assertThat(Uapi.get("sizeof(kvm_userspace_memory_region2)")).isEqualTo(160);
        assertThat(Uapi.get("kvm_userspace_memory_region2.guest_memfd")).isEqualTo(40);
        assertThat(Uapi.get("sizeof(kvm_memory_attributes)")).isEqualTo(32);
        assertThat(Uapi.get("sizeof(kvm_regs)")).isEqualTo(18 * 8);
        assertThat(Uapi.get("sizeof(kvm_segment)")).isEqualTo(24);
        assertThat(Uapi.get("sizeof(uffd_msg)")).isEqualTo(32);
    }

    @Test
    void ioctlNumbersAreTheKernelOnes() {
        assertThat(Uapi.get("KVM_GET_API_VERSION")).isEqualTo(0xAE00);
        assertThat(Uapi.get("KVM_CREATE_VM")).isEqualTo(0xAE01);
        assertThat(Uapi.get("KVM_RUN")).isEqualTo(0xAE80);
        assertThat(Uapi.get("KVM_API_VERSION")).isEqualTo(12);
        assertThat(Uapi.get("KVM_EXIT_MEMORY_FAULT")).isEqualTo(39);
        assertThat(Uapi.get("KVM_MEMORY_EXIT_FLAG_PRIVATE")).isEqualTo(1L << 3);
        assertThat(Uapi.get("KVM_X86_SW_PROTECTED_VM")).isEqualTo(1);
    }

    @Test
    void everyEnumMappedConstantExists() {
        assertThat(Errno.values()).allSatisfy(e -> assertThat(e.code()).isPositive());
        assertThat(org.kvmdp.kvm.Capability.values()) // KVM_CAP_IRQCHIP is 0
                .allSatisfy(c -> assertThat(c.number()).isNotNegative())
                .extracting(org.kvmdp.kvm.Capability::number).doesNotHaveDuplicates();
        assertThat(org.kvmdp.kvm.Register.values()).hasSize(18);
    }

    @Test
    void namesAreUniqueAndMissingOnesFailLoudly() {
        assertThat(Uapi.all()).hasSizeGreaterThan(200);
        assertThat(Uapi.has("KVM_RUN")).isTrue();
        assertThatThrownBy(() -> Uapi.get("KVM_NO_SUCH_THING"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("KVM_NO_SUCH_THING")
                .hasMessageContaining("kvmdp_layout.c");
        assertThat(Uapi.PAGE_SIZE).isEqualTo(4096);
    }
}
