// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.access;

import java.util.Objects;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.Mechanism;
import org.kvmdp.postcopy.Pages;

/**
 * How many engine pages become accessible together under a mechanism: the unit a
 * {@link VmmAccessGate} must wait for as a whole before the VMM may touch any byte of it.
 */
public final class ArrivalUnit {
    private ArrivalUnit() {}

    /**
     * 1 for KVM demand paging (KVM_MARK_PRESENT works per 4 KiB page, even on hugetlb) and for
     * no demand paging; the backing's page in 4 KiB pages for userfaultfd (UFFDIO_COPY and
     * UFFDIO_CONTINUE fill a whole huge page at once, so a received 4 KiB page of a huge page
     * whose other pages are still staged is not mapped yet).
     */
    public static int pagesPerUnit(Mechanism mechanism, Backing backing) {
        Objects.requireNonNull(mechanism, "mechanism");
        Objects.requireNonNull(backing, "backing");
        switch (mechanism) {
            case KVM:
            case NONE:
                return 1;
            case UFFD_MISSING:
            case UFFD_MINOR:
            case UFFD_SHARDED:
                return Math.toIntExact(backing.pageSize() / Pages.SIZE);
            default:
                throw new AssertionError(mechanism);
        }
    }
}
