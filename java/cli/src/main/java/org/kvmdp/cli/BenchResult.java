// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.kvmdp.postcopy.LatencySummary;

/**
 * One mechanism's measured repetitions and what bench reports of them: pages/s as the median
 * with its range, latencies and guest stalls as {@link BenchStats#acrossRepetitions}, counts and per-vCPU rates
 * of the median repetition, mismatches and bad installs summed over every repetition, and the
 * method. {@link #fields} is the one ordered list of names and values the JSON and CSV writers
 * print: the fields of a single run first (as before repetitions existed), then the new ones.
 *
 * @param runs the measured repetitions in the order they ran (all of the same mechanism)
 * @param positions where this mechanism ran in each repetition, 1 for first
 */
record BenchResult(List<BenchRow> runs, List<Integer> positions, BenchMethod method) {
    BenchResult {
        runs = List.copyOf(runs);
        positions = List.copyOf(positions);
        Objects.requireNonNull(method, "method");
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no runs");
        }
        if (positions.size() != runs.size()) {
            throw new IllegalArgumentException(runs.size() + " runs but " + positions.size()
                    + " positions");
        }
    }

    /** The repetition that stands for the median (the lower median's when the count is even). */
    BenchRow medianRun() {
        return runs.get(BenchStats.medianIndex(rates()));
    }

    List<Double> rates() {
        return runs.stream().map(BenchRow::pagesPerSecond).toList();
    }

    double pagesPerSecond() {
        return BenchStats.median(rates());
    }

    double minPagesPerSecond() {
        return BenchStats.min(rates());
    }

    double maxPagesPerSecond() {
        return BenchStats.max(rates());
    }

    LatencySummary faultToInstall() {
        return BenchStats.acrossRepetitions(runs.stream().map(BenchRow::faultToInstall).toList());
    }

    LatencySummary guestStall() {
        return BenchStats.acrossRepetitions(runs.stream().map(BenchRow::guestStall).toList());
    }

    long mismatches() {
        return runs.stream().mapToLong(BenchRow::mismatches).sum();
    }

    long notInstalledOnce() {
        return runs.stream().mapToLong(BenchRow::notInstalledOnce).sum();
    }

    /** Whether every repetition was correct. */
    boolean verified() {
        return runs.stream().allMatch(BenchRow::verified);
    }

    /** Names in output order, whatever the values. */
    static List<String> fieldNames() {
        BenchRow any = new BenchRow("", "", 1, 0, "", "", 0, 0, 0, 0, 0, 0, List.of(),
                new LatencySummary(0, 0, 0, 0, 0), 0, 0, 0, 0, 0, new LatencySummary(0, 0, 0, 0, 0),
                "", 0);
        BenchMethod method = new BenchMethod("", 0, 1, List.of(List.of("")), "", "", List.of(),
                List.of(), "");
        return List.copyOf(new BenchResult(List.of(any), List.of(1), method).fields().keySet());
    }

    /**
     * Names and values in output order. Values are String, Integer, Long, Double or a List of
     * them; latencies in microseconds, times in seconds.
     */
    Map<String, Object> fields() {
        BenchRow median = medianRun();
        LatencySummary latency = faultToInstall();
        Map<String, Object> f = new LinkedHashMap<>(median.fields());
        f.put("pages_per_second", pagesPerSecond());
        f.put("fault_to_install_count", latency.count());
        f.put("fault_to_install_p50_us", latency.p50Nanos() / 1e3);
        f.put("fault_to_install_p99_us", latency.p99Nanos() / 1e3);
        f.put("fault_to_install_p999_us", latency.p999Nanos() / 1e3);
        f.put("fault_to_install_max_us", latency.maxNanos() / 1e3);
        LatencySummary stall = guestStall();
        f.put("guest_stall_count", stall.count());
        f.put("guest_stall_p50_us", stall.p50Nanos() / 1e3);
        f.put("guest_stall_p99_us", stall.p99Nanos() / 1e3);
        f.put("guest_stall_max_us", stall.maxNanos() / 1e3);
        f.put("mismatches", mismatches());
        f.put("not_installed_once", notInstalledOnce());
        f.put("engine", method.engine());
        f.put("pages_per_second_min", minPagesPerSecond());
        f.put("pages_per_second_max", maxPagesPerSecond());
        f.put("pages_per_second_runs", rates());
        f.put("repeats", method.repeats());
        f.put("warmup_runs", method.warmup());
        f.put("run_positions", positions);
        f.put("run_order", method.runOrderText());
        f.put("jvm", method.jvm());
        f.put("jvm_flags", method.jvmFlags());
        f.put("gc", String.join(" + ", method.collectors()));
        f.put("jit", method.compiler());
        return f;
    }
}
