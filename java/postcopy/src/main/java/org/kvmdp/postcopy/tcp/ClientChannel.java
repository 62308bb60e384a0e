// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSourceException;

/**
 * One channel of a {@link TcpPageSource}: requests are written as they come (pipelined), a
 * worker thread reads the answers, matches them to requests by id and completes their futures.
 *
 * <p>A dropped connection (the server hung up, a reset, a frame cut off, a request with no
 * answer for the request timeout) pauses the channel: requests stay outstanding and new ones
 * queue, nothing fails; the worker reconnects with bounded retries and backoff, checks that
 * the same source (session) answers, and writes every outstanding request again. An answer
 * only counts when its whole frame arrived, so a page cut off mid-frame is asked for again,
 * never delivered in part. Retries exhausted, a refused connection (nothing listens: the
 * source is gone), a different session, a protocol violation or close fail every outstanding
 * request and every later one with the same error.
 */
final class ClientChannel implements AutoCloseable {
    /** A request with no answer for the request timeout: the connection counts as dropped. */
    private static final class Overdue extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Overdue(String message) {
            super(message);
        }
    }

    /**
     * A request in flight: pages into {@code destination}, checksums when it is null, the
     * device state when {@code run} is null too. {@code sentOn} is the generation of the last
     * link it was written on.
     */
    private static final class Pending {
        final long id;
        final PageRun run;
        final ByteBuffer destination;
        final Message request;
        final CompletableFuture<Object> done = new CompletableFuture<>();
        final AtomicLong sentOn = new AtomicLong(-1);
        volatile long sentNanos = System.nanoTime();

        Pending(long id, PageRun run, ByteBuffer destination, Message request) {
            this.id = id;
            this.run = run;
            this.destination = destination;
            this.request = request;
        }

        String what() {
            return run == null ? "the device state"
                    : (destination != null ? "pages " : "checksums of ") + run;
        }

        /** True for exactly one caller per link: that caller writes the request on it. */
        boolean claimSend(long generation) {
            for (long s = sentOn.get(); s < generation; s = sentOn.get()) {
                if (sentOn.compareAndSet(s, generation)) {
                    sentNanos = System.nanoTime();
                    return true;
                }
            }
            return false;
        }
    }

    private final String name;
    private final InetSocketAddress server;
    private final byte channel;
    private final TcpOptions options;
    private final AtomicLong ids;
    private final Consumer<String> events;
    private final long session;
    private final long imageBytes;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicReference<PageSourceException> failure = new AtomicReference<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicLong drops = new AtomicLong();
    private final Thread worker;
    /** The connection requests go on; null while paused (reconnecting). */
    private volatile ChannelLink link;
    private volatile boolean closing;
    /** Reconnect attempts since an answer last arrived; the worker's alone. */
    private int attemptsSinceAnswer;
    /** Links opened so far (each one's generation); the worker's alone. */
    private long generations;
    /** How the last reconnect attempt went, for the error if they run out; the worker's. */
    private String lastAttempt = "none made";

    private ClientChannel(String name, InetSocketAddress server, byte channel, TcpOptions options,
            AtomicLong ids, Consumer<String> events, ChannelLink first) {
        this.name = name;
        this.server = server;
        this.channel = channel;
        this.options = options;
        this.ids = ids;
        this.events = events;
        this.link = first;
        this.session = first.welcome().session();
        this.imageBytes = first.welcome().imageBytes();
        this.worker = new Thread(this::work, "kvmdp-page-client " + name);
        this.worker.setDaemon(true);
    }

    /** Connects, says HELLO and checks the WELCOME; {@link PageSourceException} if not. */
    static ClientChannel open(InetSocketAddress server, byte channel, TcpOptions options,
            AtomicLong ids) {
        return open(server, channel, options, ids, event -> { });
    }

    /** Like {@link #open(InetSocketAddress, byte, TcpOptions, AtomicLong)}, telling
     * {@code events} of drops and reconnects. */
    static ClientChannel open(InetSocketAddress server, byte channel, TcpOptions options,
            AtomicLong ids, Consumer<String> events) {
        String name = Wire.channelName(channel) + " to " + server;
        ClientChannel[] self = new ClientChannel[1];
        ChannelLink first;
        try {
            first = ChannelLink.open(0, server, channel, name, options,
                    () -> self[0].checkOverdue());
        } catch (PageSourceException e) {
            throw e;
        } catch (IOException e) {
            throw new PageSourceException(e instanceof ChannelLink.HandshakeDropped
                    ? e.getMessage() : "cannot open the " + name + ": " + e, e);
        }
        self[0] = new ClientChannel(name, server, channel, options, ids, events, first);
        self[0].worker.start();
        return self[0];
    }

    long imageBytes() {
        return imageBytes;
    }

    long session() {
        return session;
    }

    /** True while the connection is down and the channel is reconnecting. */
    boolean isPaused() {
        return link == null && failure.get() == null;
    }

    /** How many times the connection dropped. */
    long drops() {
        return drops.get();
    }

    /** Asks for {@code run}; the future completes once its bytes are in {@code destination}. */
    CompletableFuture<Void> requestPages(PageRun run, boolean urgent, ByteBuffer destination) {
        long id = ids.incrementAndGet();
        return send(new Pending(id, run, destination, new Message.PagesRequest(id, run, urgent)))
                .thenApply(v -> null);
    }

    /** Asks for the checksums of {@code run}. */
    CompletableFuture<int[]> requestChecksums(PageRun run) {
        long id = ids.incrementAndGet();
        return send(new Pending(id, run, null, new Message.ChecksumsRequest(id, run)))
                .thenApply(crcs -> (int[]) crcs);
    }

    /** Asks for the device state the server was started with. */
    CompletableFuture<byte[]> requestState() {
        long id = ids.incrementAndGet();
        return send(new Pending(id, null, null, new Message.StateRequest(id)))
                .thenApply(state -> (byte[]) state);
    }

    /** Tells the server the destination is done, if connected (best effort). */
    void sayGoodbye() {
        ChannelLink l = link;
        if (l != null && failure.get() == null) {
            try {
                l.writer.write(new Message.Goodbye());
            } catch (IOException e) {
                // The connection is gone; the server notices the hang-up instead.
            }
        }
    }

    PageSourceException failure() {
        return failure.get();
    }

    @Override
    public void close() {
        closing = true;
        fail(new PageSourceException("page source closed (" + name + ")"));
        closed.countDown();
        try {
            worker.join(options.connectTimeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private CompletableFuture<Object> send(Pending p) {
        pending.put(p.id, p);
        // After the put: a failure set before it is seen here, one set after it fails p.
        PageSourceException f = failure.get();
        if (f != null) {
            pending.remove(p.id);
            p.done.completeExceptionally(f);
            return p.done;
        }
        ChannelLink l = link;
        if (l != null) {
            // Paused (null): the worker writes it once it has reconnected, with the others.
            write(l, p);
        }
        return p.done;
    }

    /** Writes {@code p} on {@code l} unless it was already; a failed write drops the link. */
    private void write(ChannelLink l, Pending p) {
        if (!p.claimSend(l.generation)) {
            return;
        }
        try {
            l.writer.write(p.request);
        } catch (IOException e) {
            l.close(); // the worker's read fails next and it reconnects; p stays outstanding
        }
    }

    /** The worker: reads answers until the link drops, reconnects, until it must fail. */
    private void work() {
        ChannelLink l = link;
        while (l != null) {
            String dropped = readUntilDropped(l);
            l = dropped == null ? null : reconnect(dropped);
        }
    }

    /** Dispatches answers; returns why the link dropped, or null after failing the channel. */
    private String readUntilDropped(ChannelLink l) {
        try {
            while (true) {
                dispatch(l.reader.read());
            }
        } catch (EOFException e) {
            return "page server closed the " + name + " with " + pending.size()
                    + " requests outstanding";
        } catch (FrameReader.CutOff e) {
            return "page server on the " + name + ": " + e.getMessage();
        } catch (Overdue e) {
            return e.getMessage();
        } catch (ProtocolException e) {
            fail(new PageSourceException("page server on the " + name + ": " + e.getMessage(), e));
        } catch (PageSourceException e) {
            fail(e);
        } catch (IOException e) {
            if (!closing) {
                return "lost the " + name + ": " + e;
            }
        } catch (RuntimeException e) {
            fail(new PageSourceException("reader of the " + name + " failed: " + e, e));
        } finally {
            l.close();
        }
        return null;
    }

    /**
     * Pauses the channel and reconnects; the new link with every outstanding request written
     * on it, or null after failing the channel.
     */
    private ChannelLink reconnect(String dropped) {
        link = null;
        if (closing) {
            return null;
        }
        if (options.reconnectAttempts() == 0) {
            fail(new PageSourceException(dropped));
            return null;
        }
        drops.incrementAndGet();
        if (attemptsSinceAnswer < options.reconnectAttempts()) {
            events.accept(dropped + "; pausing its " + pending.size()
                    + " outstanding requests and reconnecting");
        }
        long pausedAt = System.nanoTime();
        while (attemptsSinceAnswer < options.reconnectAttempts()) {
            int attempt = ++attemptsSinceAnswer;
            long waitMillis = options.backoff(attempt).toMillis();
            events.accept("reconnecting the " + name + " in " + waitMillis + " ms (attempt "
                    + attempt + " of " + options.reconnectAttempts() + ")");
            try {
                if (closed.await(waitMillis, TimeUnit.MILLISECONDS)) {
                    return null; // closed meanwhile, which failed everything
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(new PageSourceException(dropped + "; interrupted while reconnecting"));
                return null;
            }
            ChannelLink l;
            try {
                l = ChannelLink.open(++generations, server, channel, name, options,
                        this::checkOverdue);
            } catch (ConnectException e) {
                if (!String.valueOf(e.getMessage()).contains("refused")) {
                    lastAttempt = e.toString();
                    continue;
                }
                // Nothing listens where the source listened for the whole migration.
                fail(new PageSourceException(dropped + "; reconnecting was refused by " + server
                        + " (" + e.getMessage() + "): the source is gone"));
                return null;
            } catch (IOException e) {
                lastAttempt = e instanceof ChannelLink.HandshakeDropped ? e.getMessage()
                        : e.toString();
                continue;
            } catch (PageSourceException e) {
                fail(new PageSourceException(dropped + "; reconnecting failed: " + e.getMessage(),
                        e));
                return null;
            }
            if (l.welcome().session() != session || l.welcome().imageBytes() != imageBytes) {
                l.close();
                fail(new PageSourceException(String.format("%s; a different page server answers"
                        + " at %s now (session %016x, image %d bytes; was %016x, %d bytes): the"
                        + " source lost this migration's state", dropped, server,
                        l.welcome().session(), l.welcome().imageBytes(), session, imageBytes)));
                return null;
            }
            lastAttempt = "reconnected, and no answer came";
            return resume(l, attempt, pausedAt);
        }
        fail(new PageSourceException(dropped + "; gave up reconnecting after "
                + options.reconnectAttempts() + " attempts without an answer (last: "
                + lastAttempt + ")"));
        return null;
    }

    /** Makes {@code l} the link and writes every outstanding request on it, oldest first. */
    private ChannelLink resume(ChannelLink l, int attempt, long pausedAt) {
        // The link first, then the snapshot: a request queued after the snapshot saw the
        // link and wrote itself (see send); one queued before is in it.
        link = l;
        if (failure.get() != null) { // closed meanwhile: release what queued since
            l.close();
            fail(failure.get());
            return null;
        }
        List<Pending> outstanding = new ArrayList<>(pending.values());
        if (outstanding.isEmpty()) {
            attemptsSinceAnswer = 0; // nothing to answer: the link is as good as it gets
        }
        outstanding.sort(Comparator.comparingLong(p -> p.id));
        for (Pending p : outstanding) {
            write(l, p);
        }
        events.accept(String.format("reconnected the %s (attempt %d, paused %.1f s); sent its %d"
                + " outstanding requests again", name, attempt,
                (System.nanoTime() - pausedAt) / 1e9, outstanding.size()));
        return l;
    }

    private void dispatch(Message m) {
        if (m instanceof Message.PagesData d) {
            Pending p = take(d.id(), d.run(), "PAGES", true);
            p.destination.put(p.destination.position(), d.data(), 0, d.run().bytes());
            p.done.complete(null);
        } else if (m instanceof Message.Checksums c) {
            Pending p = take(c.id(), c.run(), "CHECKSUMS", false);
            p.done.complete(c.crcs());
        } else if (m instanceof Message.State s) {
            Pending p = pending.remove(s.id());
            if (p == null || p.run != null) {
                if (p != null) {
                    pending.put(s.id(), p); // released with the failure below
                }
                throw new ProtocolException("STATE answers request #" + s.id() + ", which "
                        + (p == null ? "is not outstanding" : "asked for " + p.what())
                        + " on the " + name);
            }
            p.done.complete(s.state());
        } else if (m instanceof Message.Failure f) {
            Pending p = f.id() == 0 ? null : pending.remove(f.id());
            if (p == null) {
                throw new PageSourceException("page server reported on the " + name + ": "
                        + f.text());
            }
            p.done.completeExceptionally(new PageSourceException("page server refused request #"
                    + f.id() + " (" + p.what() + "): " + f.text()));
        } else {
            throw new ProtocolException("unexpected " + m.type() + " from the page server on the "
                    + name);
        }
        attemptsSinceAnswer = 0;
    }

    /** The outstanding request {@code id}, which must be of the kind and range answered. */
    private Pending take(long id, PageRun run, String what, boolean pages) {
        Pending p = pending.remove(id);
        if (p == null) {
            throw new ProtocolException(what + " answers request #" + id
                    + ", which is not outstanding on the " + name);
        }
        if ((p.destination != null) != pages || !run.equals(p.run)) {
            pending.put(id, p); // still outstanding: the failure below must release it too
            throw new ProtocolException(what + " for pages " + run + " answers request #" + id
                    + ", which asked for " + p.what());
        }
        return p;
    }

    /** Reader tick: count the connection as dropped if a request has waited too long. */
    private void checkOverdue() {
        if (closing) {
            throw new PageSourceException("page source closed (" + name + ")");
        }
        long limit = options.requestTimeout().toNanos();
        long now = System.nanoTime();
        for (Pending p : pending.values()) {
            if (now - p.sentNanos > limit) {
                throw new Overdue("page server sent no answer to request #" + p.id + " ("
                        + p.what() + ") within " + options.requestTimeout().toMillis()
                        + " ms on the " + name);
            }
        }
    }

    /** First failure wins: cuts the link and fails every outstanding request with it. */
    private void fail(PageSourceException cause) {
        failure.compareAndSet(null, cause);
        PageSourceException f = failure.get();
        ChannelLink l = link;
        if (l != null) {
            l.close();
        }
        for (Pending p : new ArrayList<>(pending.values())) {
            if (pending.remove(p.id) != null) {
                p.done.completeExceptionally(f);
            }
        }
    }
}
