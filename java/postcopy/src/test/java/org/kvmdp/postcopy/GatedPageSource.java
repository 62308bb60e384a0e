// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Serves pages below {@code gatePage} at once; a fetch reaching {@code gatePage} or beyond
 * blocks (interruptibly, at most a minute) until {@link #open}: a source that stalls.
 */
public final class GatedPageSource extends WrappingPageSource {
    private final long gatePage;
    private final CountDownLatch gate = new CountDownLatch(1);
    private final CountDownLatch someoneWaits = new CountDownLatch(1);

    public GatedPageSource(PageSource inner, long gatePage) {
        super(inner);
        this.gatePage = gatePage;
    }

    public void open() {
        gate.countDown();
    }

    /** Waits until a fetch is held at the gate. */
    public boolean awaitHeld(long millis) throws InterruptedException {
        return someoneWaits.await(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletableFuture<Void> fetch(PageRun run, Urgency urgency, ByteBuffer destination) {
        if (run.end() > gatePage) {
            someoneWaits.countDown();
            try {
                if (!gate.await(60, TimeUnit.SECONDS)) {
                    return CompletableFuture.failedFuture(new PageSourceException("gate shut"));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return CompletableFuture.failedFuture(new PageSourceException("interrupted"));
            }
        }
        return inner.fetch(run, urgency, destination);
    }
}
