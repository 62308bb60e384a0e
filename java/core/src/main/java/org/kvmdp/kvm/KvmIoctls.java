// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import org.kvmdp.nativeio.NativeIo;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.nativeio.Uapi;

/** KVM ioctl request numbers from linux/kvm.h, and the one place that issues them. */
public final class KvmIoctls {
    public static final int KVM_API_VERSION = Uapi.getInt("KVM_API_VERSION");
    public static final long KVM_GET_API_VERSION = Uapi.get("KVM_GET_API_VERSION");
    public static final long KVM_CREATE_VM = Uapi.get("KVM_CREATE_VM");
    public static final long KVM_CHECK_EXTENSION = Uapi.get("KVM_CHECK_EXTENSION");
    public static final long KVM_GET_VCPU_MMAP_SIZE = Uapi.get("KVM_GET_VCPU_MMAP_SIZE");
    public static final long KVM_GET_SUPPORTED_CPUID = Uapi.get("KVM_GET_SUPPORTED_CPUID");
    public static final long KVM_CREATE_VCPU = Uapi.get("KVM_CREATE_VCPU");
    public static final long KVM_SET_USER_MEMORY_REGION = Uapi.get("KVM_SET_USER_MEMORY_REGION");
    public static final long KVM_SET_USER_MEMORY_REGION2 =
            Uapi.get("KVM_SET_USER_MEMORY_REGION2");
    public static final long KVM_ENABLE_CAP = Uapi.get("KVM_ENABLE_CAP");
    public static final long KVM_GET_STATS_FD = Uapi.get("KVM_GET_STATS_FD");
    public static final long KVM_SET_MEMORY_ATTRIBUTES = Uapi.get("KVM_SET_MEMORY_ATTRIBUTES");
    public static final long KVM_CREATE_GUEST_MEMFD = Uapi.get("KVM_CREATE_GUEST_MEMFD");
    public static final long KVM_RUN = Uapi.get("KVM_RUN");
    public static final long KVM_GET_REGS = Uapi.get("KVM_GET_REGS");
    public static final long KVM_SET_REGS = Uapi.get("KVM_SET_REGS");
    public static final long KVM_GET_SREGS = Uapi.get("KVM_GET_SREGS");
    public static final long KVM_SET_SREGS = Uapi.get("KVM_SET_SREGS");
    public static final long KVM_SET_CPUID2 = Uapi.get("KVM_SET_CPUID2");
    public static final long KVM_GET_MSRS = Uapi.get("KVM_GET_MSRS");
    public static final long KVM_SET_MSRS = Uapi.get("KVM_SET_MSRS");
    public static final long KVM_X86_GET_MCE_CAP_SUPPORTED =
            Uapi.get("KVM_X86_GET_MCE_CAP_SUPPORTED");
    public static final long KVM_X86_SETUP_MCE = Uapi.get("KVM_X86_SETUP_MCE");
    public static final long KVM_X86_SET_MCE = Uapi.get("KVM_X86_SET_MCE");

    private KvmIoctls() {}

    /** Issues the ioctl; the result, or a {@link KvmException} naming {@code name}. */
    static long call(OwnedFd fd, String name, long request, long arg) {
        long rc = NativeIo.ioctl(fd.get(), request, arg);
        if (rc < 0) {
            throw new KvmException(name, (int) -rc);
        }
        return rc;
    }

    /** Issues the ioctl; the result or -errno (the fd must still be open). */
    static long raw(OwnedFd fd, long request, long arg) {
        return NativeIo.ioctl(fd.get(), request, arg);
    }
}
