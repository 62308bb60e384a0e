// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kvmdp.postcopy.LatencySummary;

/** bench's JSON, CSV and table writers give back every field of every row. */
class BenchOutputTest {
    static final BenchRow KVM = new BenchRow("kvm", "shmem", 2, 2L << 20, "read", "tcp", 1024,
            700, 324, 0, 690, 123456.789, List.of(61000.5, 62500.25),
            new LatencySummary(700, 41_500, 230_000, 1_200_000, 1_500_000), 4096, 0, 0, 0.0083,
            0.0121, new LatencySummary(690, 45_000, 240_000, 1_300_000, 1_600_000), "10g", 12.5);
    static final BenchRow NONE = new BenchRow("none", "shmem", 2, 2L << 20, "read", "tcp", 1024,
            0, 0, 1024, 0, 2_000_000.5, List.of(1_000_000.0, 1_100_000.0),
            new LatencySummary(0, 0, 0, 0, 0), 0, 3, 1, 0.0005, 0.004, new LatencySummary(0, 0, 0, 0, 0),
            "10g", 0);

    /** A second repetition of KVM: slower, one wrong page, a longer tail. */
    static final BenchRow KVM_SLOWER = new BenchRow("kvm", "shmem", 2, 2L << 20, "read", "tcp",
            1024, 700, 324, 0, 690, 100000.0, List.of(50000.0, 50000.0),
            new LatencySummary(700, 43_500, 250_000, 1_000_000, 2_500_000), 4096, 1, 0, 0.01, 0.015,
            new LatencySummary(690, 47_000, 260_000, 1_100_000, 2_600_000), "10g", 12.5);
    static final BenchMethod METHOD = new BenchMethod("full", 1, 2,
            List.of(List.of("kvm", "none"), List.of("none", "kvm")), "10g: 10 Gb/s, 30.0 us per request",
            "OpenJDK 64-Bit Server VM 17.0.9",
            List.of("-Xmx1g", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"),
            List.of("Copy", "MarkSweepCompact"), "HotSpot 64-Bit Tiered Compilers");
    static final BenchResult KVM_RESULT = new BenchResult(List.of(KVM, KVM_SLOWER), List.of(1, 2),
            METHOD);
    static final BenchResult NONE_RESULT = new BenchResult(List.of(NONE, NONE), List.of(2, 1),
            METHOD);

    /** A result of one run, for the tests that look at a single row's fields. */
    static BenchResult single(BenchRow row) {
        return new BenchResult(List.of(row), List.of(1), new BenchMethod("full", 0, 1,
                List.of(List.of(row.mechanism())), "none", "vm", List.of(), List.of("Copy"), "jit"));
    }

    @Test
    void jsonParsesAndHoldsEveryFieldOfEveryRow() {
        String json = BenchJson.write(List.of(KVM_RESULT, NONE_RESULT));
        Object parsed = JsonParser.parse(json);
        assertThat(parsed).isInstanceOf(Map.class);
        List<?> rows = (List<?>) ((Map<?, ?>) parsed).get("rows");
        assertThat(rows).hasSize(2);
        assertSameFields((Map<?, ?>) rows.get(0), KVM_RESULT);
        assertSameFields((Map<?, ?>) rows.get(1), NONE_RESULT);
    }

    @Test
    void aRowOfRepetitionsReportsTheMedianItsRangeAndTheMethod() {
        Map<String, Object> f = KVM_RESULT.fields();
        // Two runs: the median is their mean, the rest comes from the lower-median run.
        assertThat((Double) f.get("pages_per_second")).isCloseTo((123456.789 + 100000.0) / 2, within(1e-6));
        assertThat(f.get("pages_per_second_min")).isEqualTo(100000.0);
        assertThat(f.get("pages_per_second_max")).isEqualTo(123456.789);
        assertThat(f.get("pages_per_second_runs")).isEqualTo(List.of(123456.789, 100000.0));
        assertThat(f.get("vcpu_pages_per_second")).isEqualTo(List.of(50000.0, 50000.0));
        assertThat(f.get("guest_seconds")).isEqualTo(0.01);
        // Percentiles: median over the runs; max: the largest; counts and mismatches: summed.
        assertThat((Double) f.get("fault_to_install_p50_us")).isCloseTo(42.5, within(1e-9));
        assertThat((Double) f.get("fault_to_install_p99_us")).isCloseTo(240.0, within(1e-9));
        assertThat((Double) f.get("fault_to_install_p999_us")).isCloseTo(1100.0, within(1e-9));
        assertThat((Double) f.get("fault_to_install_max_us")).isCloseTo(2500.0, within(1e-9));
        assertThat(f.get("fault_to_install_count")).isEqualTo(1400L);
        assertThat(f.get("mismatches")).isEqualTo(1L);
        assertThat((Double) f.get("guest_stall_p50_us")).isCloseTo(46.0, within(1e-9));
        assertThat((Double) f.get("guest_stall_p99_us")).isCloseTo(250.0, within(1e-9));
        assertThat((Double) f.get("guest_stall_max_us")).isCloseTo(2600.0, within(1e-9));
        assertThat(f.get("guest_stall_count")).isEqualTo(1380L);
        assertThat(f.get("wire")).isEqualTo("10g");
        assertThat(KVM_RESULT.verified()).isFalse();
        assertThat(f).containsEntry("engine", "full").containsEntry("repeats", 2)
                .containsEntry("warmup_runs", 1).containsEntry("run_positions", List.of(1, 2))
                .containsEntry("run_order", "kvm none | none kvm")
                .containsEntry("jvm", "OpenJDK 64-Bit Server VM 17.0.9")
                .containsEntry("jvm_flags", List.of("-Xmx1g", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"))
                .containsEntry("gc", "Copy + MarkSweepCompact")
                .containsEntry("jit", "HotSpot 64-Bit Tiered Compilers");
        assertThat(List.copyOf(f.keySet())).isEqualTo(BenchResult.fieldNames());
    }

    @Test
    void aRowOfOneRunHasThatRunsValues() {
        Map<String, Object> f = single(KVM).fields();
        KVM.fields().forEach((name, value) -> assertThat(f.get(name)).as(name).isEqualTo(value));
    }

    @Test
    void jsonOfNoRowsIsAnEmptyList() {
        assertThat(JsonParser.parse(BenchJson.write(List.of()))).isEqualTo(Map.of("rows", List.of()));
    }

    @Test
    void jsonStringsKeepQuotesBackslashesAndControlCharacters() {
        String nasty = "a\"b\\c\nd\te\u0001f";
        BenchRow row = new BenchRow(nasty, "shmem", 1, 4096, "read", "memory", 1, 1, 0, 0, 1, 1,
                List.of(1.0), new LatencySummary(1, 1, 1, 1, 1), 4096, 0, 0, 1, 1,
                new LatencySummary(1, 1, 1, 1, 1), "none", 0);
        Map<?, ?> parsed = (Map<?, ?>) ((List<?>) ((Map<?, ?>) JsonParser.parse(
                BenchJson.write(List.of(single(row))))).get("rows")).get(0);
        assertThat(parsed.get("mechanism")).isEqualTo(nasty);
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonHasNoNaNOrInfinity() {
        BenchRow row = new BenchRow("kvm", "shmem", 1, 4096, "read", "memory", 1, 1, 0, 0, 1,
                Double.NaN, List.of(Double.POSITIVE_INFINITY), new LatencySummary(0, 0, 0, 0, 0),
                0, 0, 0, 0, 0, new LatencySummary(0, 0, 0, 0, 0), "none", 0);
        Map<?, ?> parsed = (Map<?, ?>) ((List<?>) ((Map<?, ?>) JsonParser.parse(
                BenchJson.write(List.of(single(row))))).get("rows")).get(0);
        assertThat(parsed.get("pages_per_second")).isNull();
        assertThat((List<Object>) parsed.get("vcpu_pages_per_second")).containsExactly((Object) null);
    }

    /** The parser the JSON tests rely on must itself refuse what is not JSON. */
    @ParameterizedTest
    @ValueSource(strings = {"{\"rows\": [1,]}", "{\"a\": 1,}", "{\"a\": NaN}", "{a: 1}",
        "{\"a\": 1} x", "{\"a\": 01}", "[\"tab\there\"]", "{\"a\": 1, \"a\": 2}", ""})
    void theTestParserRejectsInvalidJson(String notJson) {
        assertThatThrownBy(() -> JsonParser.parse(notJson))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void csvHasTheHeaderThenOneLineOfEveryFieldPerRow() {
        String[] lines = BenchCsv.write(List.of(KVM_RESULT, NONE_RESULT)).split("\n", -1);
        assertThat(lines).hasSize(4); // header, two rows, the empty string after the last \n
        assertThat(lines[3]).isEmpty();
        List<String> header = Arrays.asList(lines[0].split(","));
        assertThat(header).isEqualTo(BenchResult.fieldNames()).contains("mechanism",
                "pages_per_second", "vcpu_pages_per_second", "fault_to_install_p50_us",
                "fault_to_install_p99_us", "fault_to_install_p999_us", "bytes_per_fault",
                "demand_pages", "swept_pages", "mismatches", "wire", "wire_late_us", "guest_stall_p50_us",
                "guest_stall_p99_us", "guest_stall_max_us", "guest_stall_count", "engine", "pages_per_second_min",
                "pages_per_second_max", "pages_per_second_runs", "repeats", "warmup_runs",
                "run_positions", "run_order", "jvm_flags", "gc", "jit");
        for (int i = 0; i < 2; i++) {
            String[] cells = lines[i + 1].split(",", -1);
            assertThat(cells).hasSameSizeAs(header.toArray());
            BenchResult row = i == 0 ? KVM_RESULT : NONE_RESULT;
            int column = 0;
            for (Map.Entry<String, Object> f : row.fields().entrySet()) {
                String cell = cells[column++];
                if (f.getValue() instanceof List<?> list) {
                    String[] values = cell.split(BenchCsv.LIST_SEPARATOR);
                    assertThat(values).as(f.getKey()).hasSize(list.size());
                    for (int v = 0; v < values.length; v++) {
                        assertSameValue(f.getKey(), values[v], list.get(v));
                    }
                } else {
                    assertSameValue(f.getKey(), cell, f.getValue());
                }
            }
        }
    }

    @Test
    void csvQuotesCellsWithCommasOrQuotes() {
        BenchRow row = new BenchRow("a,\"b\"", "shmem", 1, 4096, "read", "memory", 1, 1, 0, 0, 1, 1,
                List.of(1.0), new LatencySummary(1, 1, 1, 1, 1), 4096, 0, 0, 1, 1,
                new LatencySummary(1, 1, 1, 1, 1), "none", 0);
        assertThat(BenchCsv.write(List.of(single(row))).split("\n")[1]).startsWith("\"a,\"\"b\"\"\",shmem,");
    }

    @Test
    void tableHasAHeaderALinePerMechanismTheKeyAndTheMethod() {
        String table = BenchTable.write(List.of(KVM_RESULT, NONE_RESULT), METHOD);
        String[] lines = table.split("\n");
        assertThat(lines).hasSize(8);
        assertThat(lines[0].split("\\s+")).contains("mechanism", "pages/s", "range(min-max)",
                "p50(us)", "p99(us)", "p99.9(us)", "max(us)", "stall", "bytes/fault", "demand",
                "swept", "mismatch");
        // Median 111728, range 100000-123457, per vCPU of the median (slower) run, latencies
        // the median over the two runs, mismatches summed.
        assertThat(lines[1].split("\\s+")).containsExactly("kvm", "shmem", "2", "1024", "700",
                "324", "0", "690", "111728", "100000-123457", "50000-50000", "42.5", "240.0",
                "1100.0", "2500.0", "46.0", "4096", "1");
        assertThat(lines[2].split("\\s+")).containsExactly("none", "shmem", "2", "1024", "0", "0",
                "1024", "0", "2000001", "2000001-2000001", "1000000-1100000", "0.0", "0.0", "0.0",
                "0.0", "0.0", "0", "6");
        assertThat(lines[3]).startsWith("# pages/s").contains("Checksums of every page verified");
        assertThat(lines[4]).startsWith("# method: engine full").contains("1 warm-up run(s)",
                "2 measured repetition(s)", "rotated order: kvm none | none kvm",
                "wire 10g: 10 Gb/s, 30.0 us per request, for every source and mechanism alike");
        assertThat(lines[5]).startsWith("# JVM: OpenJDK 64-Bit Server VM 17.0.9").contains(
                "-Xmx1g -XX:TieredStopAtLevel=1 -XX:+UseSerialGC", "Copy, MarkSweepCompact",
                "HotSpot 64-Bit Tiered Compilers");
        assertThat(lines[6]).startsWith("# pages/s: median of the repetitions");
        assertThat(lines[7]).startsWith("# wire waits sleep").endsWith("per wait: kvm 12.5 us; none 0.0 us");
    }

    @Test
    void aRowIsVerifiedOnlyWithoutMismatchesAndWithEveryPageInstalledOnce() {
        assertThat(KVM.verified()).isTrue();
        assertThat(NONE.verified()).isFalse();
        BenchRow installedTwice = new BenchRow("kvm", "shmem", 1, 4096, "read", "memory", 1, 1, 0,
                0, 1, 1, List.of(1.0), new LatencySummary(1, 1, 1, 1, 1), 4096, 0, 1, 1, 1,
                new LatencySummary(1, 1, 1, 1, 1), "none", 0);
        assertThat(installedTwice.verified()).isFalse();
    }

    private static void assertSameFields(Map<?, ?> parsed, BenchResult row) {
        assertThat(List.copyOf(parsed.keySet())).isEqualTo(List.copyOf(row.fields().keySet()));
        row.fields().forEach((name, value) -> {
            Object got = parsed.get(name);
            if (value instanceof List<?> list) {
                List<?> gotList = (List<?>) got;
                assertThat(gotList).as(name).hasSize(list.size());
                for (int i = 0; i < list.size(); i++) {
                    assertSameParsed(name, gotList.get(i), list.get(i));
                }
            } else {
                assertSameParsed(name, got, value);
            }
        });
    }

    private static void assertSameParsed(String name, Object got, Object value) {
        if (value instanceof String) {
            assertThat(got).as(name).isEqualTo(value);
        } else {
            assertSameValue(name, got instanceof BigDecimal b ? b.toPlainString() : got.toString(),
                    value);
        }
    }

    private static void assertSameValue(String name, String text, Object value) {
        if (value instanceof Double d) {
            assertThat(Double.parseDouble(text)).as(name).isCloseTo(d, within(0.001));
        } else if (value instanceof Integer || value instanceof Long) {
            assertThat(Long.parseLong(text)).as(name).isEqualTo(((Number) value).longValue());
        } else {
            assertThat(text).as(name).isEqualTo(value);
        }
    }
}
