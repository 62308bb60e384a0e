// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.util.Objects;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.uffd.RegisterMode;
import org.kvmdp.uffd.UffdFeatures;
import org.kvmdp.uffd.Userfaultfd;

/**
 * Drives a {@link PostcopyDestination} with userfaultfd MISSING. The constructor (called
 * before any vCPU runs, with the region's memory never touched) registers the region; a
 * handler thread reads fault events and calls {@link PostcopyDestination#awaitPage} for the
 * faulting page (all pages of the huge page on hugetlb, the unit UFFDIO_COPY fills); the
 * {@link UffdInstaller}'s UFFDIO_COPY then wakes the faulting thread, a vCPU in KVM_RUN.
 *
 * <p>Only syscalls and KVM_RUN may fault on the registered memory, never Java code: a JVM
 * thread blocked on a userfault would hang every safepoint. Open the {@link Userfaultfd} with
 * {@link #featuresFor} and install with a {@link UffdInstaller} over the same region and fd.
 * If the handler fails it closes the userfaultfd, so the vCPUs' faults fail instead of hanging.
 */
public final class UffdMissingDriver extends UffdDriver {
    /** The userfaultfd features a MISSING driver needs for {@code region}'s backing. */
    public static long featuresFor(MemoryRegion region) {
        return region.memory().backing().isHugetlb() ? UffdFeatures.MISSING_HUGETLBFS : 0;
    }

    public UffdMissingDriver(Userfaultfd uffd, MemoryRegion region, UffdInstaller installer,
            PostcopyDestination destination) {
        this(uffd, region, 0, region.size(), installer, destination, "kvmdp-uffd-handler");
    }

    /** A driver for [offset, offset + length) of {@code region} only: one shard. */
    UffdMissingDriver(Userfaultfd uffd, MemoryRegion region, long offset, long length,
            UffdInstaller installer, PostcopyDestination destination, String threadName) {
        super(Objects.requireNonNull(destination, "destination"), new UffdFaultLoop(uffd,
                region, offset, length, RegisterMode.MISSING, installer.pagesPerUnit(),
                installer.unitBytes(), destination, threadName));
    }
}
