// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.Urgency;

/** Each bench source serves the image it was given, and cleans up what it made. */
class BenchSourceTest {
    static final int PAGES = 16;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(SourceKind.class)
    void everyKindServesTheImage(SourceKind kind) {
        byte[] image = image(1);
        try (BenchSource bench = BenchSource.open(kind, ByteBuffer.wrap(image), null)) {
            assertThat(bench.source().pageCount()).isEqualTo(PAGES);
            assertThat(served(bench)).isEqualTo(image);
        }
    }

    @Test
    void aTemporaryImageFileIsDeletedOnClose() throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        List<Path> before = benchFiles(tmp);
        try (BenchSource bench = BenchSource.open(SourceKind.FILE, ByteBuffer.wrap(image(2)), null)) {
            assertThat(benchFiles(tmp)).hasSize(before.size() + 1);
        }
        assertThat(benchFiles(tmp)).isEqualTo(before);
    }

    @Test
    void aNamedImageFileThatDoesNotExistIsWrittenAndKept() throws IOException {
        Path file = dir.resolve("guest.img");
        byte[] image = image(3);
        try (BenchSource bench = BenchSource.open(SourceKind.FILE, ByteBuffer.wrap(image), file)) {
            assertThat(served(bench)).isEqualTo(image);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(image);
    }

    @Test
    void aNamedImageFileThatExistsIsServedAsItIs() throws IOException {
        Path file = dir.resolve("guest.img");
        byte[] onDisk = image(4);
        Files.write(file, onDisk);
        try (BenchSource bench = BenchSource.open(SourceKind.FILE, ByteBuffer.wrap(image(5)), file)) {
            assertThat(served(bench)).isEqualTo(onDisk);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(onDisk);
    }

    @Test
    void aNamedImageFileOfTheWrongSizeIsRefusedSayingWhatToDo() throws IOException {
        Path file = dir.resolve("small.img");
        Files.write(file, new byte[Pages.SIZE]);
        assertThatThrownBy(() -> BenchSource.open(SourceKind.FILE, ByteBuffer.wrap(image(6)), file))
                .hasMessageContaining("is 4096 bytes, this run needs " + PAGES * Pages.SIZE)
                .hasMessageContaining("remove it");
    }

    private static byte[] served(BenchSource bench) {
        ByteBuffer into = ByteBuffer.allocate(PAGES * Pages.SIZE);
        bench.source().fetch(new PageRun(0, PAGES), Urgency.DEMAND, into).join();
        return into.array();
    }

    private static byte[] image(long seed) {
        byte[] bytes = new byte[PAGES * Pages.SIZE];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static List<Path> benchFiles(Path tmp) throws IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            return files.filter(p -> p.getFileName().toString().startsWith("kvmdp-bench-"))
                    .sorted().collect(Collectors.toList());
        }
    }
}
