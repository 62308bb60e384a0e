// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

/** mmap(2), madvise(2), memfd_create(2) and fallocate(2) constants from the C headers. */
public final class Mman {
    public static final int PROT_NONE = Uapi.getInt("PROT_NONE");
    public static final int PROT_READ = Uapi.getInt("PROT_READ");
    public static final int PROT_WRITE = Uapi.getInt("PROT_WRITE");
    public static final int MAP_SHARED = Uapi.getInt("MAP_SHARED");
    public static final int MAP_PRIVATE = Uapi.getInt("MAP_PRIVATE");
    public static final int MAP_ANONYMOUS = Uapi.getInt("MAP_ANONYMOUS");
    public static final int MAP_NORESERVE = Uapi.getInt("MAP_NORESERVE");
    public static final int MAP_POPULATE = Uapi.getInt("MAP_POPULATE");
    public static final int MAP_HUGETLB = Uapi.getInt("MAP_HUGETLB");
    public static final int MADV_DONTNEED = Uapi.getInt("MADV_DONTNEED");
    public static final int MADV_REMOVE = Uapi.getInt("MADV_REMOVE");
    public static final int MADV_HUGEPAGE = Uapi.getInt("MADV_HUGEPAGE");
    public static final int MADV_NOHUGEPAGE = Uapi.getInt("MADV_NOHUGEPAGE");
    public static final int MADV_POPULATE_WRITE = Uapi.getInt("MADV_POPULATE_WRITE");
    public static final int MFD_CLOEXEC = Uapi.getInt("MFD_CLOEXEC");
    public static final int MFD_HUGETLB = Uapi.getInt("MFD_HUGETLB");
    public static final int MFD_HUGE_2MB = Uapi.getInt("MFD_HUGE_2MB");
    public static final int MFD_HUGE_1GB = Uapi.getInt("MFD_HUGE_1GB");
    public static final int FALLOC_FL_KEEP_SIZE = Uapi.getInt("FALLOC_FL_KEEP_SIZE");
    public static final int FALLOC_FL_PUNCH_HOLE = Uapi.getInt("FALLOC_FL_PUNCH_HOLE");

    private Mman() {}

    /** mmap that throws {@link SyscallException} ("mmap") instead of returning -errno. */
    public static long mmap(long address, long length, int prot, int flags, int fd, long offset) {
        long rc = NativeMem.mmap(address, length, prot, flags, fd, offset);
        if (rc < 0) {
            throw new SyscallException("mmap", (int) -rc, "length " + length + " fd " + fd);
        }
        return rc;
    }

    /** munmap that throws {@link SyscallException} ("munmap"). */
    public static void munmap(long address, long length) {
        int rc = NativeMem.munmap(address, length);
        if (rc < 0) {
            throw new SyscallException("munmap", -rc,
                    "0x" + Long.toHexString(address) + " length " + length);
        }
    }

    /** madvise that throws {@link SyscallException} ("madvise"). */
    public static void madvise(long address, long length, int advice) {
        int rc = NativeMem.madvise(address, length, advice);
        if (rc < 0) {
            throw new SyscallException("madvise", -rc, "advice " + advice);
        }
    }
}
