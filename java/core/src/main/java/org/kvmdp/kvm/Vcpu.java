// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.kvmdp.kvm.KvmStructs.Exits;
import org.kvmdp.kvm.KvmStructs.Mce;
import org.kvmdp.kvm.KvmStructs.Msrs;
import org.kvmdp.kvm.KvmStructs.Run;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.Mman;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.nativeio.NativeIo;
import org.kvmdp.nativeio.NativeKvm;
import org.kvmdp.nativeio.NativeMemory;
import org.kvmdp.nativeio.NativeThread;
import org.kvmdp.nativeio.OwnedFd;

/**
 * A vCPU handle: one vCPU fd plus its mmap-ed struct kvm_run, made by {@link Vm#createVcpu}.
 * One thread at a time may {@link #run} it; {@link #kick} and {@link #close} may come from any
 * thread (close kicks a running vCPU and waits for KVM_RUN to return before unmapping).
 */
public final class Vcpu implements AutoCloseable {
    private static final int EINTR = Errno.EINTR.code();
    private static final int EFAULT = Errno.EFAULT.code();
    private static final int ENOENT = Errno.ENOENT.code();
    private static final int EOPNOTSUPP = Errno.EOPNOTSUPP.code();
    private static final int ENOTTY = Errno.ENOTTY.code();
    private static final ThreadLocal<Integer> THREAD_ID =
            ThreadLocal.withInitial(NativeThread::gettid);
    private static volatile int kickSignal;

    private final Vm vm;
    private final int id;
    private final OwnedFd fd;
    private final long run;
    private final long runSize;
    private final ReentrantLock runLock = new ReentrantLock();
    private final Object lifecycle = new Object();
    private volatile int runningThreadId;
    private boolean unmapped;

    Vcpu(Vm vm, int id, OwnedFd fd, long run, long runSize) {
        this.vm = vm;
        this.id = id;
        this.fd = fd;
        this.run = run;
        this.runSize = runSize;
    }

    public int id() {
        return id;
    }

    public boolean isClosed() {
        return fd.isClosed();
    }

    /** The fd number (for raw ioctls); {@link IllegalStateException} once closed. */
    public int fd() {
        return fd.get();
    }

    /**
     * The address of this vCPU's struct kvm_run (valid until {@link #close}); for callers that
     * read fields this class does not decode.
     */
    public long kvmRunAddress() {
        fd.get();
        return run;
    }

    /**
     * See KVM_RUN: runs the guest until the next exit and decodes it. EINTR (a signal or
     * {@link #kick}) gives {@link VcpuExit.Interrupted}; EFAULT with KVM_EXIT_MEMORY_FAULT
     * gives {@link VcpuExit.MemoryFault}; any other failure throws {@link KvmException}.
     */
    public VcpuExit run() {
        lockForRun();
        try {
            long rc = runLocked();
            if (!VcpuExits.isExit(run, rc)) {
                throw new KvmException("KVM_RUN", (int) -rc, "vCPU " + id);
            }
            return VcpuExits.decode(run, rc);
        } finally {
            runLock.unlock();
        }
    }

    /** KVM_RUN without decoding: 0 or -errno. Read the exit afterwards with {@link #lastExit}. */
    int runRaw() {
        lockForRun();
        try {
            return (int) runLocked();
        } finally {
            runLock.unlock();
        }
    }

    /** Decodes kvm_run as the last successful KVM_RUN left it. */
    public VcpuExit lastExit() {
        lockForRun();
        try {
            return VcpuExits.decode(run, 0);
        } finally {
            runLock.unlock();
        }
    }

    /**
     * The kernel thread id of the thread now in KVM_RUN on this vCPU, or 0 if none is: for
     * diagnostics of a vCPU that does not come back (its /proc/self/task/TID state).
     */
    public int runningThreadId() {
        return runningThreadId;
    }

    /**
     * Makes the current KVM_RUN, or the next one if none is in progress, return
     * {@link VcpuExit.Interrupted}: sets kvm_run.immediate_exit and signals the running thread.
     */
    public void kick() {
        synchronized (lifecycle) {
            if (unmapped) {
                return;
            }
            NativeMemory.putByte(run + Run.IMMEDIATE_EXIT, (byte) 1);
            int tid = runningThreadId;
            if (tid != 0) {
                NativeThread.tgkill(tid, kickSignal());
            }
        }
    }

    /**
     * Supplies the data of the pending IN exit: exactly size * count bytes of the last
     * {@link VcpuExit.Io}. KVM hands them to the guest on the next {@link #run}.
     */
    public void completeIoIn(byte[] data) {
        Objects.requireNonNull(data, "data");
        lockForRun();
        try {
            if (NativeMemory.getInt(run + Run.EXIT_REASON) != Exits.IO
                    || NativeMemory.getByte(run + Run.IO_DIRECTION) != Exits.IO_IN) {
                throw new IllegalStateException("vCPU " + id + " has no pending IN exit");
            }
            int expected = (NativeMemory.getByte(run + Run.IO_SIZE) & 0xff)
                    * NativeMemory.getInt(run + Run.IO_COUNT);
            if (data.length != expected) {
                throw new IllegalArgumentException("IN exit needs " + expected + " bytes, got "
                        + data.length);
            }
            NativeMemory.fromArray(data, run + NativeMemory.getLong(run + Run.IO_DATA_OFFSET));
        } finally {
            runLock.unlock();
        }
    }

    /** Supplies the data of the pending MMIO read: exactly the exit's length in bytes. */
    public void completeMmioRead(byte[] data) {
        Objects.requireNonNull(data, "data");
        lockForRun();
        try {
            if (NativeMemory.getInt(run + Run.EXIT_REASON) != Exits.MMIO
                    || NativeMemory.getByte(run + Run.MMIO_IS_WRITE) != 0) {
                throw new IllegalStateException("vCPU " + id + " has no pending MMIO read");
            }
            int expected = NativeMemory.getInt(run + Run.MMIO_LEN);
            if (data.length != expected) {
                throw new IllegalArgumentException("MMIO read needs " + expected + " bytes, got "
                        + data.length);
            }
            NativeMemory.fromArray(data, run + Run.MMIO_DATA);
        } finally {
            runLock.unlock();
        }
    }

    /** See KVM_GET_REGS. */
    public Regs getRegs() {
        try (NativeBuffer b = new NativeBuffer(Regs.SIZE)) {
            KvmIoctls.call(fd, "KVM_GET_REGS", KvmIoctls.KVM_GET_REGS, b.address());
            return Regs.readFrom(b);
        }
    }

    /** See KVM_SET_REGS. */
    public void setRegs(Regs regs) {
        Objects.requireNonNull(regs, "regs");
        try (NativeBuffer b = new NativeBuffer(Regs.SIZE)) {
            regs.writeTo(b);
            KvmIoctls.call(fd, "KVM_SET_REGS", KvmIoctls.KVM_SET_REGS, b.address());
        }
    }

    /** See KVM_GET_SREGS. */
    public Sregs getSregs() {
        try (NativeBuffer b = new NativeBuffer(Sregs.SIZE)) {
            KvmIoctls.call(fd, "KVM_GET_SREGS", KvmIoctls.KVM_GET_SREGS, b.address());
            return Sregs.readFrom(b);
        }
    }

    /** See KVM_SET_SREGS; every segment and table field must be set. */
    public void setSregs(Sregs sregs) {
        Objects.requireNonNull(sregs, "sregs");
        try (NativeBuffer b = new NativeBuffer(Sregs.SIZE)) {
            sregs.writeTo(b);
            KvmIoctls.call(fd, "KVM_SET_SREGS", KvmIoctls.KVM_SET_SREGS, b.address());
        }
    }

    /** See KVM_SET_CPUID2 (before the first KVM_RUN). */
    public void setCpuid2(Cpuid cpuid) {
        Objects.requireNonNull(cpuid, "cpuid");
        fd.get();
        try (NativeBuffer b = cpuid.toNative()) {
            KvmIoctls.call(fd, "KVM_SET_CPUID2", KvmIoctls.KVM_SET_CPUID2, b.address());
        }
    }

    /** See KVM_GET_MSRS for one MSR; {@link IllegalArgumentException} if KVM refuses it. */
    public long getMsr(int index) {
        try (NativeBuffer b = msrBuffer(index, 0)) {
            long read = KvmIoctls.call(fd, "KVM_GET_MSRS", KvmIoctls.KVM_GET_MSRS, b.address());
            if (read != 1) {
                throw new IllegalArgumentException("KVM_GET_MSRS refused MSR 0x"
                        + Integer.toHexString(index));
            }
            return b.getLong(Msrs.ENTRIES + Msrs.ENTRY_DATA);
        }
    }

    /** See KVM_SET_MSRS for one MSR; {@link IllegalArgumentException} if KVM refuses it. */
    public void setMsr(int index, long value) {
        try (NativeBuffer b = msrBuffer(index, value)) {
            long written = KvmIoctls.call(fd, "KVM_SET_MSRS", KvmIoctls.KVM_SET_MSRS, b.address());
            if (written != 1) {
                throw new IllegalArgumentException("KVM_SET_MSRS refused MSR 0x"
                        + Integer.toHexString(index) + " = 0x" + Long.toHexString(value));
            }
        }
    }

    /**
     * See KVM_X86_SETUP_MCE: gives the vCPU {@code banks} machine-check banks (MCG_CAP, no
     * other capability bits), each with reporting enabled. Needed before
     * {@link #injectMachineCheck}.
     */
    public void setupMachineCheck(int banks) {
        if (banks < 1 || banks > 0xff) {
            throw new IllegalArgumentException("banks " + banks);
        }
        try (NativeBuffer b = new NativeBuffer(Long.BYTES)) {
            b.putLong(0, banks);
            KvmIoctls.call(fd, "KVM_X86_SETUP_MCE", KvmIoctls.KVM_X86_SETUP_MCE, b.address());
        }
    }

    /**
     * See KVM_X86_SET_MCE: injects {@code mce}. An uncorrected one is delivered as #MC on the
     * next KVM_RUN; if the guest has CR4.MCE clear or is already handling a machine check, KVM
     * makes the vCPU triple fault instead, as hardware would.
     */
    public void injectMachineCheck(MachineCheck mce) {
        Objects.requireNonNull(mce, "mce");
        try (NativeBuffer b = new NativeBuffer(Mce.SIZE)) {
            b.putLong(Mce.STATUS, mce.status());
            b.putLong(Mce.ADDR, mce.addr());
            b.putLong(Mce.MISC, mce.misc());
            b.putLong(Mce.MCG_STATUS, mce.mcgStatus());
            b.putByte(Mce.BANK, (byte) mce.bank());
            KvmIoctls.call(fd, "KVM_X86_SET_MCE", KvmIoctls.KVM_X86_SET_MCE, b.address());
        }
    }

    /** See KVM_GET_STATS_FD on the vCPU fd: one snapshot of this vCPU's statistics. */
    public KvmStats getStats() {
        int statsFd = (int) KvmIoctls.call(fd, "KVM_GET_STATS_FD", KvmIoctls.KVM_GET_STATS_FD, 0);
        try (OwnedFd owned = new OwnedFd(statsFd, "vCPU stats fd")) {
            return StatsReader.read(owned.get());
        }
    }

    /** What {@link #preFault} did. */
    public enum PreFault {
        /** Mapped: the guest's next access to the first page does not fault. */
        MAPPED,
        /**
         * Not mapped this time: a page of the range is not present (EFAULT), a signal came
         * (EINTR) or KVM emulates accesses there (ENOENT). The guest faults as it would have.
         */
        NOT_MAPPED,
        /**
         * This vCPU cannot pre-fault (EOPNOTSUPP: shadow paging, or a VM type without it) or
         * the kernel lacks KVM_PRE_FAULT_MEMORY (ENOTTY); asking again will not help.
         */
        UNSUPPORTED
    }

    /**
     * See KVM_PRE_FAULT_MEMORY: maps guest physical [gpa, gpa + size) (page aligned) into the
     * guest's stage-2 page tables now, as a guest fault on it would, so that the next KVM_RUN
     * does not exit to KVM's fault handler first. It takes the vCPU's mutex, so call it between
     * two {@link #run}s on the running thread. Allocates nothing; other failures (EINVAL for a
     * misaligned or wrapping range) throw {@link KvmException}.
     */
    public PreFault preFault(long gpa, long size) {
        int rc = NativeKvm.preFaultMemory(fd.get(), gpa, size);
        if (rc == 0) {
            return PreFault.MAPPED;
        }
        if (rc == -EFAULT || rc == -EINTR || rc == -ENOENT) {
            return PreFault.NOT_MAPPED;
        }
        if (rc == -EOPNOTSUPP || rc == -ENOTTY) {
            return PreFault.UNSUPPORTED;
        }
        throw new KvmException("KVM_PRE_FAULT_MEMORY", -rc,
                "gpa 0x" + Long.toHexString(gpa) + " size 0x" + Long.toHexString(size));
    }

    /** Any vCPU ioctl other than KVM_RUN: the result or -errno (caller guarantees {@code arg}). */
    long ioctlRaw(long request, long arg) {
        if (request == KvmIoctls.KVM_RUN) {
            throw new IllegalArgumentException("use run() for KVM_RUN");
        }
        return KvmIoctls.raw(fd, request, arg);
    }

    /**
     * Stops a KVM_RUN in progress (kicking until it returns), unmaps kvm_run and closes the fd.
     * Idempotent.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (unmapped) {
                return;
            }
        }
        try {
            while (!runLock.tryLock(10, TimeUnit.MILLISECONDS)) {
                kick();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping vCPU " + id, e);
        }
        try {
            synchronized (lifecycle) {
                if (unmapped) {
                    return;
                }
                unmapped = true;
                fd.close();
                Mman.munmap(run, runSize);
            }
        } finally {
            runLock.unlock();
            vm.forget(this);
        }
    }

    private void lockForRun() {
        if (!runLock.tryLock()) {
            throw new IllegalStateException("vCPU " + id + " is in use by another thread");
        }
        if (fd.isClosed()) {
            runLock.unlock();
            throw new IllegalStateException("vCPU " + id + " is closed");
        }
    }

    private long runLocked() {
        int vcpuFd = fd.get();
        // Stale exit reasons would make a plain EFAULT look like a memory fault.
        NativeMemory.putInt(run + Run.EXIT_REASON, Exits.UNKNOWN);
        runningThreadId = THREAD_ID.get();
        long rc;
        try {
            rc = NativeIo.ioctl(vcpuFd, KvmIoctls.KVM_RUN, 0);
        } finally {
            runningThreadId = 0;
        }
        if (rc == -EINTR) {
            NativeMemory.putByte(run + Run.IMMEDIATE_EXIT, (byte) 0); // the kick is consumed
        }
        return rc;
    }

    private NativeBuffer msrBuffer(int index, long value) {
        fd.get();
        NativeBuffer b = new NativeBuffer(Msrs.HEADER_SIZE + Msrs.ENTRY_SIZE);
        b.putInt(Msrs.NMSRS, 1);
        b.putInt(Msrs.ENTRIES + Msrs.ENTRY_INDEX, index);
        b.putLong(Msrs.ENTRIES + Msrs.ENTRY_DATA, value);
        return b;
    }

    private static int kickSignal() {
        int signal = kickSignal;
        if (signal == 0) {
            synchronized (Vcpu.class) {
                if (kickSignal == 0) {
                    int rc = NativeThread.installKickHandler();
                    if (rc < 0) {
                        throw new org.kvmdp.nativeio.SyscallException("sigaction", -rc);
                    }
                    kickSignal = rc;
                }
                signal = kickSignal;
            }
        }
        return signal;
    }
}
