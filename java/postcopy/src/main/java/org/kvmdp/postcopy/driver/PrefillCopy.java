// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.postcopy.PageChecksums;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.Urgency;

/**
 * The no-demand-paging baseline's copy: every page of a source written into a region's
 * memory before the guest runs (nothing is registered or non-present, so the JVM may write
 * the mapping directly), counted per page like the installers count theirs.
 */
final class PrefillCopy {
    private static final int RUN_PAGES = 64;

    private final MemoryRegion region;
    private final InstallCounts installs;
    private final Duration elapsed;

    private PrefillCopy(MemoryRegion region, InstallCounts installs, Duration elapsed) {
        this.region = region;
        this.installs = installs;
        this.elapsed = elapsed;
    }

    /** Copies all of {@code source} (as many pages as {@code region} has) into {@code region}. */
    static PrefillCopy run(PageSource source, MemoryRegion region) {
        long pages = Pages.count(region.size());
        InstallCounts installs = new InstallCounts(pages);
        ByteBuffer chunk = ByteBuffer.allocate(RUN_PAGES * Pages.SIZE);
        long start = System.nanoTime();
        for (long first = 0; first < pages; first += RUN_PAGES) {
            PageRun run = new PageRun(first, (int) Math.min(RUN_PAGES, pages - first));
            source.fetch(run, Urgency.BACKGROUND, chunk.clear()).join();
            for (int i = 0; i < run.count(); i++) {
                long page = first + i;
                KvmDemandPagingInstaller.copyIn(chunk.slice(i * Pages.SIZE, Pages.SIZE),
                        region.memory().at(Pages.offset(page), Pages.SIZE));
                installs.installed(page);
            }
        }
        return new PrefillCopy(region, installs, Duration.ofNanos(System.nanoTime() - start));
    }

    Duration elapsed() {
        return elapsed;
    }

    long pagesNotInstalledExactlyOnce() {
        return installs.notExactlyOnce();
    }

    /** CRC32C of every page as the region holds it now. */
    PageChecksums checksumsOfRegion() {
        long pages = Pages.count(region.size());
        int[] crcs = new int[Math.toIntExact(pages)];
        for (long page = 0; page < pages; page++) {
            crcs[(int) page] = PageChecksums.of(ByteBuffer.wrap(
                    region.memory().read(Pages.offset(page), Pages.SIZE)));
        }
        return PageChecksums.of(crcs);
    }
}
