// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

/**
 * KVM ioctls whose small argument struct the C side builds on its stack (jni/kvmdp_kvm.c), so
 * hot paths need no native buffer. Each returns the result or {@code -errno} and never throws.
 */
public final class NativeKvm {
    static {
        NativeLoader.ensureLoaded();
    }

    private NativeKvm() {}

    /**
     * KVM_MARK_PRESENT or KVM_MARK_NON_PRESENT ({@code request}) on the VM fd with a struct
     * kvm_demand_paging_range of the given fields.
     */
    public static native int demandPagingRange(int vmFd, long request, long gpa, long size,
            long flags, long reserved);

    /**
     * KVM_PRE_FAULT_MEMORY on the vCPU fd for [gpa, gpa + size): 0 once KVM mapped at least
     * the first page, else -errno.
     */
    public static native int preFaultMemory(int vcpuFd, long gpa, long size);
}
