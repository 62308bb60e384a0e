// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.uffd.Userfaultfd;

/**
 * userfaultfd, MISSING (UFFDIO_COPY) or MINOR (UFFDIO_CONTINUE): fault events on a handler
 * thread. KVM's own accesses fault like the guest's, so nothing is told apart.
 */
final class UffdFaultPath implements FaultPath {
    private final Userfaultfd uffd;
    private final UffdPageInstaller installer;
    private final Function<PostcopyDestination, UffdDriver> arm;
    private UffdDriver driver;

    private UffdFaultPath(Userfaultfd uffd, UffdPageInstaller installer,
            Function<PostcopyDestination, UffdDriver> arm) {
        this.uffd = uffd;
        this.installer = installer;
        this.arm = arm;
    }

    static UffdFaultPath missing(MemoryRegion region) {
        Userfaultfd uffd = Userfaultfd.open(UffdMissingDriver.featuresFor(region));
        try {
            UffdInstaller installer = new UffdInstaller(region, uffd);
            return new UffdFaultPath(uffd, installer,
                    d -> new UffdMissingDriver(uffd, region, installer, d));
        } catch (RuntimeException e) {
            uffd.close();
            throw e;
        }
    }

    static UffdFaultPath minor(MemoryRegion region) {
        Userfaultfd uffd = Userfaultfd.open(UffdMinorDriver.featuresFor(region));
        try {
            UffdMinorInstaller installer = new UffdMinorInstaller(region, uffd);
            return new UffdFaultPath(uffd, installer,
                    d -> new UffdMinorDriver(uffd, region, installer, d));
        } catch (RuntimeException e) {
            uffd.close();
            throw e;
        }
    }

    @Override
    public PageInstaller installer() {
        return installer;
    }

    @Override
    public void attach(PostcopyDestination destination) {
        driver = arm.apply(destination);
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
    public long pagesNotInstalledExactlyOnce() {
        return installer.pagesNotInstalledExactlyOnce();
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
