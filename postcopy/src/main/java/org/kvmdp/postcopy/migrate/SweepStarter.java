// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.migrate;

import java.time.Duration;
import org.kvmdp.postcopy.PostcopyDestination;

/** Starts a destination's background sweep at once or after some demand fetches. */
final class SweepStarter {
    private SweepStarter() {}

    /**
     * Starts the sweep now if {@code afterDemand} is 0, else on a thread once that many pages
     * were demand-fetched (or the migration failed, or {@code timeout} passed).
     */
    static void startAfterDemand(PostcopyDestination destination, long afterDemand,
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
