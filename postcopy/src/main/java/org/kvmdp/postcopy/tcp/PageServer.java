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
import java.util.concurrent.CopyOnWriteArrayList;
import org.kvmdp.postcopy.PageChecksums;
import org.kvmdp.postcopy.PageSource;

/**
 * The source side: serves the pages and checksums of an image (any {@link PageSource}, e.g. a
 * snapshot or a saved file) to destinations over TCP. One accept thread; per connection a
 * reader and a responder thread. {@link #close} stops everything, cutting off clients.
 */
public final class PageServer implements AutoCloseable {
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);

    private final PageSource image;
    private final PageChecksums checksums;
    private final byte[] deviceState;
    private final Object lifecycle = new Object();
    private int accepted;
    private final ServerSocket socket;
    private final ServerStats stats = new ServerStats();
    private final List<ServerConnection> connections = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile boolean closed;

    private PageServer(PageSource image, byte[] deviceState, ServerSocket socket) {
        this.image = image;
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
        Objects.requireNonNull(image, "image");
        if (deviceState.length > Wire.MAX_STATE_BYTES) {
            throw new IllegalArgumentException("device state of " + deviceState.length
                    + " bytes; the protocol carries at most " + Wire.MAX_STATE_BYTES);
        }
        ServerSocket socket = null;
        try {
            socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(bind);
            PageServer server = new PageServer(image, deviceState, socket);
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

    void forget(ServerConnection connection) {
        synchronized (lifecycle) {
            connections.remove(connection);
            lifecycle.notifyAll();
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
