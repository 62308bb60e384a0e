// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import java.util.concurrent.CountDownLatch;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.dp.DemandPagingEvents;
import org.kvmdp.dp.NotificationFd;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.memory.Backing;

/**
 * A VMM whose vCPU waits inside KVM_RUN for a page that never comes (child process of
 * {@link SigkillWhileWaitingTest}): prints "WAITING gpa" once KVM has posted the page, then
 * blocks until killed.
 */
public final class WaitingVmmMain {
    private WaitingVmmMain() {}

    public static void main(String[] args) throws InterruptedException {
        GuestVm guest = GuestVm.create(GuestProgram.KVM_ACCESS);
        MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, 2L << 20);
        DemandPaging dp = DemandPaging.of(guest.vm());
        dp.enable();
        NotificationFd fd = dp.openNotificationFd();
        long page = region.gpa() + 4096;
        dp.markNonPresent(page, 4096);
        Vcpu vcpu = guest.prepareVcpu(0, GuestAbi.ACCESS_OUTSB, page, 16);
        Thread t = new Thread(vcpu::run, "vcpu-0");
        t.start();
        try (DemandPagingEvents events = new DemandPagingEvents()) {
            if (fd.read(events, 60_000) != 1 || events.gpa(0) != page) {
                System.out.println("NO-EVENT");
                System.exit(3);
            }
        }
        System.out.println("WAITING 0x" + Long.toHexString(page));
        System.out.flush();
        new CountDownLatch(1).await(); // until SIGKILL
    }
}
