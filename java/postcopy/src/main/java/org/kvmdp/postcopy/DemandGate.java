// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.time.Duration;

/** Counts demand fetches in flight so the sweep can hold back while vCPUs are waiting. */
final class DemandGate {
    private int inFlight;

    synchronized void begin() {
        inFlight++;
    }

    synchronized void end() {
        if (--inFlight == 0) {
            notifyAll();
        }
    }

    synchronized int inFlight() {
        return inFlight;
    }

    /** Waits until no demand fetch is in flight, but at most {@code max}. */
    synchronized void awaitQuiet(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        long left;
        while (inFlight > 0 && (left = deadline - System.nanoTime()) > 0) {
            wait(left / 1_000_000, (int) (left % 1_000_000));
        }
    }
}
