// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import org.kvmdp.nativeio.Uapi;

/** KVM_CAP_* numbers (from linux/kvm.h via libkvmdp.so) for KVM_CHECK_EXTENSION / ENABLE_CAP. */
public enum Capability {
    IRQCHIP, HLT, USER_MEMORY, SET_TSS_ADDR, EXT_CPUID, NR_VCPUS, NR_MEMSLOTS, SYNC_MMU,
    MAX_VCPUS, MAX_VCPU_ID, READONLY_MEM, IMMEDIATE_EXIT, MULTI_ADDRESS_SPACE,
    INTERNAL_ERROR_DATA, BINARY_STATS_FD, EXIT_HYPERCALL, X86_TRIPLE_FAULT_EVENT,
    GET_MSR_FEATURES, USER_MEMORY2, MEMORY_FAULT_INFO, MEMORY_ATTRIBUTES, GUEST_MEMFD, VM_TYPES,
    PRE_FAULT_MEMORY, DIRTY_LOG_RING, HALT_POLL, X86_DISABLE_EXITS, DEMAND_PAGING, MCE;

    private final int number;

    Capability() {
        this.number = Uapi.getInt("KVM_CAP_" + name());
    }

    /** The KVM_CAP_* number. */
    public int number() {
        return number;
    }

    /** "KVM_CAP_USER_MEMORY" etc. */
    public String kernelName() {
        return "KVM_CAP_" + name();
    }
}
