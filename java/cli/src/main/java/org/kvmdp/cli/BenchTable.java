// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.List;
import java.util.Locale;

/**
 * {@code kvmdp bench}'s human-readable output: one line per mechanism, then "#" lines with
 * what the columns mean and how they were measured ({@link BenchMethod#describe}).
 */
final class BenchTable {
    private static final String HEADER = "%-13s %-10s %5s %8s %8s %8s %8s %7s %12s %17s %23s %9s"
            + " %9s %10s %10s %15s %11s %8s%n";
    private static final String ROW = "%-13s %-10s %5d %8d %8d %8d %8d %7d %12.0f %17s %23s %9.1f"
            + " %9.1f %10.1f %10.1f %15.1f %11d %8d%n";

    private BenchTable() {}

    static String write(List<BenchResult> results, BenchMethod method) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, HEADER, "mechanism", "backing", "vCPUs", "pages",
                "demand", "swept", "prefill", "faults", "pages/s", "range(min-max)",
                "vCPU pages/s (min-max)", "p50(us)", "p99(us)", "p99.9(us)", "max(us)",
                "stall p50(us)", "bytes/fault", "mismatch"));
        for (BenchResult result : results) {
            BenchRow r = result.medianRun();
            s.append(String.format(Locale.ROOT, ROW, r.mechanism(), r.backing(), r.vcpus(),
                    r.pages(), r.demandPages(), r.sweptPages(), r.prefilledPages(),
                    r.faultEvents(), result.pagesPerSecond(), String.format(Locale.ROOT,
                            "%.0f-%.0f", result.minPagesPerSecond(), result.maxPagesPerSecond()),
                    String.format(Locale.ROOT, "%.0f-%.0f", r.minVcpuPagesPerSecond(),
                            r.maxVcpuPagesPerSecond()),
                    result.faultToInstall().p50Nanos() / 1e3,
                    result.faultToInstall().p99Nanos() / 1e3,
                    result.faultToInstall().p999Nanos() / 1e3,
                    result.faultToInstall().maxNanos() / 1e3,
                    result.guestStall().p50Nanos() / 1e3, r.bytesPerFault(),
                    result.mismatches()));
        }
        s.append("# pages/s: pages the guest touched per second of its run; vCPU pages/s: each"
                + " vCPU's own rate (median repetition); p50/p99/p99.9/max: fault-to-install"
                + " latency of demand requests that waited; stall p50: median time a vCPU could"
                + " not run per first touch that faulted; bytes/fault: demand-fetched bytes per"
                + " fault event (per first touch that faulted); prefill: pages copied before the guest ran (none); mismatch:"
                + " pages the guest read wrong in any repetition (--access read checks every"
                + " page). Checksums of every page verified against the source (engine full).\n");
        method.describe().forEach(line -> s.append(line).append('\n'));
        if (!method.wire().equals("none")) {
            s.append("# wire waits sleep (LockSupport.parkNanos, no spinning) and so end late by the"
                    + " wake-up latency; mean lateness per wait:");
            for (BenchResult result : results) {
                BenchRow r = result.medianRun();
                s.append(String.format(Locale.ROOT, " %s %.1f us;", r.mechanism(),
                        r.wireLateMicros()));
            }
            s.setLength(s.length() - 1);
            s.append('\n');
        }
        return s.toString();
    }
}
