// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.kvmdp.guest.ExitLoop;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestRip;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.kvm.Register;
import org.kvmdp.kvm.Regs;
import org.kvmdp.kvm.Vcpu;

/**
 * ExitLoop's probe of a vCPU that makes no exits: a guest spinning outside its program (the
 * state the emulator defect leaves it in) fails at the probe, naming its RIP; one spinning
 * inside it is left alone until the deadline, which then names where it was.
 */
class ExitLoopProbeTest {
    /** jmp $ : spins without an exit. */
    private static final byte[] SPIN = {(byte) 0xeb, (byte) 0xfe};
    /** The last vCPU's stack in system memory: mapped, executable, unused by vCPU 0. */
    private static final long OUTSIDE_GPA = GuestAbi.CODE_GPA + GuestAbi.CODE_MAX_SIZE
            + (GuestAbi.MAX_VCPUS - 1) * GuestAbi.STACK_SIZE;
    private static final long INSIDE_GPA = GuestAbi.CODE_GPA + GuestAbi.CODE_MAX_SIZE - 16;
    private static final Duration PROBE = Duration.ofSeconds(1);

    private static Vcpu spinningAt(GuestVm guest, long gpa) {
        Vcpu vcpu = guest.prepareVcpu(0, 999);
        guest.systemMemory().write(gpa, SPIN);
        Regs regs = vcpu.getRegs();
        vcpu.setRegs(regs.set(Register.RIP, gpa));
        return vcpu;
    }

    @Test
    void aGuestSpinningOutsideItsProgramFailsAtTheProbeNamingItsRip() {
        try (GuestVm guest = GuestVm.create(GuestProgram.KVM_ACCESS)) {
            Vcpu vcpu = spinningAt(guest, OUTSIDE_GPA);
            // The deadline is far: only the probe can end this run.
            assertThatThrownBy(() -> ExitLoop.run(vcpu, Duration.ofMinutes(10), PROBE,
                    () -> false, exit -> true))
                    .isInstanceOf(ExitLoop.GuestStateLostException.class)
                    .hasMessageContaining("rip 0x" + Long.toHexString(OUTSIDE_GPA) + " "
                            + GuestRip.OUTSIDE_PROGRAM);
        }
    }

    @Test
    void aGuestSpinningInsideItsProgramRunsToTheDeadlineWhichNamesItsRip() {
        try (GuestVm guest = GuestVm.create(GuestProgram.KVM_ACCESS)) {
            Vcpu vcpu = spinningAt(guest, INSIDE_GPA);
            // Several probes pass before the deadline; none may end the run.
            assertThatThrownBy(() -> ExitLoop.run(vcpu, Duration.ofSeconds(5), PROBE,
                    () -> false, exit -> true))
                    .isInstanceOf(ExitLoop.GuestTimeoutException.class)
                    .hasMessageContaining("still running after PT5S")
                    .hasMessageContaining("then rip 0x" + Long.toHexString(INSIDE_GPA)
                            + " in the guest program");
        }
    }
}
