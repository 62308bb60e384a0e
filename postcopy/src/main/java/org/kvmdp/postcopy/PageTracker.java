// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import com.google.common.collect.ImmutableRangeSet;
import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Which pages have been requested from the source and which have been received (installed and
 * published), under one lock, so a fault on a received page sends nothing and a second fault
 * on an in-flight page waits for the same arrival instead of fetching again. (QEMU keeps the
 * same pair: the receivedmap and the requested-pages tree in migrate_send_rp_req_pages.)
 *
 * <p>Ranges merge as they touch, so a finished migration is one range in each set. Received
 * is always a subset of requested.
 */
public final class PageTracker {
    /** What a fault on a page has to do. */
    public enum Outcome {
        /** Already installed: nothing to send, nothing to wait for. */
        RECEIVED,
        /** Already requested by someone else: wait for that arrival. */
        MERGED,
        /** First request: the caller fetches it. */
        FETCH,
        /** The migration failed; the arrival future carries why. */
        FAILED
    }

    /** The result of {@link #claim}: what to do and the future completed when the page lands. */
    public record Claim(long page, Outcome outcome, CompletableFuture<Void> arrival) {}

    private final long pageCount;
    private final Object lock = new Object();
    private final RangeSet<Long> requested = TreeRangeSet.create();
    private final RangeSet<Long> received = TreeRangeSet.create();
    /** Futures of pages someone waits for; made lazily so swept pages cost no object. */
    private final Map<Long, CompletableFuture<Void>> waiters = new HashMap<>();
    private final CompletableFuture<Void> allReceived = new CompletableFuture<>();
    private long receivedCount;
    private Throwable failure;

    public PageTracker(long pageCount) {
        if (pageCount <= 0) {
            throw new IllegalArgumentException("page count must be > 0, got " + pageCount);
        }
        this.pageCount = pageCount;
    }

    public long pageCount() {
        return pageCount;
    }

    /** Records a fault on {@code page}: see {@link Outcome}. */
    public Claim claim(long page) {
        checkPage(page);
        synchronized (lock) {
            if (failure != null) {
                return new Claim(page, Outcome.FAILED, CompletableFuture.failedFuture(failure));
            }
            if (received.contains(page)) {
                return new Claim(page, Outcome.RECEIVED, CompletableFuture.completedFuture(null));
            }
            CompletableFuture<Void> arrival = waiters.computeIfAbsent(page,
                    p -> new CompletableFuture<>());
            if (requested.contains(page)) {
                return new Claim(page, Outcome.MERGED, arrival);
            }
            requested.add(single(page));
            return new Claim(page, Outcome.FETCH, arrival);
        }
    }

    /**
     * For the sweep: the first run of never-requested pages at or after {@code from}, at most
     * {@code maxPages} long, now marked requested; empty when none are left past {@code from}.
     */
    public Optional<PageRun> claimNextUnrequested(long from, int maxPages) {
        if (maxPages <= 0) {
            throw new IllegalArgumentException("maxPages must be > 0, got " + maxPages);
        }
        synchronized (lock) {
            if (failure != null) {
                return Optional.empty();
            }
            long start = Math.max(0, from);
            Range<Long> covering = start < pageCount ? requested.rangeContaining(start) : null;
            if (covering != null) {
                start = covering.upperEndpoint();
            }
            if (start >= pageCount) {
                return Optional.empty();
            }
            long end = Math.min(pageCount, start + maxPages);
            // Stop short of the next page a fault already requested.
            Iterator<Range<Long>> taken =
                    requested.subRangeSet(Range.closedOpen(start, end)).asRanges().iterator();
            if (taken.hasNext()) {
                end = taken.next().lowerEndpoint();
            }
            PageRun run = new PageRun(start, (int) (end - start));
            requested.add(Range.closedOpen(run.first(), run.end()));
            return Optional.of(run);
        }
    }

    /**
     * Marks {@code run} received and wakes whoever waits on its pages. Every page must have
     * been requested. Returns how many were already received: 0 unless an install was
     * duplicated, which the engine treats as a bug.
     */
    public int markReceived(PageRun run) {
        run.checkWithin(pageCount);
        Range<Long> range = Range.closedOpen(run.first(), run.end());
        List<CompletableFuture<Void>> wake = new ArrayList<>();
        int duplicates;
        boolean complete;
        synchronized (lock) {
            if (!requested.encloses(range)) {
                throw new IllegalStateException("pages " + run + " received without being requested");
            }
            long already = 0;
            for (Range<Long> r : received.subRangeSet(range).asRanges()) {
                already += r.upperEndpoint() - r.lowerEndpoint();
            }
            duplicates = (int) already;
            received.add(range);
            receivedCount += run.count() - already;
            for (long page = run.first(); page < run.end(); page++) {
                CompletableFuture<Void> waiter = waiters.remove(page);
                if (waiter != null) {
                    wake.add(waiter);
                }
            }
            complete = receivedCount == pageCount;
        }
        // Completed outside the lock: waiters' callbacks may call back into the tracker.
        wake.forEach(w -> w.complete(null));
        if (complete) {
            allReceived.complete(null);
        }
        return duplicates;
    }

    /** Fails every waiter, present and future, with {@code cause}. First failure wins. */
    public void failAll(Throwable cause) {
        List<CompletableFuture<Void>> wake;
        synchronized (lock) {
            if (failure != null) {
                return;
            }
            failure = cause;
            wake = new ArrayList<>(waiters.values());
            waiters.clear();
        }
        wake.forEach(w -> w.completeExceptionally(cause));
        allReceived.completeExceptionally(cause);
    }

    public boolean isReceived(long page) {
        checkPage(page);
        synchronized (lock) {
            return received.contains(page);
        }
    }

    public boolean isRequested(long page) {
        checkPage(page);
        synchronized (lock) {
            return requested.contains(page);
        }
    }

    public long receivedCount() {
        synchronized (lock) {
            return receivedCount;
        }
    }

    /** Completes when every page is received; exceptionally after {@link #failAll}. */
    public CompletableFuture<Void> allReceived() {
        return allReceived;
    }

    /** A snapshot (not a view: the live set changes under the lock) of the received ranges. */
    public RangeSet<Long> receivedRanges() {
        synchronized (lock) {
            return ImmutableRangeSet.copyOf(received);
        }
    }

    /** A snapshot of the requested ranges. */
    public RangeSet<Long> requestedRanges() {
        synchronized (lock) {
            return ImmutableRangeSet.copyOf(requested);
        }
    }

    private void checkPage(long page) {
        if (page < 0 || page >= pageCount) {
            throw new IndexOutOfBoundsException("page " + page + " outside an image of "
                    + pageCount + " pages");
        }
    }

    private static Range<Long> single(long page) {
        return Range.closedOpen(page, page + 1);
    }
}
