// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.dp.NotificationFd;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.PoisonedAccess;
import org.kvmdp.kvm.Capability;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.memory.Backing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code kvmdp poison}: memory-poisoning emulation, shown end to end. A page of a small guest
 * is poisoned with KVM_MARK_NON_PRESENT(KVM_DEMAND_PAGING_POISON); the guest reads it, then
 * makes KVM's emulator read it (outsb); each time KVM_RUN exits with POISONED, the command
 * injects a machine check for the page and the guest's #MC handler reports MC0_ADDR. Then a
 * fresh page is installed and marked present, and the guest reads it normally.
 */
@Command(name = "poison", mixinStandardHelpOptions = true,
        description = "Memory-poisoning emulation: poison a guest page, show the guest's machine"
                + " check for a guest read and for a KVM-internal read, then unpoison it.")
final class PoisonCommand implements Callable<Integer> {
    private static final long PAGE = 4096;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long FRESH = 0x5eed_f00dL;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (GuestVm guest = GuestVm.create(GuestProgram.KVM_ACCESS)) {
            MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, 2L << 20);
            DemandPaging dp = DemandPaging.of(guest.vm());
            if (!dp.isSupported() || guest.kvm().checkExtension(Capability.MCE) <= 0) {
                err.println("kvmdp poison: needs KVM_CAP_DEMAND_PAGING and KVM_CAP_MCE");
                err.println(HostProbe.HINT);
                return ExitCodes.FAILED;
            }
            dp.enable();
            try (NotificationFd fd = dp.openNotificationFd()) {
                long page = region.gpa() + 3 * PAGE;
                // Every step runs and prints, whatever the one before found.
                boolean ok = consumed(out, guest, dp, fd, page, GuestAbi.ACCESS_MC_READ,
                        "guest read");
                ok &= consumed(out, guest, dp, fd, page, GuestAbi.ACCESS_MC_OUTSB,
                        "KVM emulator read (outsb)");
                ok &= unpoisoned(out, guest, dp, region, page);
                out.println(ok ? "poison: OK" : "poison: FAILED");
                return ok ? ExitCodes.OK : ExitCodes.FAILED;
            }
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** Poisons {@code page}, lets the guest consume it in {@code mode}; true if all went right. */
    private static boolean consumed(PrintWriter out, GuestVm guest, DemandPaging dp,
            NotificationFd fd, long page, int mode, String what) {
        dp.poison(page, PAGE);
        out.printf("poisoned gpa 0x%x; %s:%n", page, what);
        PoisonedAccess.Result r = PoisonedAccess.run(vcpu(guest, mode, page), TIMEOUT);
        r.poisonedExits().forEach(f -> out.printf(
                "  KVM_RUN: memory fault, gpa 0x%x, flags 0x%x (NOT_PRESENT|POISONED)"
                        + " -> injected a machine check for it%n", f.gpa(), f.flags()));
        r.machineCheckAddresses().forEach(a -> out.printf(
                "  guest #MC handler: MC0_ADDR = 0x%x%n", a));
        boolean requested = fd.poll(0);
        out.printf("  demand paging fd: %s%n", requested ? "a request (wrong)" : "no request");
        return r.poisonedExits().size() == 1 && r.poisonedExits().get(0).gpa() == page
                && r.machineCheckAddresses().equals(List.of(page)) && r.completed()
                && !requested;
    }

    private static boolean unpoisoned(PrintWriter out, GuestVm guest, DemandPaging dp,
            MemoryRegion region, long page) {
        region.memory().putLong(page - region.gpa(), FRESH);
        dp.markPresent(page, PAGE);
        PoisonedAccess.Result r = PoisonedAccess.run(vcpu(guest, GuestAbi.ACCESS_MC_READ, page),
                TIMEOUT);
        out.printf("fresh page installed and marked present; guest read: %s%n",
                r.values().isEmpty() ? "nothing" : String.format("0x%x", r.values().get(0)));
        return r.poisonedExits().isEmpty() && r.otherFaults().isEmpty()
                && r.values().equals(List.of(FRESH)) && r.completed();
    }

    /** vCPU 0, the program started over in {@code mode}; one machine-check bank. */
    private static Vcpu vcpu(GuestVm guest, int mode, long page) {
        boolean created = guest.vcpus().containsKey(0);
        Vcpu vcpu = guest.prepareVcpu(0, mode, page, 16);
        if (!created) {
            vcpu.setupMachineCheck(1);
        }
        return vcpu;
    }
}
