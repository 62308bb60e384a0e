// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.kvmdp.kvm.Regs;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.kvm.VcpuExit;

/**
 * The guest of {@code kvmdp migrate} on {@link GuestProgram#MIGRATE_WORKLOAD}: each vCPU writes
 * a pattern into every page of its slice of a region and halts (the migration point, on the
 * source); resumed from the saved registers (on the destination) it optionally makes KVM touch
 * two pages at the end of its slice, optionally has the block device (its doorbell served by
 * {@link DevicePorts}) move data between three pages at its start, and then checks every
 * page. See migrate_workload.s.
 */
public final class MigrateWorkload {
    public static final long PAGE = 4096;

    /**
     * One vCPU's phase 2 as reported through the IO ports; {@code deviceCheck} is what it
     * found the block device did (0 right, else {@link GuestAbi#BLOCK_CHECK_STATUS} /
     * {@link GuestAbi#BLOCK_CHECK_DATA} bits; -1 without {@link GuestAbi#MIGRATE_DEVICE}).
     */
    public record VcpuResult(int vcpu, long pagesChecked, long mismatches, long pvclockVersion,
            byte[] emulatedRead, long deviceCheck, long elapsedNanos) {}

    /** Serves the OUT exits of device ports on the vCPU thread (the block device's doorbell). */
    @FunctionalInterface
    public interface DevicePorts {
        /** True if {@code io} was a port of a device here and was handled. */
        boolean handle(Vcpu vcpu, VcpuExit.Io io);

        /** No devices: every device port is an unexpected exit. */
        DevicePorts NONE = (vcpu, io) -> false;
    }

    /** All vCPUs' phase 2; elapsed from the common start to the last report. */
    public record Result(List<VcpuResult> vcpus, long elapsedNanos) {
        public long pagesChecked() {
            return vcpus.stream().mapToLong(VcpuResult::pagesChecked).sum();
        }

        public long mismatches() {
            return vcpus.stream().mapToLong(VcpuResult::mismatches).sum();
        }

        /** vCPUs that checked the block device's work ({@link GuestAbi#MIGRATE_DEVICE}). */
        public long deviceChecks() {
            return vcpus.stream().filter(v -> v.deviceCheck() >= 0).count();
        }

        /** Of those, the vCPUs that found it wrong. */
        public long deviceFailures() {
            return vcpus.stream().filter(v -> v.deviceCheck() > 0).count();
        }
    }

    private MigrateWorkload() {}

    /** The first word of the page at {@code gpa} after phase 1. */
    public static long firstWord(long gpa, long seed) {
        return gpa ^ seed;
    }

    /** Offset in the page at {@code gpa} of the second pattern word, which holds ~firstWord. */
    public static long secondWordOffset(long gpa) {
        return 8 + ((gpa >>> 12) & 255) * 8;
    }

    /** The gpa of vCPU {@code index}'s slice (the region split evenly in whole pages). */
    public static long sliceGpa(MemoryRegion region, int vcpus, int index) {
        return region.gpa() + index * sliceBytes(region, vcpus);
    }

    public static long sliceBytes(MemoryRegion region, int vcpus) {
        long slice = region.size() / vcpus;
        if (vcpus < 1 || slice % PAGE != 0 || slice < 2 * PAGE || slice * vcpus != region.size()) {
            throw new IllegalArgumentException("a region of " + region.size() + " bytes does not"
                    + " split into " + vcpus + " slices of at least two whole pages");
        }
        return slice;
    }

    /** The page KVM writes the kvmclock area into in phase 2 (the slice's last page). */
    public static long kvmclockPageGpa(MemoryRegion region, int vcpus, int index) {
        return sliceGpa(region, vcpus, index) + sliceBytes(region, vcpus) - PAGE;
    }

    /** Whether a slice of {@code sliceBytes} has room for the block device's pages (5). */
    public static boolean sliceFitsDevice(long sliceBytes) {
        return sliceBytes >= 5 * PAGE;
    }

    /** The page KVM's emulator reads in phase 2 (the slice's last-but-one page). */
    public static long emulatedReadPageGpa(MemoryRegion region, int vcpus, int index) {
        return kvmclockPageGpa(region, vcpus, index) - PAGE;
    }

    /**
     * Source side: points {@code vcpus} vCPUs at the program with {@code flags}
     * ({@link GuestAbi#MIGRATE_INTERNAL}, {@link GuestAbi#MIGRATE_DEVICE}) and runs phase 1 on
     * all of them; returns each vCPU's registers at the migration point.
     */
    public static List<Regs> runToMigrationPoint(GuestVm guest, MemoryRegion region, int vcpus,
            long seed, int flags, Duration timeout) {
        long slice = sliceBytes(region, vcpus);
        if ((flags & GuestAbi.MIGRATE_DEVICE) != 0 && !sliceFitsDevice(slice)) {
            throw new IllegalArgumentException("the block device needs slices of 5 pages, these"
                    + " have " + slice / PAGE);
        }
        List<Vcpu> prepared = new ArrayList<>();
        for (int i = 0; i < vcpus; i++) {
            prepared.add(guest.prepareVcpu(i, region.gpa() + i * slice, slice, seed, flags));
        }
        return ParallelVcpus.run(vcpus, timeout, i -> {
            Vcpu vcpu = prepared.get(i);
            ExitLoop.run(vcpu, timeout, exit -> {
                if (exit instanceof VcpuExit.Hlt) {
                    return false;
                }
                throw new IllegalStateException("vCPU " + i + " phase 1: unexpected exit " + exit
                        + " at " + vcpu.getRegs());
            });
            return vcpu.getRegs();
        }).results();
    }

    /**
     * Destination side: creates the vCPUs, loads the registers saved at the migration point
     * and runs phase 2, serving memory faults with {@code faults}. Once {@code cancelled} is
     * true, {@link #kickAll kicking} the vCPUs stops them with
     * {@link ExitLoop.CancelledException}.
     */
    public static Result resume(GuestVm guest, List<Regs> saved,
            TouchPages.MemoryFaultHandler faults, BooleanSupplier cancelled, Duration timeout) {
        return resume(guest, saved, faults, DevicePorts.NONE, cancelled, timeout);
    }

    /** {@link #resume}, with the OUT exits of device ports served by {@code devices}. */
    public static Result resume(GuestVm guest, List<Regs> saved,
            TouchPages.MemoryFaultHandler faults, DevicePorts devices, BooleanSupplier cancelled,
            Duration timeout) {
        Objects.requireNonNull(faults, "faults");
        Objects.requireNonNull(devices, "devices");
        List<Vcpu> vcpus = new ArrayList<>();
        for (int i = 0; i < saved.size(); i++) {
            Vcpu vcpu = guest.prepareVcpu(i);
            vcpu.setRegs(saved.get(i));
            vcpus.add(vcpu);
        }
        ParallelVcpus.Outcome<VcpuResult> outcome = ParallelVcpus.run(vcpus.size(), timeout,
                i -> runPhase2(vcpus.get(i), faults, devices, cancelled, timeout));
        return new Result(outcome.results(), outcome.elapsedNanos());
    }

    /** Kicks every vCPU of {@code guest} out of KVM_RUN. */
    public static void kickAll(GuestVm guest) {
        guest.vcpus().values().forEach(Vcpu::kick);
    }

    private static VcpuResult runPhase2(Vcpu vcpu, TouchPages.MemoryFaultHandler faults,
            DevicePorts devices, BooleanSupplier cancelled, Duration timeout) {
        long start = System.nanoTime();
        long[] checked = {-1};
        long[] mismatches = {-1};
        long[] version = {-1};
        long[] device = {-1};
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        ExitLoop.run(vcpu, timeout, cancelled, exit -> {
            if (exit instanceof VcpuExit.Io io && io.direction() == VcpuExit.Direction.OUT) {
                switch (io.port()) {
                    case GuestAbi.PORT_VALUE:
                        version[0] = io.value();
                        return true;
                    case GuestAbi.PORT_DATA:
                        read.write(io.data(), 0, io.length());
                        return true;
                    case GuestAbi.PORT_TOUCHED:
                        checked[0] = io.value();
                        return true;
                    case GuestAbi.PORT_DONE:
                        mismatches[0] = io.value();
                        return true;
                    case GuestAbi.PORT_BLOCK_CHECK:
                        device[0] = io.value();
                        return true;
                    default:
                        if (devices.handle(vcpu, io)) {
                            return true;
                        }
                        break;
                }
            } else if (exit instanceof VcpuExit.Hlt && mismatches[0] >= 0) {
                return false;
            } else if (exit instanceof VcpuExit.MemoryFault fault) {
                faults.handle(vcpu, fault);
                return true;
            }
            throw new IllegalStateException("vCPU " + vcpu.id() + " phase 2: unexpected exit "
                    + exit + " at " + vcpu.getRegs());
        });
        return new VcpuResult(vcpu.id(), checked[0], mismatches[0], version[0],
                read.toByteArray(), device[0], System.nanoTime() - start);
    }

    /** The little-endian word at the start of {@code bytes} (e.g. an emulated read). */
    public static long leadingWord(byte[] bytes) {
        if (bytes.length < 8) {
            throw new IllegalArgumentException("need 8 bytes, got " + bytes.length);
        }
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }
}
