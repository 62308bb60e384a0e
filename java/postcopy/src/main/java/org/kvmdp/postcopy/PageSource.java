// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * Where a destination gets the pages of a guest memory image of {@link #imageBytes} bytes:
 * an in-memory snapshot, a saved image file, or a page server over TCP.
 *
 * <p>Pages land in a caller-provided {@link ByteBuffer} (heap or direct); the installer then
 * writes them through the guest mapping. Implementations are thread-safe.
 */
public interface PageSource extends AutoCloseable {
    /** Size of the image; a multiple of {@link Pages#SIZE}. */
    long imageBytes();

    default long pageCount() {
        return Pages.count(imageBytes());
    }

    /**
     * Fetches {@code run} into {@code destination} starting at its position, without moving
     * its position or limit ({@code run.bytes()} must fit in what remains). The future
     * completes when the bytes are there, or exceptionally with a {@link PageSourceException}.
     * Local sources complete before returning; remote ones pipeline, DEMAND ahead of BACKGROUND.
     */
    CompletableFuture<Void> fetch(PageRun run, Urgency urgency, ByteBuffer destination);

    /**
     * The fast path for local sources: copies pages {@code [first, first + count)} straight to
     * native memory at {@code address} (a guest mapping or a staging page; the caller
     * guarantees {@code count * Pages.SIZE} writable bytes there), synchronously, allocating
     * nothing. Returns false, copying nothing, if this source cannot (a remote one): then use
     * {@link #fetch}. Throws {@link PageSourceException} if the source is closed or broken.
     */
    default boolean copyToAddress(long first, int count, long address) {
        return false;
    }

    /**
     * True while a remote source has lost its connection and is reconnecting: fetches are
     * held, not failed, so a requester waiting for a page must not time out meanwhile.
     */
    default boolean isReconnecting() {
        return false;
    }

    /** Connections a remote source lost so far (reconnected or not); 0 for a local one. */
    default long drops() {
        return 0;
    }

    /** CRC32C of every page, as the source has it: the end-of-migration check. */
    PageChecksums checksums();

    @Override
    void close();

    /** Argument checks shared by the implementations. */
    static void checkFetch(PageSource source, PageRun run, ByteBuffer destination) {
        run.checkWithin(source.pageCount());
        if (destination.remaining() < run.bytes()) {
            throw new IllegalArgumentException("destination has " + destination.remaining()
                    + " bytes left, pages " + run + " need " + run.bytes());
        }
    }
}
