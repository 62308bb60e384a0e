// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real TCP proxy on loopback between a page client and a {@link PageServer} that breaks
 * the connections on purpose. Server-to-client data goes frame by frame; once the bytes sent
 * to clients pass the next cut point, the proxy forwards half of the next PAGES frame's body
 * and then closes every connection, client and server sides: a drop that cuts a page off
 * mid-frame, by construction and not by timing. New connections are served again, unless
 * {@link #blackhole} was called: then each is accepted and closed at once (a source that
 * never comes back).
 *
 * <p>A test fixture: postcopy's test-jar ships it for the VM suite's MigrateTest.
 */
public final class CuttingProxy implements AutoCloseable {
    private final InetSocketAddress target;
    private final ServerSocket socket;
    private final Deque<Long> cutPoints;
    /** A client connection and the proxy's connection to the server for it. */
    private record Pair(Socket client, Socket server) {}

    private final List<Pair> open = new CopyOnWriteArrayList<>();
    private final AtomicLong toClients = new AtomicLong();
    private final AtomicInteger cuts = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private final Object cutLock = new Object();
    private volatile boolean blackhole;
    private volatile boolean blackholeAfterCuts;

    /** Cuts once the bytes sent to clients pass each of {@code cutPoints} (ascending). */
    public CuttingProxy(InetSocketAddress target, List<Long> cutPoints) throws IOException {
        this.target = target;
        this.cutPoints = new ArrayDeque<>(cutPoints);
        this.socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "cutting-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Connections broken so far (each time every connection at once, mid-frame). */
    public int cuts() {
        return cuts.get();
    }

    /** Client connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** From now on every new connection is closed as soon as it is accepted. */
    void blackhole() {
        blackhole = true;
    }

    /** Serves new connections again: the source is back. */
    void reopen() {
        blackhole = false;
    }

    /** Blackhole once the last cut point was cut. */
    void blackholeAfterTheLastCut() {
        blackholeAfterCuts = true;
    }

    @Override
    public void close() throws IOException {
        socket.close();
        closeAll();
    }

    private void acceptLoop() {
        while (true) {
            Socket client;
            try {
                client = socket.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            if (blackhole) {
                // Read the HELLO, so that the close is a clean hang-up and not a reset.
                start("blackhole", () -> {
                    try (client) {
                        new DataInputStream(client.getInputStream()).readNBytes(
                                Wire.FRAME_HEADER_BYTES + MessageType.HELLO.maxBody());
                    }
                });
                continue;
            }
            try {
                Socket server = new Socket(target.getAddress(), target.getPort());
                server.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                Pair pair = new Pair(client, server);
                open.add(pair);
                start("up", () -> {
                    try {
                        pump(client.getInputStream(), server.getOutputStream());
                    } finally {
                        closeQuietly(client);
                        closeQuietly(server);
                    }
                });
                start("down", () -> pumpFrames(server.getInputStream(), client.getOutputStream()));
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private interface Pump {
        void run() throws IOException;
    }

    private void start(String direction, Pump pump) {
        Thread t = new Thread(() -> {
            try {
                pump.run();
            } catch (IOException e) {
                // Cut, or the other side hung up.
            }
        }, "cutting-proxy-" + direction);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Client to server until the client hangs up; after a cut, what the client still sends
     * is read and dropped (closing with it unread would reset the client's connection).
     */
    private static void pump(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        boolean cut = false;
        for (int n; (n = in.read(buffer)) >= 0; ) {
            if (cut) {
                continue;
            }
            try {
                out.write(buffer, 0, n);
                out.flush();
            } catch (IOException e) {
                cut = true;
            }
        }
    }

    /** Server to client, whole frames, except the one a cut goes through. */
    private void pumpFrames(InputStream raw, OutputStream out) throws IOException {
        DataInputStream in = new DataInputStream(raw);
        byte[] header = new byte[Wire.FRAME_HEADER_BYTES];
        while (true) {
            try {
                in.readFully(header);
            } catch (EOFException e) {
                return;
            }
            int type = header[0] & 0xff;
            int length = ((header[1] & 0xff) << 24) | ((header[2] & 0xff) << 16)
                    | ((header[3] & 0xff) << 8) | (header[4] & 0xff);
            byte[] body = new byte[length];
            in.readFully(body);
            synchronized (cutLock) {
                Long next = cutPoints.peekFirst();
                if (next != null && toClients.get() >= next
                        && type == MessageType.PAGES.code()) {
                    out.write(header);
                    out.write(body, 0, length / 2);
                    out.flush();
                    cutPoints.removeFirst();
                    if (cutPoints.isEmpty() && blackholeAfterCuts) {
                        blackhole = true;
                    }
                    cuts.incrementAndGet();
                    closeAll();
                    return;
                }
            }
            out.write(header);
            out.write(body);
            out.flush();
            toClients.addAndGet(header.length + length);
        }
    }

    /**
     * Closes the server sides and half-closes the client sides: each client reads what was
     * forwarded, then the end of the stream (a hang-up, not a reset that could discard it).
     * The client side closes fully once the client hangs up too.
     */
    private void closeAll() {
        for (Pair p : open) {
            closeQuietly(p.server());
            try {
                p.client().shutdownOutput();
            } catch (IOException e) {
                closeQuietly(p.client());
            }
        }
        open.clear();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // Cutting it off is the point.
        }
    }
}
