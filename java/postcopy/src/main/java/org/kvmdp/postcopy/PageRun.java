// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

/** Consecutive pages {@code [first, first + count)}: the unit of one fetch and one publish. */
public record PageRun(long first, int count) {
    public PageRun {
        if (first < 0 || count <= 0) {
            throw new IllegalArgumentException("bad page run: first " + first + ", count " + count);
        }
    }

    public static PageRun of(long page) {
        return new PageRun(page, 1);
    }

    /** One past the last page. */
    public long end() {
        return first + count;
    }

    public int bytes() {
        return count * Pages.SIZE;
    }

    public boolean contains(long page) {
        return page >= first && page < end();
    }

    /** Throws if the run reaches past {@code pageCount}. */
    public PageRun checkWithin(long pageCount) {
        if (end() > pageCount) {
            throw new IndexOutOfBoundsException("pages " + this + " outside an image of "
                    + pageCount + " pages");
        }
        return this;
    }

    @Override
    public String toString() {
        return "[" + first + ", " + end() + ")";
    }
}
