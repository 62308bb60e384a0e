// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.Range;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The bitmap page-state table's fast path ({@link PageTracker#tryClaim},
 * {@link PageTracker#awaitReceived}) under real concurrency. No test measures time: waits are
 * bounded only so a lost wake-up fails the test instead of hanging it.
 */
class PageTrackerConcurrencyTest {
    private static final long LONG_WAIT = TimeUnit.SECONDS.toNanos(30);

    @Test
    void twoThreadsClaimingTheSamePageGetOneFetchAndOneMerge() throws Exception {
        int rounds = 2000;
        PageTracker tracker = new PageTracker(rounds);
        CyclicBarrier start = new CyclicBarrier(2);
        AtomicInteger fetches = new AtomicInteger();
        AtomicInteger merges = new AtomicInteger();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Runnable claimer = () -> {
            try {
                for (int p = 0; p < rounds; p++) {
                    start.await(10, TimeUnit.SECONDS); // both race for page p
                    PageTracker.Outcome o = tracker.tryClaim(p);
                    if (o == PageTracker.Outcome.FETCH) {
                        fetches.incrementAndGet();
                    } else if (o == PageTracker.Outcome.MERGED) {
                        merges.incrementAndGet();
                    } else {
                        throw new AssertionError("page " + p + ": " + o);
                    }
                }
            } catch (Throwable e) {
                failed.compareAndSet(null, e);
            }
        };
        Thread a = new Thread(claimer);
        Thread b = new Thread(claimer);
        a.start();
        b.start();
        a.join(60_000);
        b.join(60_000);
        assertThat(failed.get()).isNull();
        assertThat(fetches.get()).isEqualTo(rounds);
        assertThat(merges.get()).isEqualTo(rounds);
        assertThat(tracker.requestedRanges().asRanges())
                .containsExactly(Range.closedOpen(0L, (long) rounds));
        assertThat(tracker.receivedCount()).isZero();
    }

    @Test
    void aWaiterOnAnInFlightPageIsWokenByTheInstall() throws Exception {
        PageTracker tracker = new PageTracker(200);
        assertThat(tracker.tryClaim(42)).isEqualTo(PageTracker.Outcome.FETCH);
        assertThat(tracker.tryClaim(42)).isEqualTo(PageTracker.Outcome.MERGED);
        AtomicBoolean received = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                received.set(tracker.awaitReceived(42, LONG_WAIT));
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        waiter.start();
        awaitParked(waiter);
        // A neighbour on the same stripe (64 apart) landing must not release it.
        assertThat(tracker.tryClaim(42 + 64)).isEqualTo(PageTracker.Outcome.FETCH);
        tracker.markReceived(PageRun.of(42 + 64));
        assertThat(waiter.isAlive()).isTrue();

        assertThat(tracker.markReceived(PageRun.of(42))).isZero();
        waiter.join(TimeUnit.NANOSECONDS.toMillis(LONG_WAIT) / 2);
        assertThat(waiter.isAlive()).as("waiter woken by markReceived").isFalse();
        assertThat(failed.get()).isNull();
        assertThat(received.get()).isTrue();
        assertThat(tracker.tryClaim(42)).isEqualTo(PageTracker.Outcome.RECEIVED);
    }

    @Test
    void failAllWakesAWaiterWithoutThePage() throws Exception {
        PageTracker tracker = new PageTracker(10);
        tracker.tryClaim(3);
        AtomicReference<Boolean> received = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                received.set(tracker.awaitReceived(3, LONG_WAIT));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        awaitParked(waiter);
        RuntimeException cause = new RuntimeException("source gone");
        tracker.failAll(cause);
        waiter.join(TimeUnit.NANOSECONDS.toMillis(LONG_WAIT) / 2);
        assertThat(waiter.isAlive()).as("waiter woken by failAll").isFalse();
        assertThat(received.get()).isFalse();
        assertThat(tracker.failure()).isSameAs(cause);
        assertThat(tracker.tryClaim(4)).isEqualTo(PageTracker.Outcome.FAILED);
    }

    @Test
    void aWaitThatRunsOutSaysSo() throws Exception {
        PageTracker tracker = new PageTracker(10);
        tracker.tryClaim(1);
        assertThat(tracker.awaitReceived(1, 1)).isFalse();
        assertThat(tracker.awaitReceived(1, 0)).isFalse();
    }

    @Test
    void manyInstallersAndWaitersLoseNoWakeUp() throws Exception {
        int pages = 5000;
        PageTracker tracker = new PageTracker(pages);
        int threads = 4;
        AtomicReference<Throwable> failed = new AtomicReference<>();
        AtomicInteger fetches = new AtomicInteger();
        Thread[] all = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int offset = t * 7;
            all[t] = new Thread(() -> {
                try {
                    for (int i = 0; i < pages; i++) {
                        int p = (i + offset) % pages;
                        PageTracker.Outcome o = tracker.tryClaim(p);
                        if (o == PageTracker.Outcome.FETCH) {
                            fetches.incrementAndGet();
                            Thread.onSpinWait();
                            tracker.markReceived(p, 1);
                        } else if (o == PageTracker.Outcome.MERGED
                                && !tracker.awaitReceived(p, LONG_WAIT)) {
                            throw new AssertionError("page " + p + " never woke its waiter");
                        }
                        if (!tracker.isReceived(p)) {
                            throw new AssertionError("page " + p + " not received after " + o);
                        }
                    }
                } catch (Throwable e) {
                    failed.compareAndSet(null, e);
                }
            });
            all[t].start();
        }
        for (Thread t : all) {
            t.join(120_000);
        }
        assertThat(failed.get()).isNull();
        assertThat(fetches.get()).isEqualTo(pages);
        assertThat(tracker.receivedCount()).isEqualTo(pages);
        assertThat(tracker.allReceived()).isCompleted();
    }

    @Test
    void theSweepAndFaultsNeverClaimAPageTwice() throws Exception {
        int pages = 64 * 200 + 13;
        PageTracker tracker = new PageTracker(pages);
        int[] owners = new int[pages];
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread sweep = new Thread(() -> {
            long cursor = 0;
            while (true) {
                var run = tracker.claimNextUnrequested(cursor, 37);
                if (run.isEmpty()) {
                    return;
                }
                for (long p = run.get().first(); p < run.get().end(); p++) {
                    synchronized (owners) {
                        owners[(int) p]++;
                    }
                }
                cursor = run.get().end();
            }
        });
        Thread faults = new Thread(() -> {
            try {
                for (int p = pages - 1; p >= 0; p -= 3) {
                    if (tracker.tryClaim(p) == PageTracker.Outcome.FETCH) {
                        synchronized (owners) {
                            owners[p]++;
                        }
                    }
                }
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        sweep.start();
        faults.start();
        sweep.join(60_000);
        faults.join(60_000);
        assertThat(failed.get()).isNull();
        for (int p = 0; p < pages; p++) {
            assertThat(owners[p]).as("claims of page %d", p).isEqualTo(1);
        }
    }

    @Test
    void runsAcrossWordsAreMarkedAndCounted() {
        PageTracker tracker = new PageTracker(300);
        assertThat(tracker.claimNextUnrequested(60, 200)).contains(new PageRun(60, 200));
        assertThat(tracker.markReceived(new PageRun(60, 200))).isZero();
        assertThat(tracker.markReceived(new PageRun(250, 10))).isEqualTo(10);
        assertThat(tracker.receivedRanges().asRanges()).containsExactly(Range.closedOpen(60L, 260L));
        assertThat(tracker.isReceived(59)).isFalse();
        assertThat(tracker.isReceived(259)).isTrue();
        assertThat(tracker.isReceived(260)).isFalse();
        assertThat(tracker.receivedCount()).isEqualTo(200);
    }

    @Test
    void theTableCostsTwoBitsPerPage() {
        long pagesPerGiB = (1L << 30) / Pages.SIZE;
        assertThat(new PageTracker(pagesPerGiB).bitmapBytes()).isEqualTo(2 * pagesPerGiB / 8);
    }

    /**
     * Measured, not computed: the heap a 1 GiB migration's table takes, from creating it to
     * every page claimed by a fault (one at a time, the fault path's way) and received, is its
     * two bitmaps and a fixed part under 4 KiB: no per-page object, ever.
     */
    @Test
    void aWholeGiBMigratedAllocatesTheTwoBitmapsAndNothingPerPage() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)
                java.lang.management.ManagementFactory.getThreadMXBean();
        long pagesPerGiB = (1L << 30) / Pages.SIZE;
        migrateEveryPage(new PageTracker(128)); // load and link the classes first
        long tid = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(tid);
        PageTracker tracker = migrateEveryPage(new PageTracker(pagesPerGiB));
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertThat(tracker.receivedCount()).isEqualTo(pagesPerGiB);
        System.out.printf("page-state table for 1 GiB migrated: %d bytes allocated"
                + " (bitmaps %d)%n", allocated, tracker.bitmapBytes());
        assertThat(allocated).as("bytes allocated for 1 GiB (bitmaps %d)", tracker.bitmapBytes())
                .isBetween(tracker.bitmapBytes(), tracker.bitmapBytes() + 4096);
    }

    /** Claims (as a fault would) and receives every page in turn; checks allocate nothing. */
    private static PageTracker migrateEveryPage(PageTracker tracker) {
        for (long page = 0; page < tracker.pageCount(); page++) {
            if (tracker.tryClaim(page) != PageTracker.Outcome.FETCH
                    || tracker.markReceived(page, 1) != 0) {
                throw new AssertionError("page " + page + " was not fetched exactly once");
            }
        }
        return tracker;
    }

    /** Waits (without a time limit of its own) until {@code t} blocks in a wait. */
    private static void awaitParked(Thread t) throws InterruptedException {
        while (t.getState() != Thread.State.TIMED_WAITING && t.getState() != Thread.State.WAITING) {
            if (!t.isAlive()) {
                throw new AssertionError("waiter ended before it waited");
            }
            Thread.sleep(1);
        }
    }
}
