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
 * Fault injection for the source: serves the first {@code limit} pages, then never answers
 * again, like a source whose disk or process hung, or (with {@link #release}) holds every
 * later fetch until released. Tests kill the source while it stalls, so "the source dies
 * mid-migration" does not depend on timing; or release it once the destination reconnected,
 * so that the migration cannot finish without a reconnect.
 */
final class StallingPageSource implements PageSource {
    private final PageSource image;
    private final long limit;
    private final AtomicLong served = new AtomicLong();
    private final CompletableFuture<Void> released = new CompletableFuture<>();

    StallingPageSource(PageSource image, long limit) {
        this.image = image;
        this.limit = limit;
    }

    /** Serves every held fetch and all later ones. */
    void release() {
        released.complete(null);
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
}
