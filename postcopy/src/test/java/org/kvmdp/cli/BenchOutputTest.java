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
            0.0121);
    static final BenchRow NONE = new BenchRow("none", "shmem", 2, 2L << 20, "read", "tcp", 1024,
            0, 0, 1024, 0, 2_000_000.5, List.of(1_000_000.0, 1_100_000.0),
            new LatencySummary(0, 0, 0, 0, 0), 0, 3, 1, 0.0005, 0.004);

    @Test
    void jsonParsesAndHoldsEveryFieldOfEveryRow() {
        String json = BenchJson.write(List.of(KVM, NONE));
        Object parsed = JsonParser.parse(json);
        assertThat(parsed).isInstanceOf(Map.class);
        List<?> rows = (List<?>) ((Map<?, ?>) parsed).get("rows");
        assertThat(rows).hasSize(2);
        assertSameFields((Map<?, ?>) rows.get(0), KVM);
        assertSameFields((Map<?, ?>) rows.get(1), NONE);
    }

    @Test
    void jsonOfNoRowsIsAnEmptyList() {
        assertThat(JsonParser.parse(BenchJson.write(List.of()))).isEqualTo(Map.of("rows", List.of()));
    }

    @Test
    void jsonStringsKeepQuotesBackslashesAndControlCharacters() {
        String nasty = "a\"b\\c\nd\te\u0001f";
        BenchRow row = new BenchRow(nasty, "shmem", 1, 4096, "read", "memory", 1, 1, 0, 0, 1, 1,
                List.of(1.0), new LatencySummary(1, 1, 1, 1, 1), 4096, 0, 0, 1, 1);
        Map<?, ?> parsed = (Map<?, ?>) ((List<?>) ((Map<?, ?>) JsonParser.parse(
                BenchJson.write(List.of(row)))).get("rows")).get(0);
        assertThat(parsed.get("mechanism")).isEqualTo(nasty);
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonHasNoNaNOrInfinity() {
        BenchRow row = new BenchRow("kvm", "shmem", 1, 4096, "read", "memory", 1, 1, 0, 0, 1,
                Double.NaN, List.of(Double.POSITIVE_INFINITY), new LatencySummary(0, 0, 0, 0, 0),
                0, 0, 0, 0, 0);
        Map<?, ?> parsed = (Map<?, ?>) ((List<?>) ((Map<?, ?>) JsonParser.parse(
                BenchJson.write(List.of(row)))).get("rows")).get(0);
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
        String[] lines = BenchCsv.write(List.of(KVM, NONE)).split("\n", -1);
        assertThat(lines).hasSize(4); // header, two rows, the empty string after the last \n
        assertThat(lines[3]).isEmpty();
        List<String> header = Arrays.asList(lines[0].split(","));
        assertThat(header).isEqualTo(BenchRow.fieldNames()).contains("mechanism",
                "pages_per_second", "vcpu_pages_per_second", "fault_to_install_p50_us",
                "fault_to_install_p99_us", "fault_to_install_p999_us", "bytes_per_fault",
                "demand_pages", "swept_pages", "mismatches");
        for (int i = 0; i < 2; i++) {
            String[] cells = lines[i + 1].split(",", -1);
            assertThat(cells).hasSameSizeAs(header.toArray());
            BenchRow row = i == 0 ? KVM : NONE;
            int column = 0;
            for (Map.Entry<String, Object> f : row.fields().entrySet()) {
                String cell = cells[column++];
                if (f.getValue() instanceof List<?> list) {
                    String[] values = cell.split(BenchCsv.LIST_SEPARATOR);
                    assertThat(values).as(f.getKey()).hasSize(list.size());
                    for (int v = 0; v < values.length; v++) {
                        assertThat(Double.parseDouble(values[v])).as(f.getKey())
                                .isCloseTo((Double) list.get(v), within(0.001));
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
                List.of(1.0), new LatencySummary(1, 1, 1, 1, 1), 4096, 0, 0, 1, 1);
        assertThat(BenchCsv.write(List.of(row)).split("\n")[1]).startsWith("\"a,\"\"b\"\"\",shmem,");
    }

    @Test
    void tableHasAHeaderALinePerMechanismAndTheKey() {
        String table = BenchTable.write(List.of(KVM, NONE));
        String[] lines = table.split("\n");
        assertThat(lines).hasSize(4);
        assertThat(lines[0].split("\\s+")).contains("mechanism", "pages/s", "p50(us)", "p99(us)",
                "p99.9(us)", "bytes/fault", "demand", "swept", "mismatch");
        assertThat(lines[1].split("\\s+")).containsExactly("kvm", "shmem", "2", "1024", "700",
                "324", "0", "690", "123457", "61001-62500", "41.5", "230.0", "1200.0", "4096",
                "0");
        assertThat(lines[2].split("\\s+")).containsExactly("none", "shmem", "2", "1024", "0", "0",
                "1024", "0", "2000001", "1000000-1100000", "0.0", "0.0", "0.0", "0", "3");
        assertThat(lines[3]).startsWith("# pages/s").contains("Checksums of every page verified");
    }

    @Test
    void aRowIsVerifiedOnlyWithoutMismatchesAndWithEveryPageInstalledOnce() {
        assertThat(KVM.verified()).isTrue();
        assertThat(NONE.verified()).isFalse();
        BenchRow installedTwice = new BenchRow("kvm", "shmem", 1, 4096, "read", "memory", 1, 1, 0,
                0, 1, 1, List.of(1.0), new LatencySummary(1, 1, 1, 1, 1), 4096, 0, 1, 1, 1);
        assertThat(installedTwice.verified()).isFalse();
    }

    private static void assertSameFields(Map<?, ?> parsed, BenchRow row) {
        assertThat(List.copyOf(parsed.keySet())).isEqualTo(List.copyOf(row.fields().keySet()));
        row.fields().forEach((name, value) -> {
            Object got = parsed.get(name);
            if (value instanceof List<?> list) {
                List<?> gotList = (List<?>) got;
                assertThat(gotList).as(name).hasSize(list.size());
                for (int i = 0; i < list.size(); i++) {
                    assertThat(((BigDecimal) gotList.get(i)).doubleValue()).as(name)
                            .isCloseTo((Double) list.get(i), within(0.001));
                }
            } else if (value instanceof String) {
                assertThat(got).as(name).isEqualTo(value);
            } else {
                assertSameValue(name, ((BigDecimal) got).toPlainString(), value);
            }
        });
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
