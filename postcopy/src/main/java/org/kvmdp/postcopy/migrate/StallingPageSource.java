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
 * again, like a source whose disk or process hung. Tests kill the source while it stalls, so
 * "the source dies mid-migration" does not depend on timing.
 */
final class StallingPageSource implements PageSource {
    private final PageSource image;
    private final long limit;
    private final AtomicLong served = new AtomicLong();

    StallingPageSource(PageSource image, long limit) {
        this.image = image;
        this.limit = limit;
    }

    @Override
    public long imageBytes() {
        return image.imageBytes();
    }

    @Override
    public CompletableFuture<Void> fetch(PageRun run, Urgency urgency, ByteBuffer destination) {
        if (served.addAndGet(run.count()) > limit) {
            return new CompletableFuture<>(); // never completes
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
