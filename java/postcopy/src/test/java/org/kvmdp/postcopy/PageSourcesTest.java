// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PageSourcesTest {
    private static final byte[] IMAGE = TestImages.random(100, 1);

    @TempDir
    Path dir;

    @Test
    void memorySourceFetchesIntoHeapAndDirectBuffersWithoutMovingThem() {
        try (PageSource source = MemoryPageSource.copyOf(IMAGE)) {
            assertFetches(source, ByteBuffer.allocate(5 * Pages.SIZE + 7).position(7));
            assertFetches(source, ByteBuffer.allocateDirect(5 * Pages.SIZE));
        }
    }

    @Test
    void fileSourceFetchesTheSameBytesAndChecksums() throws IOException {
        Path file = Files.write(dir.resolve("image"), IMAGE);
        try (PageSource fromFile = FilePageSource.open(file);
                PageSource fromMemory = MemoryPageSource.copyOf(IMAGE)) {
            assertThat(fromFile.pageCount()).isEqualTo(100);
            assertFetches(fromFile, ByteBuffer.allocateDirect(5 * Pages.SIZE));
            assertThat(fromFile.checksums().mismatches(fromMemory.checksums())).isEmpty();
        }
    }

    @Test
    void checksumsChangeWithOnePageByte() {
        byte[] changed = IMAGE.clone();
        changed[42 * Pages.SIZE + 9] ^= 1;
        try (PageSource a = MemoryPageSource.copyOf(IMAGE);
                PageSource b = MemoryPageSource.copyOf(changed)) {
            assertThat(a.checksums().mismatches(b.checksums())).containsExactly(42L);
        }
    }

    @Test
    void fetchOutsideTheImageOrIntoASmallBufferIsRejected() {
        try (PageSource source = MemoryPageSource.copyOf(IMAGE)) {
            assertThatThrownBy(() -> source.fetch(new PageRun(99, 2), Urgency.DEMAND,
                    ByteBuffer.allocate(2 * Pages.SIZE)))
                    .isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessageContaining("[99, 101) outside an image of 100 pages");
            assertThatThrownBy(() -> source.fetch(new PageRun(0, 2), Urgency.DEMAND,
                    ByteBuffer.allocate(Pages.SIZE)))
                    .hasMessageContaining("destination has 4096 bytes left");
        }
    }

    @Test
    void imagesThatAreNotWholePagesAreRejected() throws IOException {
        Path odd = Files.write(dir.resolve("odd"), new byte[Pages.SIZE + 1]);
        assertThatThrownBy(() -> FilePageSource.open(odd))
                .hasMessageContaining("4097 bytes, not a positive multiple of 4096");
        assertThatThrownBy(() -> FilePageSource.open(dir.resolve("missing")))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("missing");
        assertThatThrownBy(() -> MemoryPageSource.copyOf(new byte[10]))
                .hasMessageContaining("not a positive multiple");
    }

    @Test
    void closedFileSourceFailsTheFuture() throws IOException {
        Path file = Files.write(dir.resolve("image"), IMAGE);
        PageSource source = FilePageSource.open(file);
        source.close();
        assertThat(source.fetch(PageRun.of(0), Urgency.DEMAND, ByteBuffer.allocate(Pages.SIZE)))
                .failsWithin(java.time.Duration.ofSeconds(1))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(PageSourceException.class);
    }

    private static void assertFetches(PageSource source, ByteBuffer destination) {
        int position = destination.position();
        int limit = destination.limit();
        assertThat(source.fetch(new PageRun(10, 5), Urgency.BACKGROUND, destination)).isDone();
        assertThat(destination.position()).isEqualTo(position);
        assertThat(destination.limit()).isEqualTo(limit);
        byte[] got = new byte[5 * Pages.SIZE];
        destination.get(position, got);
        assertThat(Arrays.equals(got, 0, got.length, IMAGE, 10 * Pages.SIZE, 15 * Pages.SIZE))
                .as("pages [10, 15) as in the image").isTrue();
    }
}
