// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import com.google.common.base.Supplier;
import com.google.common.base.Suppliers;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/** Pages from an in-memory snapshot of the image (a heap array or a direct buffer). */
public final class MemoryPageSource implements PageSource {
    private final ByteBuffer image;
    // Computed once, on first use, over this source's own pages.
    private final Supplier<PageChecksums> checksums = Suppliers.memoize(() -> PageChecksums.compute(this));
    private volatile boolean closed;

    private MemoryPageSource(ByteBuffer image) {
        Pages.count(image.remaining());
        this.image = image.slice().asReadOnlyBuffer();
    }

    /** Snapshots {@code image} (copied: later changes to the array are not seen). */
    public static MemoryPageSource copyOf(byte[] image) {
        return new MemoryPageSource(ByteBuffer.wrap(image.clone()));
    }

    /** Serves the bytes between {@code image}'s position and limit; the caller keeps them still. */
    public static MemoryPageSource wrap(ByteBuffer image) {
        return new MemoryPageSource(image);
    }

    @Override
    public long imageBytes() {
        return image.capacity();
    }

    @Override
    public CompletableFuture<Void> fetch(PageRun run, Urgency urgency, ByteBuffer destination) {
        PageSource.checkFetch(this, run, destination);
        if (closed) {
            return CompletableFuture.failedFuture(new PageSourceException("memory page source closed"));
        }
        destination.put(destination.position(), image, (int) Pages.offset(run.first()), run.bytes());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public PageChecksums checksums() {
        return checksums.get();
    }

    @Override
    public void close() {
        closed = true;
    }
}
