// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.Range;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class PageTrackerTest {
    @Test
    void firstFaultFetchesSecondMergesAfterArrivalNothingIsSent() {
        PageTracker tracker = new PageTracker(10);
        PageTracker.Claim first = tracker.claim(3);
        PageTracker.Claim second = tracker.claim(3);
        assertThat(first.outcome()).isEqualTo(PageTracker.Outcome.FETCH);
        assertThat(second.outcome()).isEqualTo(PageTracker.Outcome.MERGED);
        assertThat(second.arrival()).isNotDone();

        assertThat(tracker.markReceived(PageRun.of(3))).isZero();

        assertThat(first.arrival()).isCompleted();
        assertThat(second.arrival()).isCompleted();
        PageTracker.Claim third = tracker.claim(3);
        assertThat(third.outcome()).isEqualTo(PageTracker.Outcome.RECEIVED);
        assertThat(third.arrival()).isCompleted();
    }

    @Test
    void sweepSkipsPagesAFaultRequestedAndEndsWithAShortRun() {
        PageTracker tracker = new PageTracker(10);
        tracker.claim(4);
        assertThat(tracker.claimNextUnrequested(0, 8)).contains(new PageRun(0, 4));
        assertThat(tracker.claimNextUnrequested(4, 8)).contains(new PageRun(5, 5));
        assertThat(tracker.claimNextUnrequested(10, 8)).isEmpty();
        assertThat(tracker.requestedRanges().asRanges()).containsExactly(Range.closedOpen(0L, 10L));
    }

    @Test
    void aFaultOnAPageTheSweepHasInFlightMergesWithIt() {
        PageTracker tracker = new PageTracker(64);
        PageRun run = tracker.claimNextUnrequested(0, 64).orElseThrow();
        PageTracker.Claim fault = tracker.claim(17);
        assertThat(fault.outcome()).isEqualTo(PageTracker.Outcome.MERGED);
        tracker.markReceived(run);
        assertThat(fault.arrival()).isCompleted();
        assertThat(tracker.allReceived()).isCompleted();
        assertThat(tracker.receivedRanges().asRanges()).containsExactly(Range.closedOpen(0L, 64L));
    }

    @Test
    void receivingUnrequestedOrTwiceIsReported() {
        PageTracker tracker = new PageTracker(10);
        assertThatThrownBy(() -> tracker.markReceived(PageRun.of(2)))
                .hasMessageContaining("[2, 3) received without being requested");
        tracker.claim(2);
        assertThat(tracker.markReceived(PageRun.of(2))).isZero();
        assertThat(tracker.markReceived(PageRun.of(2))).isEqualTo(1);
        assertThat(tracker.receivedCount()).isEqualTo(1);
    }

    @Test
    void failAllReleasesWaitersAndLaterFaults() {
        PageTracker tracker = new PageTracker(10);
        CompletableFuture<Void> waiting = tracker.claim(1).arrival();
        RuntimeException cause = new RuntimeException("server gone");
        tracker.failAll(cause);
        assertThat(waiting).isCompletedExceptionally();
        assertThat(tracker.allReceived()).isCompletedExceptionally();
        PageTracker.Claim later = tracker.claim(5);
        assertThat(later.outcome()).isEqualTo(PageTracker.Outcome.FAILED);
        assertThatThrownBy(() -> later.arrival().get()).hasCause(cause);
        assertThat(tracker.claimNextUnrequested(0, 4)).isEmpty();
    }

    @Test
    void pagesOutsideTheImageAreRejected() {
        PageTracker tracker = new PageTracker(10);
        assertThatThrownBy(() -> tracker.claim(10)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("page 10 outside an image of 10 pages");
    }

    @Test
    void racingFaultersGetExactlyOneFetchPerPage() throws Exception {
        int pages = 2000;
        int threads = 4;
        PageTracker tracker = new PageTracker(pages);
        AtomicIntegerArray fetches = new AtomicIntegerArray(pages);
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    go.await();
                    for (int p = 0; p < pages; p++) {
                        PageTracker.Claim c = tracker.claim(p);
                        if (c.outcome() == PageTracker.Outcome.FETCH) {
                            fetches.incrementAndGet(p);
                            tracker.markReceived(PageRun.of(p));
                        }
                        c.arrival().get(10, TimeUnit.SECONDS);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int p = 0; p < pages; p++) {
            assertThat(fetches.get(p)).as("fetches of page %d", p).isEqualTo(1);
        }
        assertThat(tracker.allReceived()).succeedsWithin(Duration.ofSeconds(1));
    }
}
