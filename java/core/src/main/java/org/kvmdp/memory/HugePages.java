// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Reads hugetlbfs page pools from /sys/kernel/mm/hugepages. */
public final class HugePages {
    private static final Path ROOT = Path.of("/sys/kernel/mm/hugepages");

    private HugePages() {}

    /** Free pages of {@code pageSize} bytes, or -1 if the kernel has no such pool. */
    public static long free(long pageSize) {
        return read(pageSize, "free_hugepages");
    }

    /** Total reserved pages of {@code pageSize} bytes, or -1 if there is no such pool. */
    public static long total(long pageSize) {
        return read(pageSize, "nr_hugepages");
    }

    /** Why {@code size} bytes of {@code pageSize} pages cannot be had now, or empty. */
    static Optional<String> shortage(long pageSize, long size) {
        Path pool = pool(pageSize);
        long free = free(pageSize);
        if (free < 0) {
            return Optional.of("kernel has no " + describe(pageSize) + " hugetlb pool (" + pool
                    + " missing)");
        }
        long needed = Math.max(1, (size + pageSize - 1) / pageSize);
        if (free < needed) {
            return Optional.of("need " + needed + " free " + describe(pageSize) + " huge pages, "
                    + pool + "/free_hugepages is " + free + " (boot with hugepagesz="
                    + (pageSize >= 1L << 30 ? "1G" : "2M") + " hugepages=N)");
        }
        return Optional.empty();
    }

    private static long read(long pageSize, String file) {
        try {
            return Long.parseLong(Files.readString(pool(pageSize).resolve(file)).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static Path pool(long pageSize) {
        return ROOT.resolve("hugepages-" + (pageSize / 1024) + "kB");
    }

    private static String describe(long pageSize) {
        return pageSize >= 1L << 30 ? (pageSize >> 30) + " GiB" : (pageSize >> 20) + " MiB";
    }
}
