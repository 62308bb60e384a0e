// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import com.google.common.base.Supplier;
import com.google.common.base.Suppliers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;

/** Pages from a saved memory image file, read with positional reads (thread-safe, no seek). */
public final class FilePageSource implements PageSource {
    private final Path path;
    private final FileChannel channel;
    private final long imageBytes;
    // Computed once, on first use, over this source's own pages.
    private final Supplier<PageChecksums> checksums = Suppliers.memoize(() -> PageChecksums.compute(this));

    private FilePageSource(Path path, FileChannel channel, long imageBytes) {
        this.path = path;
        this.channel = channel;
        this.imageBytes = imageBytes;
    }

    /** Opens {@code path}, whose size must be a positive multiple of 4 KiB. */
    public static FilePageSource open(Path path) {
        try {
            FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
            try {
                long size = channel.size();
                if (size <= 0 || size % Pages.SIZE != 0) {
                    throw new IllegalArgumentException("memory image " + path + " is " + size
                            + " bytes, not a positive multiple of " + Pages.SIZE);
                }
                return new FilePageSource(path, channel, size);
            } catch (RuntimeException e) {
                channel.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open memory image " + path, e);
        }
    }

    @Override
    public long imageBytes() {
        return imageBytes;
    }

    @Override
    public CompletableFuture<Void> fetch(PageRun run, Urgency urgency, ByteBuffer destination) {
        PageSource.checkFetch(this, run, destination);
        ByteBuffer target = destination.slice(destination.position(), run.bytes());
        long offset = Pages.offset(run.first());
        try {
            while (target.hasRemaining()) {
                int n = channel.read(target, offset + target.position());
                if (n < 0) {
                    // The file shrank under us: the image is no longer what we opened.
                    throw new PageSourceException("memory image " + path + " ended at byte "
                            + (offset + target.position()) + " while reading pages " + run);
                }
            }
            return CompletableFuture.completedFuture(null);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new PageSourceException(
                    "reading pages " + run + " from " + path + " failed: " + e, e));
        } catch (PageSourceException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public PageChecksums checksums() {
        return checksums.get();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing " + path, e);
        }
    }
}
