// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import com.google.common.collect.ImmutableRangeSet;
import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which pages have been requested from the source and which have been received (installed and
 * published): two bitmaps, one bit per page, changed with atomic word operations and no lock,
 * so a fault on a received page sends nothing and a second fault on an in-flight page waits
 * for the same arrival instead of fetching again. (QEMU keeps the same pair: the receivedmap
 * and the requested pages of migrate_send_rp_req_pages.) Two bits per page is all the table
 * costs: 64 KiB per GiB of guest memory.
 *
 * <p>The fault path is {@link #tryClaim} (one read, at most one atomic OR) and, only for a page
 * someone else has in flight, {@link #awaitReceived}: waiters sleep on one of a few striped
 * monitors, and {@link #markReceived} touches a monitor only while someone waits. The
 * future-returning {@link #claim} is the slower form for asynchronous requesters and tests.
 * Received is always a subset of requested; neither bit is ever cleared.
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

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Monitors waiters sleep on, picked by page: a power of two. */
    private static final int STRIPES = 64;

    private final long pageCount;
    private final long[] requested;
    private final long[] received;
    private final AtomicLong receivedCount = new AtomicLong();
    /** Threads in {@link #awaitReceived} plus futures in {@link #futures}: 0 on the fast path. */
    private final AtomicInteger waiting = new AtomicInteger();
    private final Object[] stripes = new Object[STRIPES];
    /** Futures of {@link #claim} callers, made only for them. */
    private final Map<Long, CompletableFuture<Void>> futures = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> allReceived = new CompletableFuture<>();
    private volatile Throwable failure;

    public PageTracker(long pageCount) {
        if (pageCount <= 0) {
            throw new IllegalArgumentException("page count must be > 0, got " + pageCount);
        }
        long words = (pageCount + 63) >>> 6;
        if (words > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many pages: " + pageCount);
        }
        this.pageCount = pageCount;
        this.requested = new long[(int) words];
        this.received = new long[(int) words];
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    public long pageCount() {
        return pageCount;
    }

    /**
     * The fault path's claim of {@code page}, allocating nothing: RECEIVED (done), FETCH (this
     * caller now owns the fetch), MERGED (someone else's fetch is in flight: wait with
     * {@link #awaitReceived}) or FAILED ({@link #failure}).
     */
    public Outcome tryClaim(long page) {
        checkPage(page);
        if (failure != null) {
            return Outcome.FAILED;
        }
        int w = (int) (page >>> 6);
        long bit = 1L << page;
        if (((long) WORDS.getAcquire(received, w) & bit) != 0) {
            return Outcome.RECEIVED;
        }
        if (((long) WORDS.getVolatile(requested, w) & bit) != 0) {
            return Outcome.MERGED;
        }
        long before = (long) WORDS.getAndBitwiseOr(requested, w, bit);
        return (before & bit) == 0 ? Outcome.FETCH : Outcome.MERGED;
    }

    /**
     * Waits until {@code page} is received or the migration failed, at most
     * {@code timeoutNanos}; true if received. Only a requester of a page in flight gets here.
     */
    public boolean awaitReceived(long page, long timeoutNanos) throws InterruptedException {
        if (isReceived(page)) {
            return true;
        }
        Object stripe = stripes[(int) (page & (STRIPES - 1))];
        // Counted before the check under the monitor; markReceived sets the bit before it
        // reads the count, so either it sees us and notifies, or we see its bit.
        waiting.incrementAndGet();
        try {
            long deadline = System.nanoTime() + timeoutNanos;
            synchronized (stripe) {
                while (!isReceived(page) && failure == null) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(stripe, left);
                }
            }
            return isReceived(page);
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** Records a fault on {@code page} and returns a future for its arrival: see {@link Outcome}. */
    public Claim claim(long page) {
        Outcome outcome = tryClaim(page);
        switch (outcome) {
            case FAILED:
                return new Claim(page, outcome, CompletableFuture.failedFuture(failure));
            case RECEIVED:
                return new Claim(page, outcome, CompletableFuture.completedFuture(null));
            default:
                return new Claim(page, outcome, arrivalOf(page));
        }
    }

    private CompletableFuture<Void> arrivalOf(long page) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> arrival = futures.putIfAbsent(page, mine);
        if (arrival == null) {
            arrival = mine;
            waiting.incrementAndGet(); // then check again, as in awaitReceived
        }
        Throwable failed = failure;
        if (isReceived(page) || failed != null) {
            if (futures.remove(page, arrival)) {
                waiting.decrementAndGet();
            }
            if (failed != null && !isReceived(page)) {
                arrival.completeExceptionally(failed);
            } else {
                arrival.complete(null);
            }
        }
        return arrival;
    }

    /**
     * For the sweep: the first run of never-requested pages at or after {@code from}, at most
     * {@code maxPages} long, now marked requested; empty when none are left past {@code from}.
     */
    public Optional<PageRun> claimNextUnrequested(long from, int maxPages) {
        if (maxPages <= 0) {
            throw new IllegalArgumentException("maxPages must be > 0, got " + maxPages);
        }
        long start = Math.max(0, from);
        while (failure == null) {
            start = nextClear(requested, start);
            if (start >= pageCount) {
                return Optional.empty();
            }
            long end = claimRun(start, Math.min(pageCount, start + maxPages));
            if (end > start) {
                return Optional.of(new PageRun(start, (int) (end - start)));
            }
            // A fault took the page between the scan and the claim: look further.
        }
        return Optional.empty();
    }

    /**
     * For a prefetch: claims the never-requested pages from {@code from} (at most
     * {@code maxPages}, stopping at the first requested one or the end of the image) and
     * returns how many; allocates nothing.
     */
    public int claimFollowing(long from, int maxPages) {
        if (maxPages <= 0 || from >= pageCount || failure != null) {
            return 0;
        }
        checkPage(from);
        return (int) (claimRun(from, Math.min(pageCount, from + maxPages)) - from);
    }

    /** Sets the requested bits from {@code start} up to the first set one before {@code end}. */
    private long claimRun(long start, long end) {
        long page = start;
        while (page < end) {
            int w = (int) (page >>> 6);
            int from = (int) (page & 63);
            int to = (int) Math.min(64, end - ((long) w << 6));
            long word = (long) WORDS.getVolatile(requested, w);
            long taken = word & mask(from, to);
            int stop = taken == 0 ? to : Long.numberOfTrailingZeros(taken);
            if (stop > from
                    && !WORDS.compareAndSet(requested, w, word, word | mask(from, stop))) {
                continue; // the word changed: look at it again
            }
            page = ((long) w << 6) + stop;
            if (stop < to) {
                break;
            }
        }
        return page;
    }

    /**
     * Marks {@code run} received and wakes whoever waits on its pages. Every page must have
     * been requested. Returns how many were already received: 0 unless an install was
     * duplicated, which the engine treats as a bug.
     */
    public int markReceived(PageRun run) {
        return markReceived(run.first(), run.count());
    }

    /** {@link #markReceived(PageRun)} of {@code count} pages from {@code first}. */
    public int markReceived(long first, int count) {
        long end = first + count;
        if (first < 0 || count <= 0 || end > pageCount) {
            throw new IndexOutOfBoundsException("pages [" + first + ", " + end
                    + ") outside an image of " + pageCount + " pages");
        }
        for (long page = first; page < end; page = nextWord(page)) {
            long m = maskOf(page, end);
            if (((long) WORDS.getVolatile(requested, (int) (page >>> 6)) & m) != m) {
                throw new IllegalStateException("pages [" + first + ", " + end
                        + ") received without being requested");
            }
        }
        int duplicates = 0;
        for (long page = first; page < end; page = nextWord(page)) {
            long m = maskOf(page, end);
            long before = (long) WORDS.getAndBitwiseOr(received, (int) (page >>> 6), m);
            duplicates += Long.bitCount(before & m);
        }
        int added = count - duplicates;
        if (waiting.get() > 0) {
            wake(first, end);
        }
        if (added > 0 && receivedCount.addAndGet(added) == pageCount) {
            allReceived.complete(null);
        }
        return duplicates;
    }

    private void wake(long first, long end) {
        if (!futures.isEmpty()) {
            for (long page = first; page < end; page++) {
                CompletableFuture<Void> f = futures.remove(page);
                if (f != null) {
                    waiting.decrementAndGet();
                    f.complete(null);
                }
            }
        }
        long stripesHit = Math.min(STRIPES, end - first);
        for (long page = first; page < first + stripesHit; page++) {
            Object stripe = stripes[(int) (page & (STRIPES - 1))];
            synchronized (stripe) {
                stripe.notifyAll();
            }
        }
    }

    /** Fails every waiter, present and future, with {@code cause}. First failure wins. */
    public void failAll(Throwable cause) {
        synchronized (this) {
            if (failure != null) {
                return;
            }
            failure = cause;
        }
        for (Long page : futures.keySet()) {
            CompletableFuture<Void> f = futures.remove(page);
            if (f != null) {
                waiting.decrementAndGet();
                f.completeExceptionally(cause);
            }
        }
        for (Object stripe : stripes) {
            synchronized (stripe) {
                stripe.notifyAll();
            }
        }
        allReceived.completeExceptionally(cause);
    }

    /** The cause given to {@link #failAll}, or null. */
    public Throwable failure() {
        return failure;
    }

    public boolean isReceived(long page) {
        checkPage(page);
        return ((long) WORDS.getAcquire(received, (int) (page >>> 6)) & (1L << page)) != 0;
    }

    public boolean isRequested(long page) {
        checkPage(page);
        return ((long) WORDS.getVolatile(requested, (int) (page >>> 6)) & (1L << page)) != 0;
    }

    public long receivedCount() {
        return receivedCount.get();
    }

    /** Completes when every page is received; exceptionally after {@link #failAll}. */
    public CompletableFuture<Void> allReceived() {
        return allReceived;
    }

    /** A snapshot of the received pages as ranges (each word read atomically, not all at once). */
    public RangeSet<Long> receivedRanges() {
        return ranges(received);
    }

    /** A snapshot of the requested pages as ranges. */
    public RangeSet<Long> requestedRanges() {
        return ranges(requested);
    }

    /** Bytes of the two bitmaps: the table's own memory, without the fixed part. */
    public long bitmapBytes() {
        return 2L * Long.BYTES * requested.length;
    }

    private RangeSet<Long> ranges(long[] bits) {
        ImmutableRangeSet.Builder<Long> ranges = ImmutableRangeSet.builder();
        long page = nextSet(bits, 0);
        while (page < pageCount) {
            long end = nextClear(bits, page);
            ranges.add(Range.closedOpen(page, end));
            page = nextSet(bits, end);
        }
        return ranges.build();
    }

    /** The first page at or after {@code page} whose bit is clear, or pageCount. */
    private long nextClear(long[] bits, long page) {
        while (page < pageCount) {
            int w = (int) (page >>> 6);
            long clear = ~(long) WORDS.getVolatile(bits, w) & (-1L << page);
            if (clear != 0) {
                return Math.min(pageCount, ((long) w << 6) + Long.numberOfTrailingZeros(clear));
            }
            page = (long) (w + 1) << 6;
        }
        return pageCount;
    }

    /** The first page at or after {@code page} whose bit is set, or pageCount. */
    private long nextSet(long[] bits, long page) {
        while (page < pageCount) {
            int w = (int) (page >>> 6);
            long set = (long) WORDS.getVolatile(bits, w) & (-1L << page);
            if (set != 0) {
                return Math.min(pageCount, ((long) w << 6) + Long.numberOfTrailingZeros(set));
            }
            page = (long) (w + 1) << 6;
        }
        return pageCount;
    }

    private static long nextWord(long page) {
        return ((page >>> 6) + 1) << 6;
    }

    /** The bits of [page, end) within page's word. */
    private static long maskOf(long page, long end) {
        int from = (int) (page & 63);
        int to = (int) Math.min(64, end - ((page >>> 6) << 6));
        return mask(from, to);
    }

    /** Bits [from, to) of a word, 0 <= from <= to <= 64. */
    private static long mask(int from, int to) {
        if (from >= to) {
            return 0;
        }
        long high = to == 64 ? -1L : (1L << to) - 1;
        return high & (-1L << from);
    }

    private void checkPage(long page) {
        if (page < 0 || page >= pageCount) {
            throw new IndexOutOfBoundsException("page " + page + " outside an image of "
                    + pageCount + " pages");
        }
    }
}
