// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.time.Duration;

/**
 * Starts a destination's background sweep at once or after some demand fetches: a benchmark
 * or a test holds the sweep back so that the guest's first accesses find their pages missing
 * however the threads are scheduled.
 */
public final class SweepStarter {
    /** For {@link #startAfterDemand}: every page is demand-fetched, the sweep never runs. */
    public static final long NEVER = Long.MAX_VALUE;

    private SweepStarter() {}

    /**
     * Starts the sweep now if {@code afterDemand} is 0, else on a thread once that many pages
     * were demand-fetched, or every page arrived, or the migration failed, or {@code timeout}
     * passed (then the sweep fetches what is left).
     */
    public static void startAfterDemand(PostcopyDestination destination, long afterDemand,
            Duration timeout) {
        if (afterDemand == 0) {
            destination.start();
            return;
        }
        Thread starter = new Thread(() -> {
            long deadline = System.nanoTime() + timeout.toNanos();
            try {
                while (destination.report().pagesDemandFetched() < afterDemand
                        && destination.progress().fraction() < 1
                        && destination.failure().isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                destination.start();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IllegalStateException e) {
                // Already started or closed: nothing left to do.
            }
        }, "kvmdp-sweep-starter");
        starter.setDaemon(true);
        starter.start();
    }
}
