// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.kvmdp.bench.Wire;
import org.kvmdp.postcopy.FilePageSource;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.WirePageSource;
import org.kvmdp.postcopy.tcp.PageServer;
import org.kvmdp.postcopy.tcp.TcpOptions;
import org.kvmdp.postcopy.tcp.TcpPageSource;

/**
 * The page source of one bench run, built around the image the guest expects, and whatever
 * it needs to live: the image file (a temporary one is deleted on close) or the page server
 * on 127.0.0.1 that a {@link TcpPageSource} in this same process talks to.
 */
final class BenchSource implements AutoCloseable {
    private final PageSource source;
    private final PageServer server;
    private final MemoryPageSource served;
    private final Path temporaryFile;

    private BenchSource(PageSource source, PageServer server, MemoryPageSource served,
            Path temporaryFile) {
        this.source = source;
        this.server = server;
        this.served = served;
        this.temporaryFile = temporaryFile;
    }

    /**
     * A source of {@code image} of kind {@code kind}. For FILE: {@code imageFile} if given
     * (written from {@code image} if it does not exist, used as it is if it does, so a later
     * run can read the same file), else a temporary file.
     */
    static BenchSource open(SourceKind kind, ByteBuffer image, Path imageFile) {
        return open(kind, image, imageFile, Wire.NONE);
    }

    /** As {@link #open(SourceKind, ByteBuffer, Path)}, every fetch crossing {@code wire}. */
    static BenchSource open(SourceKind kind, ByteBuffer image, Path imageFile, Wire wire) {
        BenchSource plain = openPlain(kind, image, imageFile);
        if (wire.isNone()) {
            return plain;
        }
        return new BenchSource(WirePageSource.over(plain.source, wire), plain.server, plain.served,
                plain.temporaryFile);
    }

    private static BenchSource openPlain(SourceKind kind, ByteBuffer image, Path imageFile) {
        switch (kind) {
            case MEMORY:
                return new BenchSource(MemoryPageSource.wrap(image), null, null, null);
            case FILE:
                return openFile(image, imageFile);
            case TCP:
                return openTcp(MemoryPageSource.wrap(image));
            default:
                throw new AssertionError(kind);
        }
    }

    private static BenchSource openFile(ByteBuffer image, Path imageFile) {
        try {
            Path temporary = imageFile == null ? Files.createTempFile("kvmdp-bench-", ".img") : null;
            Path path = imageFile == null ? temporary : imageFile;
            try {
                if (temporary != null || !Files.exists(path)) {
                    write(image, path);
                } else if (Files.size(path) != image.remaining()) {
                    throw new IllegalArgumentException("image " + path + " is " + Files.size(path)
                            + " bytes, this run needs " + image.remaining() + " (--vcpus x"
                            + " --memory): remove it to have bench write a new one");
                }
                return new BenchSource(FilePageSource.open(path), null, null, temporary);
            } catch (RuntimeException | IOException e) {
                if (temporary != null) {
                    Files.deleteIfExists(temporary);
                }
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the image file: " + e.getMessage(), e);
        }
    }

    private static void write(ByteBuffer image, Path path) throws IOException {
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = image.duplicate();
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
        }
    }

    private static BenchSource openTcp(MemoryPageSource served) {
        PageServer server = PageServer.start(served, new InetSocketAddress("127.0.0.1", 0));
        try {
            return new BenchSource(TcpPageSource.connect(server.address(), TcpOptions.defaults()),
                    server, served, null);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    PageSource source() {
        return source;
    }

    /** How late waits for the wire woke, in microseconds on average; 0 without a wire. */
    double wireLateMicros() {
        return source instanceof WirePageSource w ? w.link().meanLateNanos() / 1e3 : 0;
    }

    /** Closes the source, then the server, then deletes a temporary image file. */
    @Override
    public void close() {
        try {
            source.close();
        } finally {
            try {
                if (server != null) {
                    server.close();
                }
                if (served != null) {
                    served.close();
                }
            } finally {
                if (temporaryFile != null) {
                    try {
                        Files.deleteIfExists(temporaryFile);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot delete " + temporaryFile, e);
                    }
                }
            }
        }
    }
}
