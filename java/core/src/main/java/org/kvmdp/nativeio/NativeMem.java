// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

/**
 * Memory syscalls (jni/kvmdp_mem.c). Return the result (an address for mmap) or
 * {@code -errno}; never throw.
 */
public final class NativeMem {
    static {
        NativeLoader.ensureLoaded();
    }

    private NativeMem() {}

    public static native long mmap(long address, long length, int prot, int flags, int fd,
            long offset);

    public static native int munmap(long address, long length);

    public static native int madvise(long address, long length, int advice);

    public static native int memfdCreate(String name, int flags);

    public static native int ftruncate(int fd, long length);

    public static native int fallocate(int fd, int mode, long offset, long length);
}
