// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How guest memory is backed on the host. Each backing knows its page size, whether this
 * kernel offers it ({@link #unavailabilityReason}) and how to allocate it
 * ({@link GuestMemory#allocate}).
 */
public enum Backing {
    /** Private anonymous memory, 4 KiB pages. */
    ANONYMOUS(4096),
    /** Private anonymous memory, 2 MiB aligned, MADV_HUGEPAGE (transparent huge pages). */
    THP(2L << 20),
    /** A memfd (shmem) mapped shared, 4 KiB pages. */
    SHMEM(4096),
    /** A hugetlbfs memfd with 2 MiB pages (needs reserved pages: hugepages=N). */
    HUGETLB_2M(2L << 20),
    /** A hugetlbfs memfd with 1 GiB pages (needs hugepagesz=1G hugepages=N at boot). */
    HUGETLB_1G(1L << 30);

    private static final Path THP_ENABLED = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    private final long pageSize;

    Backing(long pageSize) {
        this.pageSize = pageSize;
    }

    /** The host page size this backing maps with; sizes must be multiples of it. */
    public long pageSize() {
        return pageSize;
    }

    /** Whether the backing uses hugetlbfs pages (reserved up front, counted in sysfs). */
    public boolean isHugetlb() {
        return this == HUGETLB_2M || this == HUGETLB_1G;
    }

    /** Whether the memory is file-backed (shareable, has an fd: MINOR faults possible). */
    public boolean isShared() {
        return this == SHMEM || isHugetlb();
    }

    /** Why this backing cannot be used on this kernel right now, or empty if it can. */
    public Optional<String> unavailabilityReason() {
        return unavailabilityReason(pageSize);
    }

    /** Why {@code size} bytes of this backing cannot be allocated now, or empty if they can. */
    public Optional<String> unavailabilityReason(long size) {
        switch (this) {
            case THP:
                return transparentHugePagesProblem();
            case HUGETLB_2M:
            case HUGETLB_1G:
                return HugePages.shortage(pageSize, size);
            default:
                return Optional.empty();
        }
    }

    public boolean isAvailable() {
        return unavailabilityReason().isEmpty();
    }

    private static Optional<String> transparentHugePagesProblem() {
        try {
            String mode = Files.readString(THP_ENABLED).trim();
            return mode.contains("[never]")
                    ? Optional.of("transparent huge pages are disabled (" + THP_ENABLED + ": "
                            + mode + ")")
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.of("kernel has no transparent huge pages (" + THP_ENABLED
                    + " unreadable: " + e + ")");
        }
    }
}
