// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import org.kvmdp.kvm.Cpuid;
import org.kvmdp.kvm.Kvm;
import org.kvmdp.kvm.Register;
import org.kvmdp.kvm.Regs;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.kvm.Vm;
import org.kvmdp.kvm.VmType;
import org.kvmdp.memory.Backing;
import org.kvmdp.memory.GuestMemory;

/**
 * A ready-to-run 64-bit VM for one {@link GuestProgram} (this project's kvm_util): system
 * memslot 0 with GDT, identity page tables, code and stacks (see {@link GuestAbi} for the map),
 * test memslots of any {@link Backing}, and vCPUs entering the program with arguments in
 * rdi, rsi, rdx, rcx, r8, r9. Closing it closes the vCPUs, the VM, the memory and /dev/kvm.
 */
public final class GuestVm implements AutoCloseable {
    private static final Register[] ARGUMENT_REGISTERS =
            {Register.RDI, Register.RSI, Register.RDX, Register.RCX, Register.R8, Register.R9};

    private final Kvm kvm;
    private final Vm vm;
    private final GuestMemory system;
    private final IdentityPageTables pageTables;
    private final Cpuid cpuid;
    private final List<MemoryRegion> regions = new ArrayList<>();
    private final RangeSet<Long> usedGpas = TreeRangeSet.create();
    private final Map<Integer, Vcpu> vcpus = new TreeMap<>();
    private boolean closed;

    private GuestVm(Kvm kvm, Vm vm, GuestMemory system, GuestProgram program) {
        this.kvm = kvm;
        this.vm = vm;
        this.system = system;
        LongMode.writeGdt(system);
        this.pageTables = new IdentityPageTables(system);
        pageTables.map(0, GuestAbi.SYSTEM_MEMORY_SIZE);
        pageTables.map(GuestAbi.MMIO_GPA, GuestAbi.GUEST_PAGE_SIZE);
        system.write(GuestAbi.CODE_GPA, program.code());
        vm.setUserMemoryRegion(GuestAbi.SYSTEM_SLOT, 0, 0, system.size(), system.address());
        this.cpuid = kvm.getSupportedCpuid();
    }

    /** A default-type VM running {@code program}. */
    public static GuestVm create(GuestProgram program) {
        return create(program, VmType.DEFAULT);
    }

    /** A VM of {@code type} running {@code program}; opens its own /dev/kvm handle. */
    public static GuestVm create(GuestProgram program, VmType type) {
        Objects.requireNonNull(program, "program");
        Objects.requireNonNull(type, "type");
        Kvm kvm = Kvm.open();
        GuestMemory system = null;
        try {
            Vm vm = kvm.createVm(type);
            system = GuestMemory.allocate(Backing.ANONYMOUS, GuestAbi.SYSTEM_MEMORY_SIZE);
            return new GuestVm(kvm, vm, system, program);
        } catch (RuntimeException e) {
            kvm.close();
            if (system != null) {
                system.close();
            }
            throw e;
        }
    }

    public Kvm kvm() {
        return kvm;
    }

    public Vm vm() {
        return vm;
    }

    /** Memslot 0: page tables, GDT, code, stacks. */
    public GuestMemory systemMemory() {
        return system;
    }

    public IdentityPageTables pageTables() {
        return pageTables;
    }

    /** The test memslots added so far. */
    public List<MemoryRegion> regions() {
        return Collections.unmodifiableList(regions);
    }

    /**
     * Allocates {@code size} bytes of {@code backing} and adds it as the next memslot at the
     * next free 1 GiB-aligned guest physical address from {@link GuestAbi#TEST_MEMORY_GPA},
     * identity-mapped in the guest.
     */
    public MemoryRegion addMemory(Backing backing, long size) {
        long gpa = GuestAbi.TEST_MEMORY_GPA;
        for (MemoryRegion r : regions) {
            gpa = Math.max(gpa, (r.endGpa() + (1L << 30) - 1) & -(1L << 30));
        }
        return addMemory(regions.size() + 1, gpa, backing, size);
    }

    /** Allocates memory and adds it as memslot {@code slot} at {@code gpa} (2 MiB aligned). */
    public MemoryRegion addMemory(int slot, long gpa, Backing backing, long size) {
        Objects.requireNonNull(backing, "backing");
        if (gpa % GuestAbi.GUEST_PAGE_SIZE != 0 || gpa < GuestAbi.SYSTEM_MEMORY_SIZE) {
            throw new IllegalArgumentException("test memory gpa 0x" + Long.toHexString(gpa)
                    + " must be 2 MiB aligned and above the system memory");
        }
        if (size <= 0) {
            throw new IllegalArgumentException("test memory size must be > 0, got " + size);
        }
        Range<Long> gpas = Range.closedOpen(gpa, gpa + size);
        if (usedGpas.intersects(gpas) || gpas.isConnected(Range.singleton(GuestAbi.MMIO_GPA))) {
            throw new IllegalArgumentException("test memory " + gpas + " overlaps "
                    + usedGpas + " or the MMIO page at 0x" + Long.toHexString(GuestAbi.MMIO_GPA));
        }
        GuestMemory memory = GuestMemory.allocate(backing, size);
        try {
            pageTables.map(gpa, size);
            vm.setUserMemoryRegion(slot, 0, gpa, size, memory.address());
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
        MemoryRegion region = new MemoryRegion(slot, gpa, memory);
        regions.add(region);
        usedGpas.add(gpas);
        return region;
    }

    /**
     * Creates vCPU {@code id} on first use (CPUID from KVM_GET_SUPPORTED_CPUID, 64-bit mode) and
     * points it at the program entry with {@code args} (at most six) in rdi, rsi, rdx, rcx, r8,
     * r9, a fresh stack and interrupts off. Calling it again restarts the program.
     */
    public Vcpu prepareVcpu(int id, long... args) {
        Objects.requireNonNull(args, "args");
        if (id < 0 || id >= GuestAbi.MAX_VCPUS) {
            throw new IllegalArgumentException("vCPU id must be in [0, " + GuestAbi.MAX_VCPUS
                    + "), got " + id);
        }
        if (args.length > ARGUMENT_REGISTERS.length) {
            throw new IllegalArgumentException("at most " + ARGUMENT_REGISTERS.length
                    + " arguments, got " + args.length);
        }
        Vcpu vcpu = vcpus.get(id);
        if (vcpu == null) {
            vcpu = vm.createVcpu(id);
            vcpu.setCpuid2(cpuid);
            vcpu.setSregs(LongMode.apply(vcpu.getSregs()));
            vcpus.put(id, vcpu);
        }
        Regs regs = new Regs()
                .set(Register.RIP, GuestAbi.CODE_GPA)
                .set(Register.RSP, GuestAbi.stackTop(id))
                .set(Register.RFLAGS, 0x2); // bit 1 is reserved-one; IF clear
        for (int i = 0; i < args.length; i++) {
            regs.set(ARGUMENT_REGISTERS[i], args[i]);
        }
        vcpu.setRegs(regs);
        return vcpu;
    }

    /** The vCPUs created so far, by id. */
    public Map<Integer, Vcpu> vcpus() {
        return Collections.unmodifiableMap(vcpus);
    }

    /** Closes vCPUs and VM first (memslots go away), then the memory and /dev/kvm. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            vm.close();
        } finally {
            for (MemoryRegion r : regions) {
                r.memory().close();
            }
            system.close();
            kvm.close();
        }
    }
}
