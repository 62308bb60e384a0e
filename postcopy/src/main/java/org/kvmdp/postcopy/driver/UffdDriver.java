// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.time.Duration;
import java.util.Optional;
import org.kvmdp.postcopy.MigrationReport;

/** What the userfaultfd drivers (MISSING and MINOR) offer once armed. */
public interface UffdDriver extends AutoCloseable {
    /** Page-fault events read so far. */
    long faultEvents();

    /** The handler thread's failure, if it failed. */
    Optional<Throwable> handlerFailure();

    /** Waits for every page (and checks them), then stops the handler and unregisters. */
    MigrationReport awaitCompletion(Duration timeout);

    /** Stops the handler thread and unregisters the region; idempotent. */
    @Override
    void close();
}
