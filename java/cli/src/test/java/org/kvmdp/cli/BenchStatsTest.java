// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.kvmdp.postcopy.LatencySummary;

class BenchStatsTest {
    @Test
    void medianOfAnOddCountIsTheMiddleValueWhateverTheOrder() {
        assertThat(BenchStats.median(List.of(3.0, 1.0, 2.0))).isEqualTo(2.0);
        assertThat(BenchStats.median(List.of(5.0))).isEqualTo(5.0);
        assertThat(BenchStats.median(List.of(9.0, 1.0, 1.0, 7.0, 8.0))).isEqualTo(7.0);
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheTwoMiddleValues() {
        assertThat(BenchStats.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
        assertThat(BenchStats.median(List.of(10.0, 20.0))).isEqualTo(15.0);
    }

    @Test
    void theMedianRunIsTheLowerMedianAndTheFirstOfEqualOnes() {
        assertThat(BenchStats.medianIndex(List.of(30.0, 10.0, 20.0))).isEqualTo(2);
        assertThat(BenchStats.medianIndex(List.of(40.0, 10.0, 30.0, 20.0))).isEqualTo(3);
        assertThat(BenchStats.medianIndex(List.of(5.0, 5.0, 1.0))).isEqualTo(0);
    }

    @Test
    void minAndMaxAreTheRange() {
        assertThat(BenchStats.min(List.of(3.0, -1.0, 2.0))).isEqualTo(-1.0);
        assertThat(BenchStats.max(List.of(3.0, -1.0, 2.0))).isEqualTo(3.0);
    }

    @Test
    void noValuesHaveNoMedian() {
        assertThatThrownBy(() -> BenchStats.median(List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void percentilesAreNearestRank() {
        long[] v = new long[1000];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 1; // 1..1000
        }
        assertThat(BenchStats.percentile(v, 50)).isEqualTo(500);
        assertThat(BenchStats.percentile(v, 99)).isEqualTo(990);
        assertThat(BenchStats.percentile(v, 99.9)).isEqualTo(999);
        assertThat(BenchStats.percentile(v, 100)).isEqualTo(1000);
        assertThat(BenchStats.percentile(new long[] {7}, 50)).isEqualTo(7);
        assertThat(BenchStats.percentile(new long[] {1, 2}, 50)).isEqualTo(1);
        assertThat(BenchStats.percentile(new long[] {1, 2}, 50.1)).isEqualTo(2);
        assertThatThrownBy(() -> BenchStats.percentile(v, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BenchStats.percentile(v, 101)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void latencyOfRawValuesSortsACopyAndKeepsTheTail() {
        long[] nanos = new long[200];
        for (int i = 0; i < nanos.length; i++) {
            nanos[i] = (i * 7919L) % 200 + 1; // 1..200 in a scrambled order
        }
        nanos[17] = 1_000_000; // one outlier replaces a value
        long[] before = nanos.clone();
        LatencySummary s = BenchStats.latency(nanos);
        assertThat(nanos).isEqualTo(before);
        assertThat(s.count()).isEqualTo(200);
        assertThat(s.maxNanos()).isEqualTo(1_000_000);
        assertThat(s.p999Nanos()).isEqualTo(1_000_000);
        assertThat(s.p50Nanos()).isBetween(99L, 101L);
        assertThat(BenchStats.latency(new long[0])).isEqualTo(new LatencySummary(0, 0, 0, 0, 0));
    }

    @Test
    void latencyAcrossRepetitionsTakesMediansOfPercentilesTheLargestMaxAndSkipsEmptyRuns() {
        LatencySummary a = new LatencySummary(10, 100, 1000, 5000, 9000);
        LatencySummary b = new LatencySummary(20, 300, 2000, 4000, 6000);
        LatencySummary c = new LatencySummary(30, 200, 3000, 7000, 7000);
        LatencySummary empty = new LatencySummary(0, 0, 0, 0, 0);
        assertThat(BenchStats.acrossRepetitions(List.of(a, b, c, empty)))
                .isEqualTo(new LatencySummary(60, 200, 2000, 5000, 9000));
        assertThat(BenchStats.acrossRepetitions(List.of(a))).isEqualTo(a);
        assertThat(BenchStats.acrossRepetitions(List.of(empty, empty))).isEqualTo(empty);
    }
}
