// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.util.concurrent.atomic.AtomicIntegerArray;

/** How many times each page was installed: a test's check that the engine installs once. */
final class InstallCounts {
    private final AtomicIntegerArray counts;

    InstallCounts(long pages) {
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many pages: " + pages);
        }
        counts = new AtomicIntegerArray((int) pages);
    }

    void installed(long page) {
        counts.incrementAndGet((int) page);
    }

    int of(long page) {
        return counts.get((int) page);
    }

    /** Pages installed a number of times other than once. */
    long notExactlyOnce() {
        long n = 0;
        for (int i = 0; i < counts.length(); i++) {
            if (counts.get(i) != 1) {
                n++;
            }
        }
        return n;
    }
}
