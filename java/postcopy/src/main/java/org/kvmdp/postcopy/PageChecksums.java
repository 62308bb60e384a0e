// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/** CRC32C of each page of an image; a page is one int, so 1 GiB of image costs 1 MiB here. */
public final class PageChecksums {
    /** Pages read per fetch while computing: the same 256 KiB cap as a sweep batch. */
    private static final int CHUNK_PAGES = 64;

    private final int[] crcs;

    private PageChecksums(int[] crcs) {
        this.crcs = crcs;
    }

    public static PageChecksums of(int[] crcs) {
        return new PageChecksums(crcs.clone());
    }

    /** Reads the whole of {@code source} (local sources: synchronous) and checksums it. */
    public static PageChecksums compute(PageSource source) {
        long pages = source.pageCount();
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(pages + " pages is too many to checksum");
        }
        int[] crcs = new int[(int) pages];
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK_PAGES * Pages.SIZE);
        for (long first = 0; first < pages; first += CHUNK_PAGES) {
            PageRun run = new PageRun(first, (int) Math.min(CHUNK_PAGES, pages - first));
            source.fetch(run, Urgency.BACKGROUND, chunk.clear()).join();
            for (int i = 0; i < run.count(); i++) {
                crcs[(int) first + i] = of(chunk.slice(i * Pages.SIZE, Pages.SIZE));
            }
        }
        return new PageChecksums(crcs);
    }

    /** CRC32C of the bytes between {@code page}'s position and limit. */
    public static int of(ByteBuffer page) {
        CRC32C crc = new CRC32C();
        crc.update(page.duplicate());
        return (int) crc.getValue();
    }

    public int pageCount() {
        return crcs.length;
    }

    public int get(long page) {
        return crcs[Math.toIntExact(page)];
    }

    /** A copy of the checksums of {@code run}. */
    public int[] slice(PageRun run) {
        run.checkWithin(crcs.length);
        int[] out = new int[run.count()];
        System.arraycopy(crcs, (int) run.first(), out, 0, run.count());
        return out;
    }

    /** Pages whose checksum differs from {@code other}'s (same page count required). */
    public List<Long> mismatches(PageChecksums other) {
        if (other.crcs.length != crcs.length) {
            throw new IllegalArgumentException("checksums of " + crcs.length + " and "
                    + other.crcs.length + " pages cannot be compared");
        }
        List<Long> differ = new ArrayList<>();
        for (int i = 0; i < crcs.length; i++) {
            if (crcs[i] != other.crcs[i]) {
                differ.add((long) i);
            }
        }
        return differ;
    }
}
