// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.kvmdp.postcopy.PageChecksums;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.PageSourceException;
import org.kvmdp.postcopy.Urgency;

/**
 * The destination side of the page protocol: pages from a {@link PageServer}. Demand fetches
 * go on their own connection, sweep fetches and checksums on another (see {@link Wire}); both
 * pipeline. Futures complete on a connection's reader thread. A dropped connection pauses its
 * channel while it reconnects ({@link TcpOptions#reconnectAttempts}): fetches wait, they do
 * not fail, and {@link #isReconnecting} says so.
 */
public final class TcpPageSource implements PageSource {
    private final ClientChannel demand;
    private final ClientChannel background;
    private final TcpOptions options;

    private TcpPageSource(ClientChannel demand, ClientChannel background, TcpOptions options) {
        this.demand = demand;
        this.background = background;
        this.options = options;
    }

    /** Connects both channels; {@link PageSourceException} saying why if it cannot. */
    public static TcpPageSource connect(InetSocketAddress server, TcpOptions options) {
        return connect(server, options, event -> { });
    }

    /**
     * Like {@link #connect(InetSocketAddress, TcpOptions)}; {@code events} hears of every
     * dropped connection, reconnect attempt and reconnect (a line each, from the channel's
     * thread), for progress output.
     */
    public static TcpPageSource connect(InetSocketAddress server, TcpOptions options,
            Consumer<String> events) {
        AtomicLong ids = new AtomicLong();
        ClientChannel demand = ClientChannel.open(server, Wire.CHANNEL_DEMAND, options, ids,
                events);
        try {
            ClientChannel background = ClientChannel.open(server, Wire.CHANNEL_BACKGROUND,
                    options, ids, events);
            if (background.imageBytes() != demand.imageBytes()
                    || background.session() != demand.session()) {
                background.close();
                throw new ProtocolException("page server announced " + demand.imageBytes()
                        + " bytes on one channel and " + background.imageBytes() + " on the other"
                        + (background.session() != demand.session() ? ", and two sessions" : ""));
            }
            return new TcpPageSource(demand, background, options);
        } catch (RuntimeException e) {
            demand.close();
            throw e;
        }
    }

    @Override
    public long imageBytes() {
        return demand.imageBytes();
    }

    /** True while either channel has lost its connection and is reconnecting. */
    @Override
    public boolean isReconnecting() {
        return demand.isPaused() || background.isPaused();
    }

    /** Connections dropped so far, on both channels. */
    @Override
    public long drops() {
        return demand.drops() + background.drops();
    }

    @Override
    public CompletableFuture<Void> fetch(PageRun run, Urgency urgency, ByteBuffer destination) {
        PageSource.checkFetch(this, run, destination);
        if (run.count() > Wire.MAX_PAGES_PER_MESSAGE) {
            throw new IllegalArgumentException("pages " + run + ": at most "
                    + Wire.MAX_PAGES_PER_MESSAGE + " per fetch");
        }
        return urgency == Urgency.DEMAND
                ? demand.requestPages(run, true, destination)
                : background.requestPages(run, false, destination);
    }

    /** Asks the server for every page's checksum, in pipelined chunks on the background channel. */
    @Override
    public PageChecksums checksums() {
        long pages = pageCount();
        List<CompletableFuture<int[]>> parts = new ArrayList<>();
        for (long first = 0; first < pages; first += Wire.MAX_CHECKSUMS_PER_MESSAGE) {
            parts.add(background.requestChecksums(new PageRun(first,
                    (int) Math.min(Wire.MAX_CHECKSUMS_PER_MESSAGE, pages - first))));
        }
        int[] all = new int[Math.toIntExact(pages)];
        int at = 0;
        try {
            for (CompletableFuture<int[]> part : parts) {
                // The channel answers or fails every request, reconnects included; this bound
                // is a second line of defence.
                int[] crcs = part.get(bound(), TimeUnit.MILLISECONDS);
                System.arraycopy(crcs, 0, all, at, crcs.length);
                at += crcs.length;
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof PageSourceException p ? p
                    : new PageSourceException("fetching checksums failed: " + e.getCause(), e);
        } catch (TimeoutException e) {
            throw new PageSourceException("page server sent no checksums within " + bound()
                    + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PageSourceException("interrupted fetching checksums");
        }
        return PageChecksums.of(all);
    }

    /**
     * The device state the source attached to its image (empty if none), e.g. the vCPU
     * registers a destination needs to resume the guest.
     */
    public byte[] deviceState() {
        try {
            return background.requestState().get(bound(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof PageSourceException p ? p
                    : new PageSourceException("fetching the device state failed: " + e.getCause(), e);
        } catch (TimeoutException e) {
            throw new PageSourceException("page server sent no device state within " + bound()
                    + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PageSourceException("interrupted fetching the device state");
        }
    }

    /** Twice the longest a channel may take to answer or fail a request. */
    private long bound() {
        return 2 * options.longestWait().toMillis();
    }

    /** Says GOODBYE (the source may stop serving), then closes both channels. */
    @Override
    public void close() {
        try {
            demand.sayGoodbye();
            demand.close();
        } finally {
            background.close();
        }
    }
}
