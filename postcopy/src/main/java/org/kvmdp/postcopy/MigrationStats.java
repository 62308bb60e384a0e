// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;

/** Live counters of a migration; updated from many threads, read as a report or progress. */
final class MigrationStats {
    private static final class Requester {
        final LongAdder faults = new LongAdder();
        final LongAdder alreadyReceived = new LongAdder();
        final LongAdder merged = new LongAdder();
        final LongAdder blockedNanos = new LongAdder();
    }

    private final long startNanos = System.nanoTime();
    private final Map<String, Requester> requesters = new ConcurrentHashMap<>();
    /** Nanoseconds, 3 significant digits, resizes itself for long stalls. */
    private final ConcurrentHistogram faultToInstall = new ConcurrentHistogram(3);
    private final LongAdder pagesDemandFetched = new LongAdder();
    private final LongAdder pagesSwept = new LongAdder();
    private final LongAdder bytesTransferred = new LongAdder();
    private final LongAdder alreadyPresent = new LongAdder();

    void fault(String requester, PageTracker.Outcome outcome) {
        Requester r = requesters.computeIfAbsent(requester, k -> new Requester());
        r.faults.increment();
        if (outcome == PageTracker.Outcome.RECEIVED) {
            r.alreadyReceived.increment();
        } else if (outcome == PageTracker.Outcome.MERGED) {
            r.merged.increment();
        }
    }

    void blocked(String requester, long nanos) {
        requesters.computeIfAbsent(requester, k -> new Requester()).blockedNanos.add(nanos);
    }

    void faultToInstall(long nanos) {
        faultToInstall.recordValue(Math.max(0, nanos));
    }

    void fetched(PageRun run, Urgency urgency) {
        (urgency == Urgency.DEMAND ? pagesDemandFetched : pagesSwept).add(run.count());
        bytesTransferred.add(run.bytes());
    }

    long pagesDemandFetched() {
        return pagesDemandFetched.sum();
    }

    void alreadyPresent(int pages) {
        alreadyPresent.add(pages);
    }

    MigrationProgress progress(long received, long pageCount) {
        return new MigrationProgress(received, pageCount, pagesDemandFetched.sum(),
                pagesSwept.sum(), bytesTransferred.sum(), elapsed());
    }

    MigrationReport report(long pageCount) {
        Map<String, RequesterReport> perRequester = new TreeMap<>();
        requesters.forEach((name, r) -> perRequester.put(name, new RequesterReport(
                r.faults.sum(), r.alreadyReceived.sum(), r.merged.sum(), r.blockedNanos.sum())));
        return new MigrationReport(pageCount, pagesDemandFetched.sum(), pagesSwept.sum(),
                bytesTransferred.sum(), alreadyPresent.sum(), perRequester,
                LatencySummary.of(faultToInstall.copy()), elapsed());
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
