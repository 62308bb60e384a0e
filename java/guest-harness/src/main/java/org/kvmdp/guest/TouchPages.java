// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.kvm.VcpuExit;

/**
 * The demand_paging_test workload on {@link GuestProgram#TOUCH_PAGES}: N vCPUs, each touching
 * every {@code stride} bytes of its own contiguous slice of a {@link MemoryRegion}, writing or
 * checking the word (gpa XOR seed). All vCPU threads are started and waiting before the clock
 * starts; failures on vCPU threads are rethrown on the caller's thread.
 */
public final class TouchPages {
    /** What to run. {@code progressEvery} 0 disables progress exits. */
    public record Params(int vcpus, boolean write, long stride, long seed, int progressEvery,
            Duration timeout) {
        public Params {
            if (vcpus < 1 || vcpus > GuestAbi.MAX_VCPUS) {
                throw new IllegalArgumentException("vCPUs must be in [1, " + GuestAbi.MAX_VCPUS
                        + "], got " + vcpus);
            }
            if (stride < 8 || stride % 8 != 0) {
                throw new IllegalArgumentException("stride must be a positive multiple of 8, got "
                        + stride);
            }
            if (progressEvery < 0) {
                throw new IllegalArgumentException("progressEvery must be >= 0");
            }
            Objects.requireNonNull(timeout, "timeout");
        }
    }

    /** One vCPU's outcome as reported through the IO ports. */
    public record VcpuResult(int vcpu, long sliceGpa, long sliceSize, long touched,
            long mismatches, long progressReports, long elapsedNanos) {}

    /** All vCPUs' outcomes; elapsed time is from the common start to the last HLT. */
    public record Result(List<VcpuResult> vcpus, long elapsedNanos) {
        public long touched() {
            return vcpus.stream().mapToLong(VcpuResult::touched).sum();
        }

        public long mismatches() {
            return vcpus.stream().mapToLong(VcpuResult::mismatches).sum();
        }

        /** Touches per second over the whole run. */
        public double touchesPerSecond() {
            return touched() * 1e9 / Math.max(elapsedNanos, 1);
        }
    }

    /**
     * Serves a {@link VcpuExit.MemoryFault} on the vCPU thread that took it (e.g. install the
     * page and mark it present); the vCPU then runs again. Without one, a memory fault fails
     * the run.
     */
    @FunctionalInterface
    public interface MemoryFaultHandler {
        void handle(Vcpu vcpu, VcpuExit.MemoryFault fault);
    }

    private static final MemoryFaultHandler NO_FAULTS = (vcpu, fault) -> {
        throw new IllegalStateException("vCPU " + vcpu.id() + " touch_pages: unexpected " + fault);
    };

    private TouchPages() {}

    /** The value the guest writes (or expects) at guest physical {@code gpa}. */
    public static long expectedValue(long gpa, long seed) {
        return gpa ^ seed;
    }

    /** Writes every touch point of the region the way the guest's write mode would. */
    public static void fill(MemoryRegion region, long stride, long seed) {
        for (long offset = 0; offset < region.size(); offset += stride) {
            region.memory().putLong(offset, expectedValue(region.gpa() + offset, seed));
        }
    }

    /** Counts touch points whose word differs from the expected value. */
    public static long countMismatches(MemoryRegion region, long stride, long seed) {
        long mismatches = 0;
        for (long offset = 0; offset < region.size(); offset += stride) {
            if (region.memory().getLong(offset) != expectedValue(region.gpa() + offset, seed)) {
                mismatches++;
            }
        }
        return mismatches;
    }

    /** Runs the workload over all of {@code region}. */
    public static Result run(GuestVm guest, MemoryRegion region, Params params) {
        return run(guest, region, params, NO_FAULTS);
    }

    /** Runs the workload over all of {@code region}, serving memory faults with {@code faults}. */
    public static Result run(GuestVm guest, MemoryRegion region, Params params,
            MemoryFaultHandler faults) {
        return run(guest, region, 0, region.size(), params, faults);
    }

    /**
     * Runs the workload over [offset, offset + length) of {@code region}, serving memory faults
     * with {@code faults}.
     */
    public static Result run(GuestVm guest, MemoryRegion region, long offset, long length,
            Params params, MemoryFaultHandler faults) {
        Objects.requireNonNull(faults, "faults");
        if (offset < 0 || length <= 0 || offset > region.size() - length) {
            throw new IllegalArgumentException("[" + offset + ", +" + length + ") is not inside"
                    + " the " + region.size() + "-byte region");
        }
        long firstGpa = region.gpa() + offset;
        long slice = length / params.vcpus();
        if (slice % params.stride() != 0 || slice == 0) {
            throw new IllegalArgumentException("range of " + length + " bytes does not"
                    + " split into " + params.vcpus() + " slices of whole strides");
        }
        List<Vcpu> vcpus = new ArrayList<>();
        for (int i = 0; i < params.vcpus(); i++) {
            vcpus.add(guest.prepareVcpu(i, firstGpa + i * slice, slice, params.stride(),
                    params.write() ? GuestAbi.TOUCH_WRITE : GuestAbi.TOUCH_READ, params.seed(),
                    params.progressEvery()));
        }
        ParallelVcpus.Outcome<VcpuResult> outcome = ParallelVcpus.run(params.vcpus(),
                params.timeout(), i -> runOne(vcpus.get(i), firstGpa + i * slice, slice, params,
                        faults));
        return new Result(outcome.results(), outcome.elapsedNanos());
    }

    private static VcpuResult runOne(Vcpu vcpu, long sliceGpa, long sliceSize, Params params,
            MemoryFaultHandler faults) {
        long start = System.nanoTime();
        long[] touched = {-1};
        long[] mismatches = {-1};
        long[] progress = {0};
        ExitLoop.run(vcpu, params.timeout(), exit -> {
            if (exit instanceof VcpuExit.Io io && io.direction() == VcpuExit.Direction.OUT) {
                switch (io.port()) {
                    case GuestAbi.PORT_PROGRESS:
                        progress[0]++;
                        return true;
                    case GuestAbi.PORT_TOUCHED:
                        touched[0] = io.value();
                        return true;
                    case GuestAbi.PORT_DONE:
                        mismatches[0] = io.value();
                        return true;
                    default:
                        break;
                }
            } else if (exit instanceof VcpuExit.Hlt && mismatches[0] >= 0) {
                return false;
            } else if (exit instanceof VcpuExit.MemoryFault fault) {
                faults.handle(vcpu, fault);
                return true;
            }
            throw new IllegalStateException("vCPU " + vcpu.id() + " touch_pages: unexpected exit "
                    + exit + " at " + vcpu.getRegs());
        });
        return new VcpuResult(vcpu.id(), sliceGpa, sliceSize, touched[0], mismatches[0],
                progress[0], System.nanoTime() - start);
    }
}
