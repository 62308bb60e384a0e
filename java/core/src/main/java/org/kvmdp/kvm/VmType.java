// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import org.kvmdp.nativeio.Uapi;

/** x86 VM types for KVM_CREATE_VM (supported ones: bits of KVM_CAP_VM_TYPES). */
public enum VmType {
    /** KVM_X86_DEFAULT_VM. */
    DEFAULT("KVM_X86_DEFAULT_VM"),
    /** KVM_X86_SW_PROTECTED_VM: private memory attributes without hardware protection. */
    SW_PROTECTED("KVM_X86_SW_PROTECTED_VM");

    private final int number;

    VmType(String kernelName) {
        this.number = Uapi.getInt(kernelName);
    }

    public int number() {
        return number;
    }
}
