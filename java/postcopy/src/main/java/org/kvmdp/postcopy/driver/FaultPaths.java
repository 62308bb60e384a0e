// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.postcopy.Mechanism;

/** Picks the {@link FaultPath} for a mechanism. */
public final class FaultPaths {
    private FaultPaths() {}

    /**
     * Opens the path for {@code mechanism} over {@code region}, whose memory no vCPU may have
     * touched yet; {@link IllegalStateException} if this kernel lacks what it needs.
     */
    public static FaultPath open(Mechanism mechanism, GuestVm guest, MemoryRegion region) {
        return open(mechanism, guest, region, 1);
    }

    /**
     * {@link #open(Mechanism, GuestVm, MemoryRegion)}, with {@code vcpus} the number of equal
     * slices the sharded userfaultfd mechanism splits the region into (one per vCPU).
     */
    public static FaultPath open(Mechanism mechanism, GuestVm guest, MemoryRegion region,
            int vcpus) {
        return open(mechanism, guest, region, vcpus, KvmOptions.DEFAULT);
    }

    /**
     * {@link #open(Mechanism, GuestVm, MemoryRegion, int)}, KVM demand paging run as
     * {@code kvm} says (to measure what pre-faulting or preallocation changes); {@code kvm}
     * means nothing to the other mechanisms.
     */
    public static FaultPath open(Mechanism mechanism, GuestVm guest, MemoryRegion region,
            int vcpus, KvmOptions kvm) {
        switch (mechanism) {
            case KVM:
                return new KvmDemandPagingPath(guest.vm(), region, kvm);
            case UFFD_MISSING:
                return UffdFaultPath.missing(region);
            case UFFD_MINOR:
                return UffdFaultPath.minor(region);
            case UFFD_SHARDED:
                return UffdFaultPath.sharded(region, vcpus);
            default:
                throw new IllegalArgumentException("migrate needs a demand-paging mechanism, not "
                        + mechanism.label());
        }
    }
}
