// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

/**
 * A syscall or ioctl failed: carries the operation's name and the errno, and says both,
 * e.g. {@code KVM_SET_USER_MEMORY_REGION2 failed: EEXIST (File exists)}.
 */
public class SyscallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String operation;
    private final int errno;

    public SyscallException(String operation, int errno) {
        this(operation, errno, null);
    }

    /** {@code detail} (may be null) is appended, e.g. the arguments that were refused. */
    public SyscallException(String operation, int errno, String detail) {
        super(operation + " failed: " + Errno.describe(errno)
                + (detail == null ? "" : " [" + detail + "]"));
        this.operation = operation;
        this.errno = errno;
    }

    /** The syscall or ioctl name, e.g. "KVM_RUN" or "mmap". */
    public String operation() {
        return operation;
    }

    /** The positive errno number. */
    public int errno() {
        return errno;
    }

    /** Whether the errno is {@code e}. */
    public boolean is(Errno e) {
        return errno == e.code();
    }
}
