// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.time.Duration;
import java.util.Optional;
import org.HdrHistogram.Histogram;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PostcopyDestination;

/**
 * What the userfaultfd drivers (MISSING and MINOR) share once armed: a handler thread
 * ({@link UffdFaultLoop}) turning fault events into {@link PostcopyDestination#awaitPage}.
 */
public abstract class UffdDriver implements AutoCloseable {
    private final PostcopyDestination destination;
    private final UffdFaultLoop loop;

    UffdDriver(PostcopyDestination destination, UffdFaultLoop loop) {
        this.destination = destination;
        this.loop = loop;
    }

    /** Page-fault events read so far. */
    public long faultEvents() {
        return loop.faultEvents();
    }

    /** The handler's time per fault event; only once closed (see UffdFaultLoop#stalls). */
    Histogram handlerStalls() {
        return loop.stalls();
    }

    /** The handler thread's failure, if it failed. */
    public Optional<Throwable> handlerFailure() {
        return loop.failure();
    }

    /**
     * Waits for the destination to have every page (and checks them), then stops the handler
     * and unregisters the region.
     */
    public MigrationReport awaitCompletion(Duration timeout) {
        MigrationReport report = destination.awaitCompletion(timeout);
        close();
        return report;
    }

    /** Stops the handler thread and unregisters the region; idempotent. */
    @Override
    public void close() {
        loop.close();
    }
}
