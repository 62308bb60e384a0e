// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import org.HdrHistogram.AbstractHistogram;

/** Percentiles of a latency distribution in nanoseconds. */
public record LatencySummary(long count, long p50Nanos, long p99Nanos, long p999Nanos,
        long maxNanos) {
    public static LatencySummary of(AbstractHistogram h) {
        if (h.getTotalCount() == 0) {
            return new LatencySummary(0, 0, 0, 0, 0);
        }
        return new LatencySummary(h.getTotalCount(), h.getValueAtPercentile(50),
                h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue());
    }

    @Override
    public String toString() {
        return String.format("n=%d p50=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus", count,
                p50Nanos / 1e3, p99Nanos / 1e3, p999Nanos / 1e3, maxNanos / 1e3);
    }
}
