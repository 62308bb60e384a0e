// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.kvmdp.bench.MinimalHandler;
import org.kvmdp.bench.Wire;
import org.kvmdp.postcopy.LatencySummary;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.driver.PostcopyTouchRun;

/**
 * One run of one mechanism in {@code kvmdp bench}: what ran and what it measured.
 * {@link #fields} is this run's part of the ordered names and values that the JSON and CSV
 * writers print ({@link BenchResult#fields} adds the repetitions and the method).
 *
 * @param pagesPerSecond pages the guest touched per second of its whole run (all vCPUs)
 * @param vcpuPagesPerSecond each vCPU's pages per second of its own run, in vCPU order
 * @param faultToInstall latency of demand requests that waited (zero count for none)
 * @param guestStall per fault event (a first touch that faulted), the time the vCPU could
 *     not run: see {@link PostcopyTouchRun.Result#guestStall} (zero count for none)
 * @param wire the wire model the pages crossed ({@link Wire#name}, "none" without one)
 * @param wireLateMicros how late, on average, a wait for the wire woke after the modelled
 *     arrival (the sleep's wake-up latency; 0 without a wire)
 */
record BenchRow(String mechanism, String backing, int vcpus, long memoryPerVcpu, String access,
        String source, long pages, long demandPages, long sweptPages, long prefilledPages,
        long faultEvents, double pagesPerSecond, List<Double> vcpuPagesPerSecond,
        LatencySummary faultToInstall, long bytesPerFault, long mismatches,
        long notInstalledOnce, double guestSeconds, double migrationSeconds,
        LatencySummary guestStall, String wire, double wireLateMicros) {
    BenchRow {
        Objects.requireNonNull(mechanism, "mechanism");
        Objects.requireNonNull(backing, "backing");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(source, "source");
        vcpuPagesPerSecond = List.copyOf(vcpuPagesPerSecond);
        Objects.requireNonNull(faultToInstall, "faultToInstall");
        Objects.requireNonNull(guestStall, "guestStall");
        Objects.requireNonNull(wire, "wire");
    }

    /** The row of a finished run; the settings come from the command line. */
    static BenchRow of(String mechanism, String backing, int vcpus, long memoryPerVcpu,
            String access, String source, String wire, double wireLateMicros,
            PostcopyTouchRun.Result r) {
        MigrationReport report = r.report();
        long guestNanos = Math.max(r.guest().elapsedNanos(), 1);
        return new BenchRow(mechanism, backing, vcpus, memoryPerVcpu, access, source,
                report.pageCount(), report.pagesDemandFetched(), report.pagesSwept(),
                r.prefilledPages(), r.faultEvents(), r.guest().touched() * 1e9 / guestNanos,
                r.pagesPerSecondPerVcpu(), report.faultToInstall(), r.bytesPerFault(),
                r.guest().mismatches(), r.notInstalledOnce(), guestNanos / 1e9,
                report.elapsed().toNanos() / 1e9, r.guestStall(), wire, wireLateMicros);
    }

    /**
     * The row of a run of the minimal handlers: every page demand-fetched (nothing swept or
     * prefilled), latencies exact from the handler's own record, the migration as long as the
     * guest's run (the handler has no other phase). The handlers' per-fault time is both the
     * fault-to-install latency and the guest stall: KVM, the vCPU serving its own exit;
     * userfaultfd, the handler from reading the event to waking the vCPU.
     */
    static BenchRow ofMinimal(String mechanism, String backing, int vcpus, long memoryPerVcpu,
            String access, String source, String wire, double wireLateMicros,
            MinimalHandler.Run r) {
        long guestNanos = Math.max(r.guest().elapsedNanos(), 1);
        List<Double> perVcpu = r.guest().vcpus().stream()
                .map(v -> v.touched() * 1e9 / Math.max(v.elapsedNanos(), 1)).toList();
        long pages = memoryPerVcpu * vcpus / Pages.SIZE;
        LatencySummary perFault = BenchStats.latency(r.latencyNanos());
        return new BenchRow(mechanism, backing, vcpus, memoryPerVcpu, access, source, pages,
                r.bytesFetched() / Pages.SIZE, 0, 0, r.faults(),
                r.guest().touched() * 1e9 / guestNanos, perVcpu, perFault,
                r.faults() == 0 ? 0 : r.bytesFetched() / r.faults(), r.guest().mismatches(),
                r.notInstalledOnce(), guestNanos / 1e9, guestNanos / 1e9, perFault, wire,
                wireLateMicros);
    }

    /** The names {@link #fields} has, in order, whatever the values. */
    static List<String> fieldNames() {
        BenchRow any = new BenchRow("", "", 1, 0, "", "", 0, 0, 0, 0, 0, 0, List.of(),
                new LatencySummary(0, 0, 0, 0, 0), 0, 0, 0, 0, 0, new LatencySummary(0, 0, 0, 0, 0),
                "", 0);
        return List.copyOf(any.fields().keySet());
    }

    double minVcpuPagesPerSecond() {
        return vcpuPagesPerSecond.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    }

    double maxVcpuPagesPerSecond() {
        return vcpuPagesPerSecond.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    /** Whether the run is correct: the guest read every page right, each installed once. */
    boolean verified() {
        return mismatches == 0 && notInstalledOnce == 0;
    }

    /**
     * Names and values in output order. Values are String, Integer, Long, Double or a List of
     * Double; latencies are in microseconds, times in seconds.
     */
    Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("mechanism", mechanism);
        f.put("backing", backing);
        f.put("vcpus", vcpus);
        f.put("memory_per_vcpu_bytes", memoryPerVcpu);
        f.put("access", access);
        f.put("source", source);
        f.put("wire", wire);
        f.put("wire_late_us", wireLateMicros);
        f.put("pages", pages);
        f.put("demand_pages", demandPages);
        f.put("swept_pages", sweptPages);
        f.put("prefilled_pages", prefilledPages);
        f.put("fault_events", faultEvents);
        f.put("pages_per_second", pagesPerSecond);
        f.put("vcpu_pages_per_second", vcpuPagesPerSecond);
        f.put("fault_to_install_count", faultToInstall.count());
        f.put("fault_to_install_p50_us", faultToInstall.p50Nanos() / 1e3);
        f.put("fault_to_install_p99_us", faultToInstall.p99Nanos() / 1e3);
        f.put("fault_to_install_p999_us", faultToInstall.p999Nanos() / 1e3);
        f.put("fault_to_install_max_us", faultToInstall.maxNanos() / 1e3);
        f.put("guest_stall_count", guestStall.count());
        f.put("guest_stall_p50_us", guestStall.p50Nanos() / 1e3);
        f.put("guest_stall_p99_us", guestStall.p99Nanos() / 1e3);
        f.put("guest_stall_max_us", guestStall.maxNanos() / 1e3);
        f.put("bytes_per_fault", bytesPerFault);
        f.put("mismatches", mismatches);
        f.put("not_installed_once", notInstalledOnce);
        f.put("guest_seconds", guestSeconds);
        f.put("migration_seconds", migrationSeconds);
        return f;
    }
}
