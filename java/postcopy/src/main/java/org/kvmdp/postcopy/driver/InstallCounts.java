// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The pages of an installer's region and how many times each was installed: the bounds every
 * installer checks, and a test's check that the engine installs each page once.
 */
final class InstallCounts {
    private final AtomicIntegerArray counts;

    InstallCounts(long pages) {
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many pages: " + pages);
        }
        counts = new AtomicIntegerArray((int) pages);
    }

    /** Pages in the region. */
    long pages() {
        return counts.length();
    }

    /** {@link IndexOutOfBoundsException} unless {@code page} is in the region. */
    void checkPage(long page) {
        if (page < 0 || page >= counts.length()) {
            throw new IndexOutOfBoundsException("page " + page + " outside " + counts.length()
                    + " pages");
        }
    }

    void installed(long page) {
        counts.incrementAndGet((int) page);
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
