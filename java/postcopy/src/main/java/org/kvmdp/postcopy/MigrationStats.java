// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * Live counters of a migration, read as a report or progress. Per-requester counts and
 * latencies live in each {@link Requester} (single writer); a report merges them by name.
 */
final class MigrationStats {
    private final long startNanos = System.nanoTime();
    private final List<Requester> requesters = new CopyOnWriteArrayList<>();
    /** The shared requesters of the String-named calls, one per name. */
    private final Map<String, Requester> byName = new ConcurrentHashMap<>();
    private final LongAdder pagesDemandFetched = new LongAdder();
    private final LongAdder pagesSwept = new LongAdder();
    private final LongAdder bytesTransferred = new LongAdder();
    private final LongAdder alreadyPresent = new LongAdder();

    /** A new single-writer requester for one thread. */
    Requester requester(String name) {
        Requester r = new Requester(name, false);
        requesters.add(r);
        return r;
    }

    /** The requester named {@code name} that any thread may use. */
    Requester shared(String name) {
        Requester r = byName.get(name);
        if (r == null) {
            r = byName.computeIfAbsent(name, n -> {
                Requester made = new Requester(n, true);
                requesters.add(made);
                return made;
            });
        }
        return r;
    }

    void fetched(int pages, Urgency urgency) {
        (urgency == Urgency.DEMAND ? pagesDemandFetched : pagesSwept).add(pages);
        bytesTransferred.add((long) pages * Pages.SIZE);
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

    synchronized MigrationReport report(long pageCount) {
        Map<String, RequesterReport> perRequester = new TreeMap<>();
        Histogram faultToInstall = new Histogram(3);
        for (Requester r : requesters) {
            RequesterReport counts = r.report();
            if (counts.faults() > 0) {
                perRequester.merge(r.name(), counts, MigrationStats::sum);
            }
            faultToInstall.add(r.latencies());
        }
        return new MigrationReport(pageCount, pagesDemandFetched.sum(), pagesSwept.sum(),
                bytesTransferred.sum(), alreadyPresent.sum(), perRequester,
                LatencySummary.of(faultToInstall), elapsed());
    }

    private static RequesterReport sum(RequesterReport a, RequesterReport b) {
        return new RequesterReport(a.faults() + b.faults(), a.alreadyReceived() + b.alreadyReceived(),
                a.merged() + b.merged(), a.blockedNanos() + b.blockedNanos());
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
