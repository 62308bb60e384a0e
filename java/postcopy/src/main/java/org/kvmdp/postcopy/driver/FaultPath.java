// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.time.Duration;
import java.util.Optional;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.postcopy.LatencySummary;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.PostcopyDestination;

/**
 * One demand-paging mechanism as the migrate destination uses it: an installer for the
 * engine, then {@link #attach} (before any vCPU runs) arms the fault path for the whole
 * region. Get one from {@link FaultPaths#open}; used by kvmdp bench ({@link PostcopyTouchRun})
 * and kvmdp migrate.
 */
public interface FaultPath extends AutoCloseable {
    PageInstaller installer();

    /** Arms the path: from now on a guest access to a missing page reaches {@code destination}. */
    void attach(PostcopyDestination destination);

    /** Serves memory-fault exits on the vCPU threads (only KVM demand paging has them). */
    TouchPages.MemoryFaultHandler faultHandler();

    /** Waits for every page, then disarms the path (disable / unregister). */
    MigrationReport awaitCompletion(Duration timeout);

    /** Faults served so far (exits, notification-fd or userfaultfd events). */
    long faultEvents();

    /**
     * Per fault event served by a handler thread (userfaultfd), the time from reading it to
     * waking the vCPU; valid after {@link #awaitCompletion}. Empty for KVM demand paging,
     * whose vCPU threads serve their own exits (timed where the exits are handled).
     */
    default LatencySummary handlerStalls() {
        return new LatencySummary(0, 0, 0, 0, 0);
    }

    /** Events that came from KVM-internal accesses (notification fd), where told apart. */
    long internalEvents();

    /** Pages the installer installed other than exactly once (0 in a correct run). */
    long pagesNotInstalledExactlyOnce();

    /** The path's own thread's failure, if it failed. */
    Optional<Throwable> failure();

    /**
     * After a failed run: where the mechanism's view of the pages disagrees with the engine's
     * (e.g. pages the tracker has received that KVM still holds non-present), for the error
     * report; empty if it agrees or cannot tell.
     */
    default Optional<String> diagnosis(PageTracker tracker) {
        return Optional.empty();
    }

    /** Releases everything blocked on a missing page: after a failure, so vCPUs can stop. */
    @Override
    void close();
}
