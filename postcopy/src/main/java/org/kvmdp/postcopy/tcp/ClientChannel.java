// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSourceException;
import org.kvmdp.postcopy.Pages;

/**
 * One connection of a {@link TcpPageSource}: requests are written as they come (pipelined),
 * a reader thread matches answers to them by id and completes their futures. Any failure
 * (lost connection, protocol violation, a request overdue) fails every outstanding request
 * and every later one with the same error.
 */
final class ClientChannel implements AutoCloseable {
    /**
     * A request in flight: pages into {@code destination}, checksums when it is null, the
     * device state when {@code run} is null too.
     */
    private record Pending(long id, PageRun run, ByteBuffer destination,
            CompletableFuture<Object> done, long sentNanos) {
        String what() {
            return run == null ? "the device state"
                    : (destination != null ? "pages " : "checksums of ") + run;
        }
    }

    private final String name;
    private final Socket socket;
    private final FrameWriter writer;
    private final FrameReader reader;
    private final TcpOptions options;
    private final AtomicLong ids;
    private long imageBytes;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicReference<PageSourceException> failure = new AtomicReference<>();
    private final Thread readerThread;
    private volatile boolean closing;

    private ClientChannel(String name, Socket socket, TcpOptions options, AtomicLong ids)
            throws IOException {
        this.name = name;
        this.socket = socket;
        this.options = options;
        this.ids = ids;
        this.writer = new FrameWriter(socket.getOutputStream());
        this.reader = new FrameReader(socket.getInputStream(), this::checkOverdue);
        this.readerThread = new Thread(this::readLoop, "kvmdp-page-client " + name);
        this.readerThread.setDaemon(true);
    }

    /** Connects, says HELLO and checks the WELCOME; {@link PageSourceException} if not. */
    static ClientChannel open(InetSocketAddress server, byte channel, TcpOptions options,
            AtomicLong ids) {
        String name = Wire.channelName(channel) + " to " + server;
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(server, (int) options.connectTimeout().toMillis());
            socket.setSoTimeout((int) options.connectTimeout().toMillis());
            ClientChannel c = new ClientChannel(name, socket, options, ids);
            c.handshake(channel);
            socket.setSoTimeout(options.tickMillis());
            c.readerThread.start();
            return c;
        } catch (IOException | RuntimeException e) {
            closeQuietly(socket);
            if (e instanceof PageSourceException p) {
                throw p;
            }
            throw new PageSourceException("cannot open the " + name + ": " + e, e);
        }
    }

    long imageBytes() {
        return imageBytes;
    }

    /** Asks for {@code run}; the future completes once its bytes are in {@code destination}. */
    CompletableFuture<Void> requestPages(PageRun run, boolean urgent, ByteBuffer destination) {
        long id = ids.incrementAndGet();
        CompletableFuture<Object> done = new CompletableFuture<>();
        send(new Pending(id, run, destination, done, System.nanoTime()),
                new Message.PagesRequest(id, run, urgent));
        return done.thenApply(v -> null);
    }

    /** Asks for the checksums of {@code run}. */
    CompletableFuture<int[]> requestChecksums(PageRun run) {
        long id = ids.incrementAndGet();
        CompletableFuture<Object> done = new CompletableFuture<>();
        send(new Pending(id, run, null, done, System.nanoTime()),
                new Message.ChecksumsRequest(id, run));
        return done.thenApply(crcs -> (int[]) crcs);
    }

    /** Asks for the device state the server was started with. */
    CompletableFuture<byte[]> requestState() {
        long id = ids.incrementAndGet();
        CompletableFuture<Object> done = new CompletableFuture<>();
        send(new Pending(id, null, null, done, System.nanoTime()), new Message.StateRequest(id));
        return done.thenApply(state -> (byte[]) state);
    }

    PageSourceException failure() {
        return failure.get();
    }

    @Override
    public void close() {
        closing = true;
        fail(new PageSourceException("page source closed (" + name + ")"));
        try {
            readerThread.join(options.connectTimeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** HELLO, then a WELCOME we can use; before the reader thread starts. */
    private void handshake(byte channel) throws IOException {
        writer.write(new Message.Hello(Wire.MAGIC, Wire.VERSION, channel));
        Message answer;
        try {
            answer = reader.read();
        } catch (EOFException e) {
            throw new PageSourceException("page server closed the " + name
                    + " instead of answering HELLO");
        }
        if (answer instanceof Message.Failure f) {
            throw new PageSourceException("page server refused the " + name + ": " + f.text());
        }
        if (!(answer instanceof Message.Welcome w)) {
            throw new ProtocolException("expected WELCOME on the " + name + ", got "
                    + answer.type());
        }
        if (w.magic() != Wire.MAGIC) {
            throw new ProtocolException(String.format(
                    "bad magic 0x%08x in WELCOME on the %s: not a kvmdp page server", w.magic(),
                    name));
        }
        if (w.version() != Wire.VERSION) {
            throw new ProtocolException("page server speaks protocol version " + w.version()
                    + ", this client " + Wire.VERSION);
        }
        if (w.pageSize() != Pages.SIZE) {
            throw new ProtocolException("page server uses " + w.pageSize()
                    + "-byte pages, this client " + Pages.SIZE);
        }
        if (w.imageBytes() <= 0 || w.imageBytes() % Pages.SIZE != 0) {
            throw new ProtocolException("page server announces an image of " + w.imageBytes()
                    + " bytes, not a positive multiple of " + Pages.SIZE);
        }
        imageBytes = w.imageBytes();
    }

    private void send(Pending p, Message request) {
        pending.put(p.id(), p);
        // After the put: a failure set before it is seen here, one set after it fails p.
        PageSourceException f = failure.get();
        if (f != null) {
            pending.remove(p.id());
            p.done().completeExceptionally(f);
            return;
        }
        try {
            writer.write(request);
        } catch (IOException e) {
            fail(new PageSourceException("sending request #" + p.id() + " on the " + name
                    + " failed: " + e, e));
        }
    }

    private void readLoop() {
        try {
            while (true) {
                dispatch(reader.read());
            }
        } catch (EOFException e) {
            fail(new PageSourceException("page server closed the " + name + " with "
                    + pending.size() + " requests outstanding"));
        } catch (ProtocolException e) {
            fail(new PageSourceException("page server on the " + name + ": " + e.getMessage(), e));
        } catch (PageSourceException e) {
            fail(e);
        } catch (IOException e) {
            fail(new PageSourceException("lost the " + name + ": " + e, e));
        } catch (RuntimeException e) {
            fail(new PageSourceException("reader of the " + name + " failed: " + e, e));
        }
    }

    private void dispatch(Message m) {
        if (m instanceof Message.PagesData d) {
            Pending p = take(d.id(), d.run(), "PAGES", true);
            p.destination().put(p.destination().position(), d.data(), 0, d.run().bytes());
            p.done().complete(null);
        } else if (m instanceof Message.Checksums c) {
            Pending p = take(c.id(), c.run(), "CHECKSUMS", false);
            p.done().complete(c.crcs());
        } else if (m instanceof Message.State s) {
            Pending p = pending.remove(s.id());
            if (p == null || p.run() != null) {
                if (p != null) {
                    pending.put(s.id(), p); // released with the failure below
                }
                throw new ProtocolException("STATE answers request #" + s.id() + ", which "
                        + (p == null ? "is not outstanding" : "asked for " + p.what())
                        + " on the " + name);
            }
            p.done().complete(s.state());
        } else if (m instanceof Message.Failure f) {
            Pending p = f.id() == 0 ? null : pending.remove(f.id());
            if (p == null) {
                throw new PageSourceException("page server reported on the " + name + ": "
                        + f.text());
            }
            p.done().completeExceptionally(new PageSourceException("page server refused request #"
                    + f.id() + " (" + p.what() + "): " + f.text()));
        } else {
            throw new ProtocolException("unexpected " + m.type() + " from the page server on the "
                    + name);
        }
    }

    /** The outstanding request {@code id}, which must be of the kind and range answered. */
    private Pending take(long id, PageRun run, String what, boolean pages) {
        Pending p = pending.remove(id);
        if (p == null) {
            throw new ProtocolException(what + " answers request #" + id
                    + ", which is not outstanding on the " + name);
        }
        if ((p.destination() != null) != pages || !run.equals(p.run())) {
            pending.put(id, p); // still outstanding: the failure below must release it too
            throw new ProtocolException(what + " for pages " + run + " answers request #" + id
                    + ", which asked for " + p.what());
        }
        return p;
    }

    /** Reader tick: give up on the connection if a request has waited too long. */
    private void checkOverdue() {
        if (closing) {
            throw new PageSourceException("page source closed (" + name + ")");
        }
        long limit = options.requestTimeout().toNanos();
        long now = System.nanoTime();
        for (Pending p : pending.values()) {
            if (now - p.sentNanos() > limit) {
                throw new PageSourceException("page server sent no answer to request #" + p.id()
                        + " (" + p.what() + ") within " + options.requestTimeout().toMillis()
                        + " ms on the " + name);
            }
        }
    }

    /** First failure wins: closes the socket and fails every outstanding request with it. */
    private void fail(PageSourceException cause) {
        failure.compareAndSet(null, cause);
        PageSourceException f = failure.get();
        closeQuietly(socket);
        for (Pending p : new ArrayList<>(pending.values())) {
            if (pending.remove(p.id()) != null) {
                p.done().completeExceptionally(f);
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // Closing to cut off or clean up; nothing more to do.
        }
    }
}
