// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.Arrays;
import java.util.List;
import org.kvmdp.postcopy.LatencySummary;

/**
 * The statistics bench reports: the median and range of a rate over repetitions, and latency
 * percentiles. Percentiles are nearest-rank (the smallest value with at least p% of the values
 * at or below it), as HdrHistogram's are up to its bucket precision, so the minimal handler's
 * exact latencies and the engine's histograms mean the same thing.
 */
final class BenchStats {
    private BenchStats() {}

    /** The median: the middle value, or the mean of the two middle ones. */
    static double median(List<Double> values) {
        double[] v = sorted(values);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /**
     * The index, in {@code values}, of the repetition that stands for the median: the one whose
     * value is the lower median (the middle one when the count is odd), the first if tied.
     */
    static int medianIndex(List<Double> values) {
        double[] v = sorted(values);
        double lowerMedian = v[(v.length - 1) / 2];
        return values.indexOf(lowerMedian);
    }

    static double min(List<Double> values) {
        return sorted(values)[0];
    }

    static double max(List<Double> values) {
        double[] v = sorted(values);
        return v[v.length - 1];
    }

    /** The nearest-rank percentile {@code p} (0 < p <= 100) of values sorted ascending. */
    static long percentile(long[] sortedValues, double p) {
        if (sortedValues.length == 0) {
            return 0;
        }
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], got " + p);
        }
        // The epsilon keeps binary rounding (99.9 / 100 * 1000 = 999.0000000000001) from
        // moving the rank up by one.
        int rank = (int) Math.ceil(p / 100 * sortedValues.length - 1e-9);
        return sortedValues[Math.max(rank, 1) - 1];
    }

    /** p50, p99, p99.9 and max of raw latencies in nanoseconds (the array is not changed). */
    static LatencySummary latency(long[] nanos) {
        if (nanos.length == 0) {
            return new LatencySummary(0, 0, 0, 0, 0);
        }
        long[] v = nanos.clone();
        Arrays.sort(v);
        return new LatencySummary(v.length, percentile(v, 50), percentile(v, 99),
                percentile(v, 99.9), v[v.length - 1]);
    }

    /**
     * The latency of several repetitions: each percentile the median of the repetitions'
     * (rounded down to whole nanoseconds), the max the largest of any, the count their sum.
     * Repetitions that measured nothing (count 0, e.g. none) are left out.
     */
    static LatencySummary acrossRepetitions(List<LatencySummary> runs) {
        List<LatencySummary> measured = runs.stream().filter(r -> r.count() > 0).toList();
        if (measured.isEmpty()) {
            return new LatencySummary(0, 0, 0, 0, 0);
        }
        return new LatencySummary(measured.stream().mapToLong(LatencySummary::count).sum(),
                (long) median(measured.stream().map(r -> (double) r.p50Nanos()).toList()),
                (long) median(measured.stream().map(r -> (double) r.p99Nanos()).toList()),
                (long) median(measured.stream().map(r -> (double) r.p999Nanos()).toList()),
                measured.stream().mapToLong(LatencySummary::maxNanos).max().orElse(0));
    }

    private static double[] sorted(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no values");
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v;
    }
}
