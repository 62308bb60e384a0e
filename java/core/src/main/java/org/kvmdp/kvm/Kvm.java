// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import java.util.ArrayList;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import java.util.Objects;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.nativeio.OpenFlags;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.nativeio.SyscallException;

/**
 * The system handle: one fd on /dev/kvm. Creates {@link Vm}s, which it closes when it is
 * closed. Methods taking no raw addresses validate their arguments before any syscall.
 * Not safe for concurrent use with {@link #close}.
 */
public final class Kvm implements AutoCloseable {
    /** Where KVM lives. */
    public static final String DEFAULT_PATH = "/dev/kvm";
    private static final int MAX_CPUID_ENTRIES = 4096;

    private final OwnedFd fd;
    private final List<Vm> vms = new CopyOnWriteArrayList<>();

    Kvm(OwnedFd fd) {
        this.fd = fd;
    }

    /** Opens /dev/kvm read-write; {@link KvmException} ("open /dev/kvm") on failure. */
    public static Kvm open() {
        return open(DEFAULT_PATH);
    }

    /** Opens a KVM device node at {@code path}. */
    public static Kvm open(String path) {
        Objects.requireNonNull(path, "path");
        try {
            return new Kvm(OwnedFd.open(path, OpenFlags.O_RDWR));
        } catch (SyscallException e) {
            throw new KvmException("open " + path, e.errno());
        }
    }

    /** The fd number (for raw ioctls); {@link IllegalStateException} once closed. */
    public int fd() {
        return fd.get();
    }

    /** See KVM_GET_API_VERSION: 12 on every kernel since 2.6.22. */
    public int getApiVersion() {
        return (int) KvmIoctls.call(fd, "KVM_GET_API_VERSION", KvmIoctls.KVM_GET_API_VERSION, 0);
    }

    /** See KVM_CHECK_EXTENSION (system level): 0 if unsupported, else a cap-specific value. */
    public int checkExtension(Capability capability) {
        Objects.requireNonNull(capability, "capability");
        return checkExtension(capability.number());
    }

    /** See KVM_CHECK_EXTENSION with a raw KVM_CAP_* number. */
    public int checkExtension(int capabilityNumber) {
        return (int) KvmIoctls.call(fd, "KVM_CHECK_EXTENSION", KvmIoctls.KVM_CHECK_EXTENSION,
                capabilityNumber);
    }

    /** See KVM_GET_VCPU_MMAP_SIZE: bytes to mmap from each vCPU fd (kvm_run and more). */
    public int getVcpuMmapSize() {
        return (int) KvmIoctls.call(fd, "KVM_GET_VCPU_MMAP_SIZE",
                KvmIoctls.KVM_GET_VCPU_MMAP_SIZE, 0);
    }

    /** See KVM_CREATE_VM with the default VM type. */
    public Vm createVm() {
        return createVm(VmType.DEFAULT);
    }

    /** See KVM_CREATE_VM; supported types are the bits of KVM_CAP_VM_TYPES. */
    public Vm createVm(VmType type) {
        Objects.requireNonNull(type, "type");
        int vmFd = (int) KvmIoctls.call(fd, "KVM_CREATE_VM", KvmIoctls.KVM_CREATE_VM,
                type.number());
        Vm vm = new Vm(this, new OwnedFd(vmFd, "VM fd (" + type + ")"), type);
        vms.add(vm);
        return vm;
    }

    /** See KVM_GET_SUPPORTED_CPUID: what this KVM can offer a guest. */
    public Cpuid getSupportedCpuid() {
        int capacity = 256;
        while (true) {
            try (NativeBuffer buffer = Cpuid.allocate(capacity)) {
                long rc = KvmIoctls.raw(fd, KvmIoctls.KVM_GET_SUPPORTED_CPUID, buffer.address());
                if (rc == 0) {
                    return Cpuid.readFrom(buffer);
                }
                if (rc != -Errno.E2BIG.code() || capacity >= MAX_CPUID_ENTRIES) {
                    throw new KvmException("KVM_GET_SUPPORTED_CPUID", (int) -rc);
                }
                capacity *= 2;
            }
        }
    }

    void forget(Vm vm) {
        vms.remove(vm);
    }

    /** Closes the VMs made here (and their vCPUs), then /dev/kvm. Idempotent. */
    @Override
    public void close() {
        for (Vm vm : new ArrayList<>(vms)) {
            vm.close();
        }
        fd.close();
    }
}
