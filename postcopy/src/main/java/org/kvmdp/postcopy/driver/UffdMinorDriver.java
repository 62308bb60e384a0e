// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.uffd.RegisterMode;
import org.kvmdp.uffd.UffdFeatures;
import org.kvmdp.uffd.Userfaultfd;

/**
 * Drives a {@link PostcopyDestination} with userfaultfd MINOR, the baseline for shared
 * memory. The constructor (called before any vCPU runs, after the {@link UffdMinorInstaller}
 * has put every page of the memfd in the page cache) registers the region; a handler thread
 * reads fault events and calls {@link PostcopyDestination#awaitPage} for the faulting page
 * (all pages of the huge page on hugetlb, the unit UFFDIO_CONTINUE maps); the installer writes
 * the bytes through its alias mapping and its UFFDIO_CONTINUE wakes the faulting vCPU.
 *
 * <p>Open the {@link Userfaultfd} with {@link #featuresFor}. If the handler fails it closes
 * the userfaultfd, so the vCPUs' faults fail instead of hanging.
 */
public final class UffdMinorDriver implements UffdDriver {
    private final PostcopyDestination destination;
    private final UffdFaultLoop loop;

    /**
     * The userfaultfd features a MINOR driver needs for {@code region}'s backing; private
     * memory has none that would do, so it is refused here with the reason.
     */
    public static long featuresFor(MemoryRegion region) {
        var backing = region.memory().backing();
        if (!backing.isShared()) {
            throw new IllegalArgumentException("userfaultfd MINOR needs shared memory (shmem or"
                    + " hugetlb), not " + backing);
        }
        return backing.isHugetlb() ? UffdFeatures.MINOR_HUGETLBFS : UffdFeatures.MINOR_SHMEM;
    }

    public UffdMinorDriver(Userfaultfd uffd, MemoryRegion region, UffdMinorInstaller installer,
            PostcopyDestination destination) {
        this.destination = Objects.requireNonNull(destination, "destination");
        this.loop = new UffdFaultLoop(uffd, region, RegisterMode.MINOR, installer.pagesPerUnit(),
                installer.unitBytes(), destination, "kvmdp-uffd-minor-handler");
    }

    /** Page-fault events read so far. */
    @Override
    public long faultEvents() {
        return loop.faultEvents();
    }

    /** The handler thread's failure, if it failed. */
    @Override
    public Optional<Throwable> handlerFailure() {
        return loop.failure();
    }

    /**
     * Waits for the destination to have every page (and checks them), then stops the handler
     * and unregisters the region.
     */
    @Override
    public MigrationReport awaitCompletion(Duration timeout) {
        MigrationReport report = destination.awaitCompletion(timeout);
        close();
        return report;
    }

    /** Stops the handler thread and unregisters the region; idempotent. */
    @Override
    public void close() {
        loop.close();
    }
}
