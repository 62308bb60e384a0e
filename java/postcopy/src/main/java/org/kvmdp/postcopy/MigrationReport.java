// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.time.Duration;
import java.util.Map;

/**
 * The totals of a finished migration.
 *
 * @param pagesDemandFetched pages fetched because a requester faulted on them
 * @param pagesSwept pages fetched by the background sweep
 * @param alreadyPresent pages the installer found present when publishing (benign race)
 * @param faultToInstall latency from a demand request to its page being installed, for
 *     requests that had to wait (fetched or merged)
 */
public record MigrationReport(long pageCount, long pagesDemandFetched, long pagesSwept,
        long bytesTransferred, long alreadyPresent, Map<String, RequesterReport> requesters,
        LatencySummary faultToInstall, Duration elapsed) {
    public MigrationReport {
        requesters = Map.copyOf(requesters);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        s.append(String.format("pages %d: demand-fetched %d, swept %d, already present %d%n",
                pageCount, pagesDemandFetched, pagesSwept, alreadyPresent));
        s.append(String.format("bytes transferred %d in %.3f s%n", bytesTransferred,
                elapsed.toNanos() / 1e9));
        s.append("fault-to-install ").append(faultToInstall).append(System.lineSeparator());
        requesters.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                s.append(String.format("  %s: %d faults, %d already received, %d merged, "
                        + "blocked %.3f ms%n", e.getKey(), e.getValue().faults(),
                        e.getValue().alreadyReceived(), e.getValue().merged(),
                        e.getValue().blockedNanos() / 1e6)));
        return s.toString();
    }
}
