// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import java.util.Objects;
import org.kvmdp.kvm.KvmStructs.Attributes;
import org.kvmdp.kvm.KvmStructs.EnableCap;
import org.kvmdp.kvm.KvmStructs.MemoryRegion;
import org.kvmdp.nativeio.Mman;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.nativeio.Uapi;

/**
 * A VM handle: one VM fd, made by {@link Kvm#createVm}. Creates {@link Vcpu}s and closes them
 * when it is closed. Typed methods check their arguments (nulls, negative or unaligned sizes
 * and addresses, a closed handle) before any syscall and throw {@link KvmException} when the
 * kernel refuses. {@link #ioctlRaw} is the one public {@code -errno} form; the package-private
 * {@code ...Raw} twins skip the argument checks so that tests (through their VmErrno fixture)
 * can probe the kernel's own validation.
 */
public final class Vm implements AutoCloseable {
    /** KVM_MEM_LOG_DIRTY_PAGES memslot flag. */
    public static final int MEM_LOG_DIRTY_PAGES = Uapi.getInt("KVM_MEM_LOG_DIRTY_PAGES");
    /** KVM_MEM_READONLY memslot flag. */
    public static final int MEM_READONLY = Uapi.getInt("KVM_MEM_READONLY");
    /** KVM_MEM_GUEST_MEMFD memslot flag (region2 only). */
    public static final int MEM_GUEST_MEMFD = Uapi.getInt("KVM_MEM_GUEST_MEMFD");
    /** KVM_MEMORY_ATTRIBUTE_PRIVATE. */
    public static final long MEMORY_ATTRIBUTE_PRIVATE = Uapi.get("KVM_MEMORY_ATTRIBUTE_PRIVATE");

    private static final long PAGE_SIZE = Uapi.PAGE_SIZE;

    private final Kvm kvm;
    private final OwnedFd fd;
    private final VmType type;
    private final List<Vcpu> vcpus = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closeFirst = new CopyOnWriteArrayList<>();
    private int vcpuMmapSize = -1;

    Vm(Kvm kvm, OwnedFd fd, VmType type) {
        this.kvm = kvm;
        this.fd = fd;
        this.type = type;
    }

    public VmType type() {
        return type;
    }

    /** The fd number (for raw ioctls); {@link IllegalStateException} once closed. */
    public int fd() {
        return fd.get();
    }

    public boolean isClosed() {
        return fd.isClosed();
    }

    /** See KVM_CHECK_EXTENSION on the VM fd (answers for this VM's type). */
    public int checkExtension(Capability capability) {
        Objects.requireNonNull(capability, "capability");
        return (int) KvmIoctls.call(fd, "KVM_CHECK_EXTENSION", KvmIoctls.KVM_CHECK_EXTENSION,
                capability.number());
    }

    /** See KVM_ENABLE_CAP on the VM fd, with up to four arguments. */
    public void enableCap(Capability capability, long... args) {
        Objects.requireNonNull(capability, "capability");
        int rc = enableCapRaw(capability.number(), 0, args);
        if (rc < 0) {
            throw new KvmException("KVM_ENABLE_CAP", -rc,
                    capability.kernelName() + ", args " + Arrays.toString(args));
        }
    }

    /**
     * KVM_ENABLE_CAP with every field as given (at most four arguments): 0 or -errno. For
     * probing the kernel's validation of flags and arguments.
     */
    int enableCapRaw(int capability, int flags, long... args) {
        Objects.requireNonNull(args, "args");
        if (args.length > EnableCap.MAX_ARGS) {
            throw new IllegalArgumentException("KVM_ENABLE_CAP takes at most " + EnableCap.MAX_ARGS
                    + " arguments, got " + args.length);
        }
        fd.get();
        try (NativeBuffer b = new NativeBuffer(EnableCap.SIZE)) {
            b.putInt(EnableCap.CAP, capability);
            b.putInt(EnableCap.FLAGS, flags);
            for (int i = 0; i < args.length; i++) {
                b.putLong(EnableCap.ARGS + 8L * i, args[i]);
            }
            return (int) KvmIoctls.raw(fd, KvmIoctls.KVM_ENABLE_CAP, b.address());
        }
    }

    /**
     * Makes {@link #close} close {@code resource} first, before the vCPUs: e.g. a demand-paging
     * notification fd, whose waiting vCPUs would otherwise never leave KVM_RUN.
     */
    public void closeFirstOnClose(AutoCloseable resource) {
        closeFirst.add(Objects.requireNonNull(resource, "resource"));
    }

    /** Undoes {@link #closeFirstOnClose} (the resource was closed by its owner). */
    public void forgetOnClose(AutoCloseable resource) {
        closeFirst.remove(resource);
    }

    /**
     * See KVM_SET_USER_MEMORY_REGION: maps {@code size} bytes at host address
     * {@code hostAddress} to guest physical {@code gpa} as memslot {@code slot} (bits 16+ are
     * the address space). Size 0 deletes the slot. The caller keeps the host mapping alive
     * while the slot exists. gpa, size and hostAddress must be page aligned.
     */
    public void setUserMemoryRegion(int slot, int flags, long gpa, long size, long hostAddress) {
        checkRegion(slot, gpa, size, hostAddress);
        int rc = setUserMemoryRegionRaw(slot, flags, gpa, size, hostAddress);
        if (rc < 0) {
            throw new KvmException("KVM_SET_USER_MEMORY_REGION", -rc, regionDetail(slot, gpa, size));
        }
    }

    /** {@link #setUserMemoryRegion} without argument checks: 0 or -errno. */
    int setUserMemoryRegionRaw(int slot, int flags, long gpa, long size, long hostAddress) {
        fd.get();
        try (NativeBuffer b = new NativeBuffer(MemoryRegion.SIZE)) {
            b.putInt(MemoryRegion.SLOT, slot);
            b.putInt(MemoryRegion.FLAGS, flags);
            b.putLong(MemoryRegion.GPA, gpa);
            b.putLong(MemoryRegion.MEMORY_SIZE, size);
            b.putLong(MemoryRegion.USERSPACE_ADDR, hostAddress);
            return (int) KvmIoctls.raw(fd, KvmIoctls.KVM_SET_USER_MEMORY_REGION, b.address());
        }
    }

    /**
     * See KVM_SET_USER_MEMORY_REGION2: {@link #setUserMemoryRegion} plus a guest_memfd
     * ({@code guestMemfd}, used with flag KVM_MEM_GUEST_MEMFD; pass -1 otherwise).
     */
    public void setUserMemoryRegion2(int slot, int flags, long gpa, long size, long hostAddress,
            int guestMemfd, long guestMemfdOffset) {
        checkRegion(slot, gpa, size, hostAddress);
        if (guestMemfdOffset < 0 || guestMemfdOffset % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("guest_memfd offset must be a non-negative"
                    + " multiple of the page size, got " + guestMemfdOffset);
        }
        int rc = setUserMemoryRegion2Raw(slot, flags, gpa, size, hostAddress, guestMemfd,
                guestMemfdOffset);
        if (rc < 0) {
            throw new KvmException("KVM_SET_USER_MEMORY_REGION2", -rc,
                    regionDetail(slot, gpa, size));
        }
    }

    /** {@link #setUserMemoryRegion2} without argument checks: 0 or -errno. */
    int setUserMemoryRegion2Raw(int slot, int flags, long gpa, long size, long hostAddress,
            int guestMemfd, long guestMemfdOffset) {
        fd.get();
        try (NativeBuffer b = new NativeBuffer(MemoryRegion.SIZE2)) {
            b.putInt(MemoryRegion.SLOT2, slot);
            b.putInt(MemoryRegion.FLAGS2, flags);
            b.putLong(MemoryRegion.GPA2, gpa);
            b.putLong(MemoryRegion.MEMORY_SIZE2, size);
            b.putLong(MemoryRegion.USERSPACE_ADDR2, hostAddress);
            b.putLong(MemoryRegion.GUEST_MEMFD_OFFSET2, guestMemfdOffset);
            b.putInt(MemoryRegion.GUEST_MEMFD2, guestMemfd);
            return (int) KvmIoctls.raw(fd, KvmIoctls.KVM_SET_USER_MEMORY_REGION2, b.address());
        }
    }

    /** Deletes memslot {@code slot} (KVM_SET_USER_MEMORY_REGION with size 0). */
    public void deleteUserMemoryRegion(int slot) {
        setUserMemoryRegion(slot, 0, 0, 0, 0);
    }

    /**
     * See KVM_SET_MEMORY_ATTRIBUTES: sets {@code attributes} (e.g.
     * {@link #MEMORY_ATTRIBUTE_PRIVATE}, or 0 for shared) on [gpa, gpa + size). Page aligned.
     */
    public void setMemoryAttributes(long gpa, long size, long attributes) {
        checkAligned("gpa", gpa);
        checkAligned("size", size);
        if (size == 0) {
            throw new IllegalArgumentException("attribute range size must be > 0");
        }
        int rc = setMemoryAttributesRaw(gpa, size, attributes);
        if (rc < 0) {
            throw new KvmException("KVM_SET_MEMORY_ATTRIBUTES", -rc,
                    "gpa 0x" + Long.toHexString(gpa) + " size 0x" + Long.toHexString(size));
        }
    }

    /** {@link #setMemoryAttributes} without argument checks: 0 or -errno. */
    int setMemoryAttributesRaw(long gpa, long size, long attributes) {
        fd.get();
        try (NativeBuffer b = new NativeBuffer(Attributes.SIZE)) {
            b.putLong(Attributes.ADDRESS, gpa);
            b.putLong(Attributes.LENGTH, size);
            b.putLong(Attributes.ATTRIBUTES, attributes);
            return (int) KvmIoctls.raw(fd, KvmIoctls.KVM_SET_MEMORY_ATTRIBUTES, b.address());
        }
    }

    /** See KVM_CREATE_GUEST_MEMFD: a guest_memfd of {@code size} bytes, owned by the caller. */
    public OwnedFd createGuestMemfd(long size, long flags) {
        checkAligned("size", size);
        if (size == 0) {
            throw new IllegalArgumentException("guest_memfd size must be > 0");
        }
        fd.get();
        try (NativeBuffer b = new NativeBuffer(Attributes.GMEM_SIZE)) {
            b.putLong(Attributes.GMEM_LENGTH, size);
            b.putLong(Attributes.GMEM_FLAGS, flags);
            int gmem = (int) KvmIoctls.call(fd, "KVM_CREATE_GUEST_MEMFD",
                    KvmIoctls.KVM_CREATE_GUEST_MEMFD, b.address());
            return new OwnedFd(gmem, "guest_memfd");
        }
    }

    /**
     * See KVM_CREATE_VCPU: creates vCPU {@code id} and maps its kvm_run area. vCPU ids must be
     * unique per VM (EEXIST otherwise) and below KVM_CAP_MAX_VCPU_ID.
     */
    public Vcpu createVcpu(int id) {
        if (id < 0) {
            throw new IllegalArgumentException("vCPU id must be >= 0, got " + id);
        }
        fd.get();
        if (vcpuMmapSize < 0) {
            vcpuMmapSize = kvm.getVcpuMmapSize();
        }
        int vcpuFd = (int) KvmIoctls.call(fd, "KVM_CREATE_VCPU", KvmIoctls.KVM_CREATE_VCPU, id);
        OwnedFd owned = new OwnedFd(vcpuFd, "vCPU " + id + " fd");
        long run;
        try {
            run = Mman.mmap(0, vcpuMmapSize, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_SHARED,
                    vcpuFd, 0);
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
        return register(new Vcpu(this, id, owned, run, vcpuMmapSize));
    }

    /** See KVM_GET_STATS_FD on the VM fd: one snapshot of the VM's statistics. */
    public KvmStats getStats() {
        int statsFd = (int) KvmIoctls.call(fd, "KVM_GET_STATS_FD", KvmIoctls.KVM_GET_STATS_FD, 0);
        try (OwnedFd owned = new OwnedFd(statsFd, "VM stats fd")) {
            return StatsReader.read(owned.get());
        }
    }

    /**
     * Any VM ioctl, for interfaces without a typed method here: the result or -errno. The
     * caller guarantees that {@code arg} is what the ioctl expects (e.g. a valid struct
     * address). Public because org.kvmdp.dp builds its ioctls on it and names them in its own
     * exceptions.
     */
    public long ioctlRaw(long request, long arg) {
        return KvmIoctls.raw(fd, request, arg);
    }

    /** {@link #ioctlRaw} that throws a {@link KvmException} naming {@code name}. */
    public long ioctl(String name, long request, long arg) {
        Objects.requireNonNull(name, "name");
        return KvmIoctls.call(fd, name, request, arg);
    }

    /** Makes {@link #close} close {@code vcpu} too. */
    Vcpu register(Vcpu vcpu) {
        vcpus.add(vcpu);
        return vcpu;
    }

    void forget(Vcpu vcpu) {
        vcpus.remove(vcpu);
    }

    /**
     * Closes the resources given to {@link #closeFirstOnClose}, this VM's vCPUs, then the VM
     * fd. Idempotent.
     */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (AutoCloseable resource : new ArrayList<>(closeFirst)) {
            try {
                resource.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("closing " + resource + " failed", e);
                }
            }
        }
        closeFirst.clear();
        for (Vcpu vcpu : new ArrayList<>(vcpus)) {
            vcpu.close();
        }
        fd.close();
        kvm.forget(this);
        if (failure != null) {
            throw failure;
        }
    }

    private static void checkRegion(int slot, long gpa, long size, long hostAddress) {
        if (slot < 0) {
            throw new IllegalArgumentException("memslot id must be >= 0, got " + slot);
        }
        checkAligned("gpa", gpa);
        checkAligned("size", size);
        if (size > 0) {
            checkAligned("host address", hostAddress);
            if (hostAddress == 0) {
                throw new IllegalArgumentException("host address must not be 0 for a non-empty slot");
            }
        }
    }

    private static void checkAligned(String what, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " must be >= 0, got " + value);
        }
        if (value % PAGE_SIZE != 0) {
            throw new IllegalArgumentException(what + " 0x" + Long.toHexString(value)
                    + " is not aligned to the " + PAGE_SIZE + "-byte page size");
        }
    }

    private static String regionDetail(int slot, long gpa, long size) {
        return "slot " + slot + " gpa 0x" + Long.toHexString(gpa) + " size 0x"
                + Long.toHexString(size);
    }
}
