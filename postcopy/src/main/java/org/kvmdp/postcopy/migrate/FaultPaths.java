// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.migrate;

import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.postcopy.Mechanism;

/** Picks the {@link FaultPath} for a mechanism. */
final class FaultPaths {
    private FaultPaths() {}

    static FaultPath open(Mechanism mechanism, GuestVm guest, MemoryRegion region) {
        switch (mechanism) {
            case KVM:
                return new KvmFaultPath(guest.vm(), region);
            case UFFD_MISSING:
                return UffdFaultPath.missing(region);
            case UFFD_MINOR:
                return UffdFaultPath.minor(region);
            default:
                throw new IllegalArgumentException("migrate needs a demand-paging mechanism, not "
                        + mechanism.label());
        }
    }
}
