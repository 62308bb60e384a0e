// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.migrate;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.kvmdp.postcopy.PageChecksums;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.Urgency;

/**
 * Fault injection for the source (a test fixture, in this module's test-jar): serves the
 * first {@code limit} pages, then never answers again, like a source whose disk or process
 * hung ({@link #stallAfter}), or holds every later fetch until the destination has reconnected
 * ({@link #holdUntilReconnectAfter}). Tests kill the source while it stalls, so "the source
 * dies mid-migration" does not depend on timing; or hold it, so that the migration cannot
 * finish without a reconnect.
 */
public final class StallingPageSource implements PageSource {
    private final PageSource image;
    private final long limit;
    private final String what;
    private final AtomicLong served = new AtomicLong();
    private final CompletableFuture<Void> released = new CompletableFuture<>();

    private StallingPageSource(PageSource image, long limit, String what) {
        this.image = image;
        this.limit = limit;
        this.what = what;
    }

    /** A source that stops answering after {@code pages} pages. */
    public static MigrationSource.ImageWrapper stallAfter(long pages) {
        requireCount(pages);
        return (image, reconnected) -> new StallingPageSource(image, pages,
                "the image, stalling after " + pages + " pages");
    }

    /** A source that holds every page after {@code pages} until the first reconnect. */
    public static MigrationSource.ImageWrapper holdUntilReconnectAfter(long pages) {
        requireCount(pages);
        return (image, reconnected) -> {
            StallingPageSource held = new StallingPageSource(image, pages, "the image, holding"
                    + " pages after " + pages + " until the destination reconnects");
            reconnected.thenRun(() -> held.released.complete(null));
            return held;
        };
    }

    private static void requireCount(long pages) {
        if (pages < 0) {
            throw new IllegalArgumentException("pages must be 0 or more, got " + pages);
        }
    }

    @Override
    public long imageBytes() {
        return image.imageBytes();
    }

    @Override
    public CompletableFuture<Void> fetch(PageRun run, Urgency urgency, ByteBuffer destination) {
        if (served.addAndGet(run.count()) > limit && !released.isDone()) {
            // Never completes unless released.
            return released.thenCompose(v -> image.fetch(run, urgency, destination));
        }
        return image.fetch(run, urgency, destination);
    }

    @Override
    public PageChecksums checksums() {
        return image.checksums();
    }

    @Override
    public void close() {
        image.close();
    }

    @Override
    public String toString() {
        return what;
    }
}
