// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import org.kvmdp.nativeio.SyscallException;

/**
 * A KVM ioctl failed: ioctl name, errno and strerror text, e.g.
 * {@code KvmException: KVM_SET_USER_MEMORY_REGION2 failed: EEXIST (File exists)}.
 */
public final class KvmException extends SyscallException {
    private static final long serialVersionUID = 1L;

    public KvmException(String ioctl, int errno) {
        super(ioctl, errno);
    }

    public KvmException(String ioctl, int errno, String detail) {
        super(ioctl, errno, detail);
    }

    /** The ioctl's name, e.g. "KVM_RUN". */
    public String ioctl() {
        return operation();
    }
}
