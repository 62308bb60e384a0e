// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.kvmdp.bench.Wire;
import org.kvmdp.nativeio.NativeMemory;

/**
 * A page source behind a wire gives the same bytes, never before they would have arrived
 * (lower bounds only: nothing here depends on how fast the machine is), and fails what is
 * pending when closed.
 */
class WirePageSourceTest {
    private static final int PAGES = 64;
    private static final byte[] IMAGE = TestImages.random(PAGES, 42);
    /** 20 ms per request: long enough that "not before" is a clear statement. */
    private static final Wire SLOW = Wire.preset("10g").orElseThrow().withLatencyNanos(20_000_000);

    @Test
    void noWireIsTheSourceItself() {
        MemoryPageSource memory = MemoryPageSource.copyOf(IMAGE);
        assertThat(WirePageSource.over(memory, Wire.NONE)).isSameAs(memory);
    }

    @Test
    void fetchedPagesAreTheSourcesAndArriveNoEarlierThanTheWireSays() {
        try (PageSource wire = WirePageSource.over(MemoryPageSource.copyOf(IMAGE), SLOW)) {
            ByteBuffer got = ByteBuffer.allocate(4 * Pages.SIZE);
            long issued = System.nanoTime();
            wire.fetch(new PageRun(3, 4), Urgency.DEMAND, got).join();
            assertThat(System.nanoTime() - issued).isGreaterThanOrEqualTo(SLOW.requestNanos(4L * Pages.SIZE));
            assertThat(got.array()).isEqualTo(Arrays.copyOfRange(IMAGE, 3 * Pages.SIZE, 7 * Pages.SIZE));
            assertThat(wire.checksums().mismatches(PageChecksums.compute(MemoryPageSource.copyOf(IMAGE))))
                    .isEmpty();
            assertThat(wire.imageBytes()).isEqualTo(IMAGE.length);
        }
    }

    @Test
    void manyRequestsInFlightAllArriveWithTheirBytes() {
        try (PageSource wire = WirePageSource.over(MemoryPageSource.copyOf(IMAGE), SLOW)) {
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            List<ByteBuffer> buffers = new ArrayList<>();
            for (int p = 0; p < 8; p++) {
                ByteBuffer b = ByteBuffer.allocate(Pages.SIZE);
                buffers.add(b);
                pending.add(wire.fetch(PageRun.of(p), Urgency.DEMAND, b));
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
            for (int p = 0; p < 8; p++) {
                assertThat(buffers.get(p).array())
                        .isEqualTo(Arrays.copyOfRange(IMAGE, p * Pages.SIZE, (p + 1) * Pages.SIZE));
            }
        }
    }

    @Test
    void theFastPathCopiesThenWaitsForTheArrivalOnTheCallingThread() {
        long address = NativeMemory.allocateZeroed(2L * Pages.SIZE);
        try (PageSource wire = WirePageSource.over(MemoryPageSource.copyOf(IMAGE), SLOW)) {
            long issued = System.nanoTime();
            assertThat(wire.copyToAddress(10, 2, address)).isTrue();
            assertThat(System.nanoTime() - issued).isGreaterThanOrEqualTo(SLOW.requestNanos(2L * Pages.SIZE));
            assertThat(NativeMemory.toArray(address, 2 * Pages.SIZE))
                    .isEqualTo(Arrays.copyOfRange(IMAGE, 10 * Pages.SIZE, 12 * Pages.SIZE));
        } finally {
            NativeMemory.free(address);
        }
    }

    @Test
    void closingFailsWhatIsStillOnTheWireAndClosesTheSource() {
        MemoryPageSource memory = MemoryPageSource.copyOf(IMAGE);
        PageSource wire = WirePageSource.over(memory, Wire.preset("10g").orElseThrow()
                .withLatencyNanos(60_000_000_000L));
        CompletableFuture<Void> pending = wire.fetch(PageRun.of(0), Urgency.DEMAND,
                ByteBuffer.allocate(Pages.SIZE));
        wire.close();
        assertThatThrownBy(pending::join).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(PageSourceException.class);
        assertThat(memory.fetch(PageRun.of(0), Urgency.DEMAND, ByteBuffer.allocate(Pages.SIZE)))
                .isCompletedExceptionally();
    }
}
