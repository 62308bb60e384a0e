// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.dp;

import java.util.Arrays;

/**
 * A copy of one memslot's present bitmap (KVM_GET_PRESENT_BITMAP): bit n of the 64-bit words,
 * least significant first, is page n of the slot. Equal when the same pages are present.
 */
public final class PresentBitmap {
    private final long pages;
    private final long[] words;

    PresentBitmap(long pages, long[] words) {
        this.pages = pages;
        this.words = words;
    }

    /** The number of 4 KiB pages of the slot. */
    public long pages() {
        return pages;
    }

    public boolean isPresent(long page) {
        if (page < 0 || page >= pages) {
            throw new IndexOutOfBoundsException("page " + page + " of a " + pages + "-page slot");
        }
        return (words[(int) (page >>> 6)] & (1L << (page & 63))) != 0;
    }

    public long presentCount() {
        long count = 0;
        for (long w : words) {
            count += Long.bitCount(w);
        }
        return count;
    }

    public long nonPresentCount() {
        return pages - presentCount();
    }

    /** The raw words (a copy). */
    public long[] words() {
        return words.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PresentBitmap other && pages == other.pages
                && Arrays.equals(words, other.words);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(pages) * 31 + Arrays.hashCode(words);
    }

    /** Page count and the non-present pages (up to 16 of them). */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("PresentBitmap[" + pages + " pages, "
                + nonPresentCount() + " non-present");
        int shown = 0;
        for (long p = 0; p < pages && shown < 16; p++) {
            if (!isPresent(p)) {
                sb.append(shown++ == 0 ? ": " : ",").append(p);
            }
        }
        return sb.append(shown < nonPresentCount() ? ",...]" : "]").toString();
    }
}
