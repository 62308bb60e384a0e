// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

/**
 * File-descriptor syscalls (jni/kvmdp_io.c). Every method returns its result or {@code -errno}
 * and never throws: callers decide which exception fits. Addresses are raw native addresses
 * the caller owns; they must be valid for the given length.
 */
public final class NativeIo {
    static {
        NativeLoader.ensureLoaded();
    }

    private NativeIo() {}

    public static native int open(String path, int flags, int mode);

    public static native int close(int fd);

    /** {@code arg} is an integer argument or the address of the ioctl's struct. */
    public static native long ioctl(int fd, long request, long arg);

    /** fcntl with an integer argument (F_GETFL, F_SETFL). */
    public static native int fcntl(int fd, int cmd, long arg);

    public static native long read(int fd, long address, long length);

    public static native long write(int fd, long address, long length);

    public static native long pread(int fd, long address, long length, long offset);

    public static native long pwrite(int fd, long address, long length, long offset);

    /** {@code pollfds} is an array of {@code count} struct pollfd in native memory. */
    public static native int poll(long pollfds, int count, int timeoutMillis);

    public static native int eventfd(int initialValue, int flags);

    public static native int dup3(int oldFd, int newFd, int flags);

    public static native String strerror(int errno);
}
