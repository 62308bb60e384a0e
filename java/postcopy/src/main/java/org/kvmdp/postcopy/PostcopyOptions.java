// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of {@link PostcopyDestination}.
 *
 * @param sweepBatchPages pages per background request (cap: {@link #MAX_BATCH_PAGES}, 256 KiB)
 * @param sweepWindow background requests in flight at once; small so demand is not queued
 *     behind much sweep traffic
 * @param demandYield how long the sweep holds back a new batch while demand fetches are in
 *     flight (bounded, so a busy guest cannot starve the sweep)
 * @param pageTimeout how long a requester blocks on one page before giving up
 * @param progressInterval how often the progress listener is called; zero for never
 * @param checksumOnInstall check each page against the source's CRC32C before it is
 *     installed instead of reading everything back at the end: for a guest that writes its
 *     memory while it migrates (its pages legitimately differ from the source's by the end)
 * @param prefetchPages pages a demand fetch brings, the faulting page and the never-requested
 *     pages right after it (1..{@link #MAX_BATCH_PAGES}; 1: no prefetch), installed and
 *     published as one run (one KVM_MARK_PRESENT, UFFDIO_COPY or UFFDIO_CONTINUE)
 */
public record PostcopyOptions(int sweepBatchPages, int sweepWindow, Duration demandYield,
        Duration pageTimeout, Duration progressInterval, boolean checksumOnInstall,
        int prefetchPages) {
    public static final int MAX_BATCH_PAGES = 64;

    /** Options without prefetch. */
    public PostcopyOptions(int sweepBatchPages, int sweepWindow, Duration demandYield,
            Duration pageTimeout, Duration progressInterval, boolean checksumOnInstall) {
        this(sweepBatchPages, sweepWindow, demandYield, pageTimeout, progressInterval,
                checksumOnInstall, 1);
    }

    public PostcopyOptions {
        if (prefetchPages < 1 || prefetchPages > MAX_BATCH_PAGES) {
            throw new IllegalArgumentException("prefetchPages must be 1.." + MAX_BATCH_PAGES
                    + ", got " + prefetchPages);
        }
        if (sweepBatchPages < 1 || sweepBatchPages > MAX_BATCH_PAGES) {
            throw new IllegalArgumentException("sweepBatchPages must be 1.." + MAX_BATCH_PAGES
                    + ", got " + sweepBatchPages);
        }
        if (sweepWindow < 1) {
            throw new IllegalArgumentException("sweepWindow must be >= 1, got " + sweepWindow);
        }
        Objects.requireNonNull(demandYield, "demandYield");
        Objects.requireNonNull(pageTimeout, "pageTimeout");
        Objects.requireNonNull(progressInterval, "progressInterval");
        if (pageTimeout.isNegative() || pageTimeout.isZero()) {
            throw new IllegalArgumentException("pageTimeout must be > 0, got " + pageTimeout);
        }
    }

    public static PostcopyOptions defaults() {
        return new PostcopyOptions(MAX_BATCH_PAGES, 4, Duration.ofMillis(2), Duration.ofSeconds(30),
                Duration.ZERO, false);
    }

    public PostcopyOptions withSweepBatchPages(int pages) {
        return new PostcopyOptions(pages, sweepWindow, demandYield, pageTimeout, progressInterval, checksumOnInstall,
                prefetchPages);
    }

    public PostcopyOptions withSweepWindow(int window) {
        return new PostcopyOptions(sweepBatchPages, window, demandYield, pageTimeout, progressInterval, checksumOnInstall,
                prefetchPages);
    }

    public PostcopyOptions withPageTimeout(Duration timeout) {
        return new PostcopyOptions(sweepBatchPages, sweepWindow, demandYield, timeout, progressInterval, checksumOnInstall,
                prefetchPages);
    }

    public PostcopyOptions withProgressInterval(Duration interval) {
        return new PostcopyOptions(sweepBatchPages, sweepWindow, demandYield, pageTimeout, interval, checksumOnInstall,
                prefetchPages);
    }

    public PostcopyOptions withChecksumOnInstall(boolean onInstall) {
        return new PostcopyOptions(sweepBatchPages, sweepWindow, demandYield, pageTimeout,
                progressInterval, onInstall, prefetchPages);
    }

    public PostcopyOptions withPrefetchPages(int pages) {
        return new PostcopyOptions(sweepBatchPages, sweepWindow, demandYield, pageTimeout,
                progressInterval, checksumOnInstall, pages);
    }
}
