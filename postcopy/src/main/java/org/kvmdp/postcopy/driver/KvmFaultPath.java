// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.time.Duration;
import java.util.Optional;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.dp.PresentBitmap;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.kvm.Vm;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;

/** KVM demand paging: memory-fault exits and notification-fd events, KVM_MARK_PRESENT. */
final class KvmFaultPath implements FaultPath {
    private final DemandPaging dp;
    private final MemoryRegion region;
    private final KvmDemandPagingInstaller installer;
    private KvmDemandPagingDriver driver;

    KvmFaultPath(Vm vm, MemoryRegion region) {
        this.dp = DemandPaging.of(vm);
        if (!dp.isSupported()) {
            throw new IllegalStateException("this kernel has no KVM_CAP_DEMAND_PAGING: boot the"
                    + " patched kernel or pick a userfaultfd mechanism");
        }
        this.region = region;
        this.installer = new KvmDemandPagingInstaller(region, dp);
    }

    @Override
    public PageInstaller installer() {
        return installer;
    }

    @Override
    public void attach(PostcopyDestination destination) {
        driver = new KvmDemandPagingDriver(dp, region, destination);
    }

    /**
     * Pages the tracker has received whose KVM present bit is clear: the vCPUs would exit on
     * them forever, as nothing fetches a received page again.
     */
    @Override
    public Optional<String> diagnosis(PageTracker tracker) {
        try {
            PresentBitmap present = dp.presentBitmap(region.slot(), region.size());
            return ReceivedNotPresent.describe(tracker, Pages.count(region.size()),
                    present::isPresent, region.gpa());
        } catch (RuntimeException e) {
            return Optional.of("cannot compare with KVM's present bitmap: " + e.getMessage());
        }
    }

    @Override
    public TouchPages.MemoryFaultHandler faultHandler() {
        return driver.faultHandler();
    }

    @Override
    public MigrationReport awaitCompletion(Duration timeout) {
        return driver.awaitCompletion(timeout);
    }

    @Override
    public long faultEvents() {
        return driver == null ? 0 : driver.faultEvents();
    }

    @Override
    public long internalEvents() {
        return driver == null ? 0 : driver.notificationEvents();
    }

    @Override
    public long pagesNotInstalledExactlyOnce() {
        return installer.pagesNotInstalledExactlyOnce();
    }

    @Override
    public Optional<Throwable> failure() {
        return driver == null ? Optional.empty() : driver.readerFailure();
    }

    @Override
    public void close() {
        if (driver != null) {
            driver.close(); // closing the notification fd releases KVM-internal waiters
        }
    }
}
