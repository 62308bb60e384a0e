// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.dp.NotificationFd;
import org.kvmdp.guest.ExitLoop;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.kvm.Capability;
import org.kvmdp.kvm.KvmException;
import org.kvmdp.kvm.MachineCheck;
import org.kvmdp.kvm.MemoryFaultFlags;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.kvm.VcpuExit;
import org.kvmdp.memory.Backing;

/**
 * Memory-poisoning emulation: a page poisoned with {@link DemandPaging#poison} stops the vCPU
 * with a POISONED exit when the guest reads it and when KVM's emulator reads it for the guest;
 * the VMM answers with a machine check for that page, which the guest program's #MC handler
 * reports (MC0_ADDR). A poisoned page is never requested on the demand paging fd, so nothing
 * waits for it; installing a fresh page and marking it present unpoisons it.
 */
class PoisonTest {
    private static final long PAGE = 4096;
    private static final int EINVAL = 22;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private GuestVm guest;
    private MemoryRegion region;
    private DemandPaging dp;
    private NotificationFd fd;

    @BeforeEach
    void createGuest() {
        guest = GuestVm.create(GuestProgram.KVM_ACCESS);
        region = guest.addMemory(Backing.ANONYMOUS, 2L << 20);
        dp = DemandPaging.of(guest.vm());
        assumeTrue(dp.isSupported(), "kernel without KVM_CAP_DEMAND_PAGING");
        assumeTrue(guest.kvm().checkExtension(Capability.MCE) > 0, "no KVM_CAP_MCE");
        dp.enable();
        fd = dp.openNotificationFd();
    }

    @AfterEach
    void closeGuest() {
        guest.close();
    }

    /** What the VMM saw and the guest reported. */
    private static final class Run {
        final List<VcpuExit.MemoryFault> faults = new ArrayList<>();
        final List<Long> mcAddressHalves = new ArrayList<>();
        final List<Long> values = new ArrayList<>();
        final List<Long> done = new ArrayList<>();

        long reportedMcAddress() {
            assertThat(mcAddressHalves).as("MC0_ADDR halves").hasSize(2);
            return mcAddressHalves.get(0) | mcAddressHalves.get(1) << 32;
        }
    }

    /** Runs to HLT, answering each POISONED exit with the machine check a VMM would inject. */
    private Run runInjectingMachineChecks(Vcpu vcpu) {
        Run run = new Run();
        ExitLoop.run(vcpu, WAIT, exit -> {
            if (exit instanceof VcpuExit.MemoryFault fault) {
                run.faults.add(fault);
                assertThat(fault.flags() & MemoryFaultFlags.POISONED)
                        .as("exit for a poisoned page: " + fault).isNotZero();
                assertThat(run.faults).as("one machine check is enough").hasSize(1);
                vcpu.injectMachineCheck(MachineCheck.poisonConsumed(fault.gpa()));
            } else if (exit instanceof VcpuExit.Io io && io.direction() == VcpuExit.Direction.OUT) {
                switch (io.port()) {
                    case GuestAbi.PORT_MC_ADDR -> run.mcAddressHalves.add(io.value());
                    case GuestAbi.PORT_VALUE -> run.values.add(io.value());
                    case GuestAbi.PORT_DONE -> run.done.add(io.value());
                    default -> { }
                }
            }
            return !(exit instanceof VcpuExit.Hlt);
        });
        return run;
    }

    private Vcpu vcpuWithMachineChecks(int mode, long gpa, long length) {
        Vcpu vcpu = guest.prepareVcpu(0, mode, gpa, length);
        vcpu.setupMachineCheck(1);
        return vcpu;
    }

    @Test
    void aGuestReadOfAPoisonedPageGetsAMachineCheckNamingThePage() {
        long page = region.gpa() + 3 * PAGE;
        dp.poison(page, PAGE);
        Run run = runInjectingMachineChecks(vcpuWithMachineChecks(GuestAbi.ACCESS_MC_READ, page, 8));

        assertThat(run.faults).singleElement().satisfies(f -> {
            assertThat(f.gpa()).isEqualTo(page);
            assertThat(f.flags() & MemoryFaultFlags.NOT_PRESENT).isNotZero();
        });
        assertThat(run.reportedMcAddress()).isEqualTo(page);
        assertThat(run.values).as("the read never completed").isEmpty();
        assertThat(run.done).containsExactly(0L);
        assertThat(fd.poll(0)).as("a poisoned page is never requested").isFalse();
    }

    @Test
    void kvmsEmulatorReadingAPoisonedPageFailsAtOnceAndTheGuestGetsTheMachineCheck() {
        long page = region.gpa() + 5 * PAGE;
        dp.poison(page, PAGE);
        // With the fd open, a merely non-present page would make this KVM_RUN wait.
        Run run = runInjectingMachineChecks(vcpuWithMachineChecks(GuestAbi.ACCESS_MC_OUTSB, page,
                16));

        assertThat(run.faults).singleElement().satisfies(f -> assertThat(f.gpa()).isEqualTo(page));
        assertThat(run.reportedMcAddress()).isEqualTo(page);
        assertThat(fd.poll(0)).as("a poisoned page is never requested").isFalse();
    }

    @Test
    void installingAFreshPageAndMarkingItPresentUnpoisonsIt() {
        long page = region.gpa() + 7 * PAGE;
        dp.poison(page, PAGE);
        region.memory().putLong(page - region.gpa(), 0x5eed_f00dL);
        dp.markPresent(page, PAGE);
        Run run = runInjectingMachineChecks(vcpuWithMachineChecks(GuestAbi.ACCESS_MC_READ, page, 8));

        assertThat(run.faults).isEmpty();
        assertThat(run.values).containsExactly(0x5eed_f00dL);
        assertThat(run.done).containsExactly(0L);
    }

    @Test
    void markingAPoisonedPageMerelyNonPresentForgetsThePoison() {
        long page = region.gpa() + 9 * PAGE;
        dp.poison(page, PAGE);
        dp.markNonPresent(page, PAGE);
        Vcpu vcpu = vcpuWithMachineChecks(GuestAbi.ACCESS_MC_READ, page, 8);
        VcpuExit exit = vcpu.run();

        assertThat(exit).isInstanceOfSatisfying(VcpuExit.MemoryFault.class, f -> {
            assertThat(f.gpa()).isEqualTo(page);
            assertThat(f.flags() & MemoryFaultFlags.NOT_PRESENT).isNotZero();
            assertThat(f.flags() & MemoryFaultFlags.POISONED).isZero();
        });
    }

    @Test
    void poisonIsRefusedWithNothingChangedOutsideTheDemandPagedMemory() {
        long outside = region.gpa() + region.size();
        assertThatThrownBy(() -> dp.poison(outside, PAGE)).isInstanceOf(KvmException.class)
                .hasMessageContaining("ENOENT");
        // KVM_DEMAND_PAGING_POISON (bit 0) is a flag of KVM_MARK_NON_PRESENT only.
        assertThat(dp.markPresentRaw(region.gpa(), PAGE, 1, 0)).isEqualTo(-EINVAL);
        assertThat(dp.markNonPresentRaw(region.gpa(), PAGE, 1L << 1, 0)).isEqualTo(-EINVAL);
        Vcpu vcpu = vcpuWithMachineChecks(GuestAbi.ACCESS_MC_READ, region.gpa(), 8);
        region.memory().putLong(0, 42);
        assertThat(runInjectingMachineChecks(vcpu).values).as("nothing was poisoned")
                .containsExactly(42L);
    }
}
