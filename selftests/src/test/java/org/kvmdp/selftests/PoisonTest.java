// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kvmdp.cli.ExitCodes;
import org.kvmdp.cli.Main;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.dp.DemandPagingErrno;
import org.kvmdp.dp.NotificationFd;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.PoisonedAccess;
import org.kvmdp.kvm.Capability;
import org.kvmdp.kvm.KvmException;
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

    private PoisonedAccess.Result run(int mode, long gpa, long length) {
        Vcpu vcpu = guest.prepareVcpu(0, mode, gpa, length);
        vcpu.setupMachineCheck(1);
        return PoisonedAccess.run(vcpu, WAIT);
    }

    @Test
    void aGuestReadOfAPoisonedPageGetsAMachineCheckNamingThePage() {
        long page = region.gpa() + 3 * PAGE;
        dp.poison(page, PAGE);
        PoisonedAccess.Result r = run(GuestAbi.ACCESS_MC_READ, page, 8);

        assertThat(r.otherFaults()).isEmpty();
        assertThat(r.poisonedExits()).singleElement().satisfies(f -> {
            assertThat(f.gpa()).isEqualTo(page);
            assertThat(f.flags() & MemoryFaultFlags.NOT_PRESENT).isNotZero();
        });
        assertThat(r.machineCheckAddresses()).containsExactly(page);
        assertThat(r.values()).as("the read never completed").isEmpty();
        assertThat(r.completed()).isTrue();
        assertThat(fd.poll(0)).as("a poisoned page is never requested").isFalse();
    }

    @Test
    void kvmsEmulatorReadingAPoisonedPageFailsAtOnceAndTheGuestGetsTheMachineCheck() {
        long page = region.gpa() + 5 * PAGE;
        dp.poison(page, PAGE);
        // With the fd open, a merely non-present page would make this KVM_RUN wait.
        PoisonedAccess.Result r = run(GuestAbi.ACCESS_MC_OUTSB, page, 16);

        assertThat(r.otherFaults()).isEmpty();
        assertThat(r.poisonedExits()).singleElement()
                .satisfies(f -> assertThat(f.gpa()).isEqualTo(page));
        assertThat(r.machineCheckAddresses()).containsExactly(page);
        assertThat(r.completed()).isTrue();
        assertThat(fd.poll(0)).as("a poisoned page is never requested").isFalse();
    }

    @Test
    void installingAFreshPageAndMarkingItPresentUnpoisonsIt() {
        long page = region.gpa() + 7 * PAGE;
        dp.poison(page, PAGE);
        region.memory().putLong(page - region.gpa(), 0x5eed_f00dL);
        dp.markPresent(page, PAGE);
        PoisonedAccess.Result r = run(GuestAbi.ACCESS_MC_READ, page, 8);

        assertThat(r.poisonedExits()).isEmpty();
        assertThat(r.otherFaults()).isEmpty();
        assertThat(r.values()).containsExactly(0x5eed_f00dL);
        assertThat(r.completed()).isTrue();
    }

    @Test
    void markingAPoisonedPageMerelyNonPresentForgetsThePoison() {
        long page = region.gpa() + 9 * PAGE;
        dp.poison(page, PAGE);
        dp.markNonPresent(page, PAGE);
        PoisonedAccess.Result r = run(GuestAbi.ACCESS_MC_READ, page, 8);

        assertThat(r.poisonedExits()).isEmpty();
        assertThat(r.otherFaults()).singleElement().satisfies(f -> {
            assertThat(f.gpa()).isEqualTo(page);
            assertThat(f.flags() & MemoryFaultFlags.NOT_PRESENT).isNotZero();
        });
    }

    @Test
    void poisonIsRefusedWithNothingChangedOutsideTheDemandPagedMemory() {
        long outside = region.gpa() + region.size();
        assertThatThrownBy(() -> dp.poison(outside, PAGE)).isInstanceOf(KvmException.class)
                .hasMessageContaining("ENOENT");
        // KVM_DEMAND_PAGING_POISON (bit 0) is a flag of KVM_MARK_NON_PRESENT only.
        assertThat(dp.markPresentRaw(region.gpa(), PAGE, 1, 0)).isEqualTo(-EINVAL);
        assertThat(DemandPagingErrno.markNonPresent(dp, region.gpa(), PAGE, 1L << 1, 0))
                .isEqualTo(-EINVAL);
        region.memory().putLong(0, 42);
        PoisonedAccess.Result r = run(GuestAbi.ACCESS_MC_READ, region.gpa(), 8);
        assertThat(r.poisonedExits()).as("nothing was poisoned").isEmpty();
        assertThat(r.otherFaults()).as("nothing was marked non-present").isEmpty();
        assertThat(r.values()).containsExactly(42L);
    }

    @Test
    void kvmdpPoisonShowsBothMachineChecksAndTheUnpoisonedRead() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "poison");

        assertThat(code).as(out + "\n" + err).isEqualTo(ExitCodes.OK);
        assertThat(out.toString())
                .contains("guest read:", "KVM emulator read (outsb):")
                .contains("guest #MC handler: MC0_ADDR = 0x")
                .contains("guest read: 0x5eedf00d")
                .doesNotContain("a request (wrong)")
                .endsWith("poison: OK\n");
    }
}
