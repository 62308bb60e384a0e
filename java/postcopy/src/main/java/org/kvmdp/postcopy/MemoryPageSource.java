// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import com.google.common.base.Supplier;
import com.google.common.base.Suppliers;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.kvmdp.nativeio.NativeMemory;

/** Pages from an in-memory snapshot of the image (a heap array or a direct buffer). */
public final class MemoryPageSource implements PageSource {
    private final ByteBuffer image;
    /** The heap array behind {@link #image} for {@link #copyToAddress}, or null (direct buffer). */
    private final byte[] array;
    private final int arrayOffset;
    // Computed once, on first use, over this source's own pages.
    private final Supplier<PageChecksums> checksums = Suppliers.memoize(() -> PageChecksums.compute(this));
    private volatile boolean closed;

    private MemoryPageSource(ByteBuffer image) {
        Pages.count(image.remaining());
        if (image.hasArray()) {
            this.array = image.array();
            this.arrayOffset = image.arrayOffset() + image.position();
        } else {
            this.array = null;
            this.arrayOffset = 0;
        }
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

    /** One copy from the heap image to {@code address}, for images in a heap array. */
    @Override
    public boolean copyToAddress(long first, int count, long address) {
        if (array == null) {
            return false;
        }
        if (first < 0 || count <= 0 || first + count > pageCount()) {
            throw new IndexOutOfBoundsException("pages [" + first + ", " + (first + count)
                    + ") outside an image of " + pageCount() + " pages");
        }
        if (closed) {
            throw new PageSourceException("memory page source closed");
        }
        NativeMemory.fromArray(array, arrayOffset + (int) Pages.offset(first), address,
                count * Pages.SIZE);
        return true;
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
