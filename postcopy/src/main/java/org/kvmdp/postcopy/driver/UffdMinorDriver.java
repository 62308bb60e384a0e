// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.util.Objects;
import org.kvmdp.guest.MemoryRegion;
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
public final class UffdMinorDriver extends UffdDriver {
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
        super(Objects.requireNonNull(destination, "destination"), new UffdFaultLoop(uffd,
                region, RegisterMode.MINOR, installer.pagesPerUnit(), installer.unitBytes(),
                destination, "kvmdp-uffd-minor-handler"));
    }
}
