// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The wire model's arithmetic, with explicit request times (no clock involved). */
class WireTest {
    private static final Wire TEN_G = Wire.preset("10g").orElseThrow();

    @Test
    void presetsAreTheirBandwidthWithThirtyMicrosecondsPerRequest() {
        assertThat(TEN_G).isEqualTo(new Wire("10g", 30_000, 10_000_000_000L));
        assertThat(Wire.preset("25g").orElseThrow().bitsPerSecond()).isEqualTo(25_000_000_000L);
        assertThat(Wire.preset("100g").orElseThrow().bitsPerSecond()).isEqualTo(100_000_000_000L);
        assertThat(Wire.preset("none")).contains(Wire.NONE);
        assertThat(Wire.preset("40g")).isEmpty();
        assertThat(TEN_G.describe()).isEqualTo("10g: 10 Gb/s, 30.0 us per request");
        assertThat(TEN_G.withLatencyNanos(50_000).describe()).isEqualTo("10g: 10 Gb/s, 50.0 us per request");
        assertThat(Wire.NONE.describe()).isEqualTo("none");
    }

    @Test
    void aPageAndAHugePageCostWhatTheyCostOnTheWire() {
        assertThat(TEN_G.requestNanos(4096)).isEqualTo(30_000 + 3_277); // 32768 bits at 10 Gb/s
        assertThat(TEN_G.requestNanos(2L << 20)).isEqualTo(30_000 + 1_677_722);
        assertThat(Wire.preset("100g").orElseThrow().requestNanos(2L << 20)).isEqualTo(30_000 + 167_773);
        assertThat(Wire.NONE.requestNanos(2L << 20)).isZero();
    }

    @Test
    void transfersQueueOnTheLinkAndRoundTripsOverlap() {
        Wire.Link link = TEN_G.link();
        long t = 1_000_000_000L;
        long first = link.reserve(4096, t);
        long second = link.reserve(4096, t); // issued together: waits for the first's bytes only
        assertThat(first).isEqualTo(t + 3_277 + 30_000);
        assertThat(second).isEqualTo(t + 2 * 3_277 + 30_000);
        // Issued once the link is idle again: no queueing.
        long later = t + 10_000_000;
        assertThat(link.reserve(4096, later)).isEqualTo(later + 3_277 + 30_000);
    }

    @Test
    void aHugePageHoldsTheLinkForLaterRequests() {
        Wire.Link link = TEN_G.link();
        long t = 5_000;
        long huge = link.reserve(2L << 20, t);
        long small = link.reserve(4096, t + 1_000);
        assertThat(huge).isEqualTo(t + 1_677_722 + 30_000);
        assertThat(small).isEqualTo(t + 1_677_722 + 3_277 + 30_000);
    }

    @Test
    void noWireHasNoArrivalToWaitFor() {
        Wire.Link link = Wire.NONE.link();
        assertThat(link.reserve(1L << 30)).isEqualTo(Long.MIN_VALUE);
        link.await(link.reserve(4096)); // returns at once
        assertThat(link.waits()).isZero();
    }

    @Test
    void waitingEndsNoEarlierThanTheArrivalAndCountsHowLate() {
        Wire.Link link = TEN_G.link();
        long arrival = System.nanoTime() + 2_000_000;
        link.await(arrival);
        assertThat(System.nanoTime() - arrival).isGreaterThanOrEqualTo(0);
        assertThat(link.waits()).isEqualTo(1);
        assertThat(link.meanLateNanos()).isGreaterThanOrEqualTo(0);
        link.await(System.nanoTime() - 1); // already arrived: no sleep, not counted
        assertThat(link.waits()).isEqualTo(1);
        link.late(1000);
        link.late(3000);
        assertThat(link.waits()).isEqualTo(3);
    }

    @Test
    void onlyNoneIsFreeAndNothingIsNegative() {
        assertThatThrownBy(() -> new Wire("none", 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Wire("x", 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Wire("x", -1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aThreadThatSleepsForTheWireAsksForTheSmallestTimerSlack() throws Exception {
        long[] slack = new long[2];
        Thread t = new Thread(() -> {
            slack[0] = TimerSlack.currentNanos();
            TEN_G.link().await(System.nanoTime() + 1_000_000);
            slack[1] = TimerSlack.currentNanos();
        });
        t.start();
        t.join();
        org.junit.jupiter.api.Assumptions.assumeTrue(slack[0] > 0, "no readable timerslack_ns here");
        assertThat(slack[1]).isEqualTo(1);
        // Only that thread: this one keeps its own.
        assertThat(TimerSlack.currentNanos()).isEqualTo(slack[0]);
    }
}
