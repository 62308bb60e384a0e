// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

/**
 * Test fixture: {@link Vcpu}'s package-private {@code -errno} twins, for tests that assert the
 * exact errno. Shipped in the kvmdp test-jar, not in the API.
 */
public final class VcpuErrno {
    private VcpuErrno() {}

    /** KVM_RUN without decoding the exit: 0 or -errno. */
    public static int run(Vcpu vcpu) {
        return vcpu.runRaw();
    }

    /** Any vCPU ioctl but KVM_RUN (IllegalArgumentException): the result or -errno. */
    public static long ioctl(Vcpu vcpu, long request, long arg) {
        return vcpu.ioctlRaw(request, arg);
    }
}
