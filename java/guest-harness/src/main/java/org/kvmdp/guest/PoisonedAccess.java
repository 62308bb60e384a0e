// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.kvmdp.kvm.MachineCheck;
import org.kvmdp.kvm.MemoryFaultFlags;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.kvm.VcpuExit;

/**
 * Runs guest program kvm_access in one of its machine-check modes ({@link
 * GuestAbi#ACCESS_MC_READ}: the guest loads a page; {@link GuestAbi#ACCESS_MC_OUTSB}: KVM's
 * emulator reads it for "outsb") and acts as a VMM emulating memory poisoning: every exit for
 * a poisoned page is answered with the machine check hardware would raise on consuming it
 * ({@link MachineCheck#poisonConsumed}), and what the guest's #MC handler reports is kept.
 */
public final class PoisonedAccess {
    /** The exits and reports of one run. */
    public record Result(List<VcpuExit.MemoryFault> poisonedExits, List<VcpuExit.MemoryFault>
            otherFaults, List<Long> machineCheckAddresses, List<Long> values, List<Long> done) {
        /** Whether the program reported PORT_DONE with 0. */
        public boolean completed() {
            return done.equals(List.of(0L));
        }
    }

    private PoisonedAccess() {}

    /**
     * Runs {@code vcpu}, prepared with a machine-check mode and given machine-check banks, to
     * HLT. A fault exit without POISONED is recorded and ends the run: nothing here installs
     * pages.
     */
    public static Result run(Vcpu vcpu, Duration timeout) {
        Objects.requireNonNull(vcpu, "vcpu");
        List<VcpuExit.MemoryFault> poisoned = new ArrayList<>();
        List<VcpuExit.MemoryFault> other = new ArrayList<>();
        List<Long> halves = new ArrayList<>();
        List<Long> values = new ArrayList<>();
        List<Long> done = new ArrayList<>();
        ExitLoop.run(vcpu, timeout, exit -> {
            if (exit instanceof VcpuExit.MemoryFault fault) {
                if ((fault.flags() & MemoryFaultFlags.POISONED) == 0) {
                    other.add(fault);
                    return false;
                }
                poisoned.add(fault);
                vcpu.injectMachineCheck(MachineCheck.poisonConsumed(fault.gpa()));
            } else if (exit instanceof VcpuExit.Io io && io.direction() == VcpuExit.Direction.OUT) {
                switch (io.port()) {
                    case GuestAbi.PORT_MC_ADDR -> halves.add(io.value());
                    case GuestAbi.PORT_VALUE -> values.add(io.value());
                    case GuestAbi.PORT_DONE -> done.add(io.value());
                    default -> { }
                }
            }
            return !(exit instanceof VcpuExit.Hlt);
        });
        List<Long> addresses = new ArrayList<>();
        for (int i = 0; i + 1 < halves.size(); i += 2) {
            addresses.add(halves.get(i) | halves.get(i + 1) << 32);
        }
        return new Result(List.copyOf(poisoned), List.copyOf(other), List.copyOf(addresses),
                List.copyOf(values), List.copyOf(done));
    }
}
