// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Pulls every page no fault has asked for, in ascending runs of at most {@code batchPages}
 * (the last one shorter: the final flush), with at most {@code window} runs in flight.
 * Demand requests preempt it three ways: they skip the pages the sweep has not reached (the
 * tracker hands those to the fault), a new batch waits briefly while demand fetches are in
 * flight, and remote sources put demand on their own channel ahead of sweep traffic.
 */
final class BackgroundSweep implements Runnable {
    /** How often a blocked sweep looks at {@link #stop}. */
    private static final long POLL_MILLIS = 50;

    private final PageTracker tracker;
    private final Function<PageRun, CompletableFuture<Void>> fetchAndInstall;
    private final PostcopyOptions options;
    private final DemandGate demand;
    private final Semaphore window;
    private volatile boolean stopped;
    private volatile long batches;

    BackgroundSweep(PageTracker tracker, Function<PageRun, CompletableFuture<Void>> fetchAndInstall,
            PostcopyOptions options, DemandGate demand) {
        this.tracker = tracker;
        this.fetchAndInstall = fetchAndInstall;
        this.options = options;
        this.demand = demand;
        this.window = new Semaphore(options.sweepWindow());
    }

    /** Sweeps to the end of the image, then waits for its last batches to land. */
    @Override
    public void run() {
        try {
            long cursor = 0;
            while (!stopped) {
                if (!window.tryAcquire(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                demand.awaitQuiet(options.demandYield());
                // Every page below the cursor is requested already: by us or by a fault.
                Optional<PageRun> next = tracker.claimNextUnrequested(cursor,
                        options.sweepBatchPages());
                if (next.isEmpty()) {
                    window.release();
                    break;
                }
                PageRun run = next.get();
                cursor = run.end();
                batches++;
                fetchAndInstall.apply(run).whenComplete((v, e) -> window.release());
            }
            drain();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Makes {@link #run} return soon, leaving batches in flight to land or fail. */
    void stop() {
        stopped = true;
    }

    long batches() {
        return batches;
    }

    private void drain() throws InterruptedException {
        int held = 0;
        while (held < options.sweepWindow() && !stopped) {
            if (window.tryAcquire(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                held++;
            }
        }
        window.release(held);
    }
}
