// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/** A page source delegating to another; tests override {@link #fetch} to add a fault. */
public abstract class WrappingPageSource implements PageSource {
    protected final PageSource inner;

    protected WrappingPageSource(PageSource inner) {
        this.inner = inner;
    }

    @Override
    public long imageBytes() {
        return inner.imageBytes();
    }

    @Override
    public CompletableFuture<Void> fetch(PageRun run, Urgency urgency, ByteBuffer destination) {
        return inner.fetch(run, urgency, destination);
    }

    @Override
    public PageChecksums checksums() {
        return inner.checksums();
    }

    @Override
    public void close() {
        inner.close();
    }

    /** Flips a byte of {@code page} in every fetch of it; checksums stay the original's. */
    public static PageSource corrupting(PageSource inner, long page) {
        return new WrappingPageSource(inner) {
            @Override
            public CompletableFuture<Void> fetch(PageRun run, Urgency urgency, ByteBuffer dst) {
                return inner.fetch(run, urgency, dst).thenRun(() -> {
                    if (run.contains(page)) {
                        int at = dst.position() + (int) Pages.offset(page - run.first()) + 100;
                        dst.put(at, (byte) ~dst.get(at));
                    }
                });
            }
        };
    }
}
