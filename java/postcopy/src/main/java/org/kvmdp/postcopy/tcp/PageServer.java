// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.kvmdp.postcopy.PageChecksums;
import org.kvmdp.postcopy.PageSource;

/**
 * The source side: serves the pages and checksums of an image (any {@link PageSource}, e.g. a
 * snapshot or a saved file) to destinations over TCP. One accept thread; per connection a
 * reader and a responder thread. {@link #close} stops everything, cutting off clients.
 *
 * <p>A server serves one destination, whose connections may drop and come back: it keeps
 * serving the same image (and session, see {@link Wire}) to every new connection, and a new
 * connection on a channel supersedes the older one on it (which the destination gave up).
 * The destination's GOODBYE, not a hang-up, ends the migration ({@link #awaitMigrationEnd}).
 */
public final class PageServer implements AutoCloseable {
    /** How {@link #awaitMigrationEnd} ended. */
    public enum End {
        /** The destination said GOODBYE. */
        GOODBYE,
        /** Every connection dropped without GOODBYE and none came back in time. */
        ABANDONED,
        /** The timeout passed first. */
        TIMED_OUT
    }

    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);

    private final PageSource image;
    private final PageChecksums checksums;
    private final byte[] deviceState;
    private final Object lifecycle = new Object();
    private int accepted;
    private boolean goodbye; // guarded by lifecycle
    private long emptySince; // guarded by lifecycle: when the last connection ended
    private final boolean[] channelsSeen = new boolean[2]; // guarded by lifecycle
    private final CompletableFuture<Void> reconnected = new CompletableFuture<>();
    private final long session = ThreadLocalRandom.current().nextLong();
    private final Consumer<String> events;
    private final ServerSocket socket;
    private final ServerStats stats = new ServerStats();
    private final List<ServerConnection> connections = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile boolean closed;

    private PageServer(PageSource image, byte[] deviceState, ServerSocket socket,
            Consumer<String> events) {
        this.image = image;
        this.events = events;
        this.deviceState = deviceState.clone();
        this.checksums = image.checksums();
        this.socket = socket;
        this.acceptor = new Thread(this::acceptLoop, "kvmdp-page-server-accept");
        this.acceptor.setDaemon(true);
    }

    /**
     * Listens on {@code bind} (port 0: any free port, see {@link #address}) and serves
     * {@code image}, which stays the caller's to close. Checksums the image first.
     */
    public static PageServer start(PageSource image, InetSocketAddress bind) {
        return start(image, new byte[0], bind);
    }

    /**
     * Like {@link #start(PageSource, InetSocketAddress)}, also serving {@code deviceState}
     * (at most {@link Wire#MAX_STATE_BYTES}) to STATE_REQUEST.
     */
    public static PageServer start(PageSource image, byte[] deviceState, InetSocketAddress bind) {
        return start(image, deviceState, bind, event -> { });
    }

    /**
     * Like {@link #start(PageSource, byte[], InetSocketAddress)}; {@code events} hears of
     * connections that drop without GOODBYE and of the destination reconnecting (a line each).
     */
    public static PageServer start(PageSource image, byte[] deviceState, InetSocketAddress bind,
            Consumer<String> events) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(events, "events");
        if (deviceState.length > Wire.MAX_STATE_BYTES) {
            throw new IllegalArgumentException("device state of " + deviceState.length
                    + " bytes; the protocol carries at most " + Wire.MAX_STATE_BYTES);
        }
        ServerSocket socket = null;
        try {
            socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(bind);
            PageServer server = new PageServer(image, deviceState, socket, events);
            server.acceptor.start();
            return server;
        } catch (IOException e) {
            closeQuietly(socket);
            throw new UncheckedIOException("page server cannot listen on " + bind, e);
        } catch (RuntimeException e) {
            closeQuietly(socket);
            throw e;
        }
    }

    /** Where the server listens (the real port when bound to port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    public ServerStats stats() {
        return stats;
    }

    PageSource image() {
        return image;
    }

    PageChecksums checksums() {
        return checksums;
    }

    byte[] deviceState() {
        return deviceState;
    }

    long session() {
        return session;
    }

    /** Completes when the destination first reconnects a channel it had before. */
    public CompletableFuture<Void> firstReconnect() {
        return reconnected;
    }

    /**
     * Waits for the end of the migration: the destination's GOODBYE, or, once every connection
     * has ended without one, {@code reconnectWait} with no connection coming back (a
     * destination that died; one that lost its network reconnects within it).
     */
    public End awaitMigrationEnd(Duration timeout, Duration reconnectWait)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lifecycle) {
            while (!goodbye) {
                long now = System.nanoTime();
                long until = deadline;
                if (accepted > 0 && connections.isEmpty()) {
                    long giveUp = emptySince + reconnectWait.toNanos();
                    if (giveUp - now <= 0) {
                        return End.ABANDONED;
                    }
                    until = giveUp - deadline < 0 ? giveUp : deadline;
                }
                if (deadline - now <= 0) {
                    return End.TIMED_OUT;
                }
                lifecycle.wait(Math.max(1, (until - now) / 1_000_000));
            }
            return End.GOODBYE;
        }
    }

    /**
     * Waits until at least one client has connected and every connection has ended (a
     * destination that finished, or failed, hangs up); false if {@code timeout} passes first.
     */
    public boolean awaitClientsGone(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lifecycle) {
            while (accepted == 0 || !connections.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                lifecycle.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }

    /** Stops accepting, closes every connection and waits for the threads. Idempotent. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(socket);
        connections.forEach(ServerConnection::close);
        try {
            acceptor.join(JOIN_TIMEOUT.toMillis());
            for (ServerConnection c : connections) {
                c.join(JOIN_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = socket.accept();
            } catch (SocketException e) {
                return; // closed
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue; // a client that vanished during accept; keep serving the others
            }
            ServerConnection connection = new ServerConnection(this, client);
            synchronized (lifecycle) {
                connections.add(connection);
                accepted++;
            }
            if (closed) {
                connection.close();
                return;
            }
            connection.start();
        }
    }

    /** {@code connection} completed its handshake on {@code channel}: it supersedes older ones. */
    void handshaken(ServerConnection connection, byte channel) {
        for (ServerConnection c : connections) {
            if (c != connection && c.channel() == channel) {
                c.supersede();
            }
        }
        boolean again;
        synchronized (lifecycle) {
            again = channelsSeen[channel];
            channelsSeen[channel] = true;
        }
        if (again) {
            reconnected.complete(null);
            events.accept("destination reconnected its " + Wire.channelName(channel) + " from "
                    + connection.peer() + "; serving it the same image and state");
        }
    }

    /** The destination said GOODBYE: the migration is over. */
    void goodbye() {
        synchronized (lifecycle) {
            goodbye = true;
            lifecycle.notifyAll();
        }
    }

    void forget(ServerConnection connection) {
        boolean dropped;
        synchronized (lifecycle) {
            connections.remove(connection);
            if (connections.isEmpty()) {
                emptySince = System.nanoTime();
            }
            dropped = !goodbye && !closed && connection.channel() >= 0
                    && !connection.superseded();
            lifecycle.notifyAll();
        }
        if (dropped) {
            events.accept("lost the destination's " + Wire.channelName(connection.channel())
                    + " from " + connection.peer() + " without GOODBYE; keeping the migration's"
                    + " state for it to reconnect");
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // Closing to unblock or clean up; nothing to do about a failure here.
            }
        }
    }
}
