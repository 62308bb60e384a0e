// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.migrate;

import java.time.Duration;
import java.util.Optional;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.driver.UffdInstaller;
import org.kvmdp.postcopy.driver.UffdMissingDriver;
import org.kvmdp.uffd.Userfaultfd;

/** userfaultfd MISSING: fault events on a handler thread, UFFDIO_COPY. */
final class UffdMissingFaultPath implements FaultPath {
    private final MemoryRegion region;
    private final Userfaultfd uffd;
    private final UffdInstaller installer;
    private UffdMissingDriver driver;

    UffdMissingFaultPath(MemoryRegion region) {
        this.region = region;
        this.uffd = Userfaultfd.open(UffdMissingDriver.featuresFor(region));
        this.installer = new UffdInstaller(region, uffd);
    }

    @Override
    public PageInstaller installer() {
        return installer;
    }

    @Override
    public void attach(PostcopyDestination destination) {
        driver = new UffdMissingDriver(uffd, region, installer, destination);
    }

    @Override
    public TouchPages.MemoryFaultHandler faultHandler() {
        return (vcpu, fault) -> {
            throw new IllegalStateException("memory fault without KVM demand paging: " + fault);
        };
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
        return 0; // userfaultfd cannot tell KVM's own accesses from the guest's
    }

    @Override
    public Optional<Throwable> failure() {
        return driver == null ? Optional.empty() : driver.handlerFailure();
    }

    @Override
    public void close() {
        try {
            if (driver != null) {
                driver.close();
            }
            installer.close();
        } finally {
            uffd.close(); // wakes every faulting thread; they retry on plain memory
        }
    }
}
