// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.Urgency;

/**
 * One client connection of a {@link PageServer}. The reader thread does the handshake, then
 * queues requests; the responder thread answers them urgent-first (then in arrival order), so
 * a demand request overtakes sweep requests still queued on the same connection.
 */
final class ServerConnection {
    /** How long the responder waits for the image to produce pages (a file on a slow disk). */
    private static final Duration IMAGE_READ_TIMEOUT = Duration.ofSeconds(30);

    private record Work(long seq, boolean urgent, Message request) {}

    private final PageServer server;
    private final Socket socket;
    private final String peer;
    private final FrameWriter writer;
    private final FrameReader reader;
    private final PriorityBlockingQueue<Work> queue = new PriorityBlockingQueue<>(64,
            Comparator.comparing((Work w) -> !w.urgent()).thenComparingLong(Work::seq));
    private final AtomicLong sequence = new AtomicLong();
    private final Thread readerThread;
    private final Thread responderThread;
    private volatile boolean handshaken;
    private volatile boolean closed;
    private volatile boolean superseded;
    /** The channel its HELLO named; -1 before. */
    private volatile byte channel = -1;

    ServerConnection(PageServer server, Socket socket) {
        this.server = server;
        this.socket = socket;
        this.peer = String.valueOf(socket.getRemoteSocketAddress());
        try {
            this.writer = new FrameWriter(socket.getOutputStream());
            this.reader = new FrameReader(socket.getInputStream(), () -> {
                if (!handshaken) {
                    throw new ProtocolException("no HELLO from " + peer + " within "
                            + PageServer.HANDSHAKE_TIMEOUT.toMillis() + " ms");
                }
            });
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Already failing; the first error is the one to report.
            }
            throw new IllegalStateException("socket of " + peer + " unusable", e);
        }
        this.readerThread = new Thread(this::readLoop, "kvmdp-page-server-read " + peer);
        this.responderThread = new Thread(this::respondLoop, "kvmdp-page-server-respond " + peer);
        readerThread.setDaemon(true);
        responderThread.setDaemon(true);
    }

    void start() {
        readerThread.start();
    }

    void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException e) {
            // Closing to cut the client off; nothing more to do.
        }
        responderThread.interrupt();
    }

    byte channel() {
        return channel;
    }

    String peer() {
        return peer;
    }

    /** The destination reconnected this connection's channel: cut this one off. */
    void supersede() {
        superseded = true;
        close();
    }

    boolean superseded() {
        return superseded;
    }

    void join(Duration timeout) throws InterruptedException {
        readerThread.join(timeout.toMillis());
        responderThread.join(timeout.toMillis());
    }

    private void readLoop() {
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) PageServer.HANDSHAKE_TIMEOUT.toMillis());
            if (!handshake()) {
                return;
            }
            socket.setSoTimeout(0); // an idle client is fine; close() unblocks the read
            responderThread.start();
            while (!closed) {
                Message m = reader.read();
                if (m instanceof Message.PagesRequest r) {
                    queuePages(r);
                } else if (m instanceof Message.ChecksumsRequest r) {
                    queueChecksums(r);
                } else if (m instanceof Message.StateRequest r) {
                    writer.write(new Message.State(r.id(), server.deviceState()));
                } else if (m instanceof Message.Goodbye) {
                    server.goodbye();
                } else {
                    throw new ProtocolException("unexpected " + m.type() + " from a client");
                }
            }
        } catch (EOFException e) {
            // The client hung up between messages: the normal end.
        } catch (ProtocolException e) {
            sendQuietly(new Message.Failure(0, "malformed message: " + e.getMessage()));
        } catch (IOException e) {
            // Reset, cut off mid-frame or closed under us (server shutdown): nothing to answer.
        } finally {
            close();
            server.forget(this);
        }
    }

    /** Answers HELLO with WELCOME, or with ERROR and false if the client is not one of ours. */
    private boolean handshake() throws IOException {
        Message first = reader.read();
        String problem = null;
        if (!(first instanceof Message.Hello hello)) {
            problem = "expected HELLO, got " + first.type();
        } else if (hello.magic() != Wire.MAGIC) {
            problem = String.format("bad magic 0x%08x: not a kvmdp page client", hello.magic());
        } else if (hello.version() != Wire.VERSION) {
            problem = "client speaks protocol version " + hello.version() + ", this server "
                    + Wire.VERSION;
        } else if (hello.channel() != Wire.CHANNEL_DEMAND
                && hello.channel() != Wire.CHANNEL_BACKGROUND) {
            problem = "unknown channel " + hello.channel();
        }
        if (problem != null) {
            sendQuietly(new Message.Failure(0, problem));
            return false;
        }
        handshaken = true;
        channel = ((Message.Hello) first).channel();
        writer.write(new Message.Welcome(Wire.MAGIC, Wire.VERSION, Pages.SIZE,
                server.image().imageBytes(), server.session()));
        server.handshaken(this, channel);
        return true;
    }

    private void queuePages(Message.PagesRequest r) throws IOException {
        if (r.run().end() > server.image().pageCount()) {
            writer.write(new Message.Failure(r.id(), "pages " + r.run() + " outside the image of "
                    + server.image().pageCount() + " pages"));
            return;
        }
        queue.add(new Work(sequence.incrementAndGet(), r.urgent(), r));
        server.stats().request(r.urgent()); // after queuing: a counted request is queued
    }

    private void queueChecksums(Message.ChecksumsRequest r) throws IOException {
        if (r.run().end() > server.image().pageCount()) {
            writer.write(new Message.Failure(r.id(), "checksums of pages " + r.run()
                    + " outside the image of " + server.image().pageCount() + " pages"));
            return;
        }
        queue.add(new Work(sequence.incrementAndGet(), false, r));
    }

    private void respondLoop() {
        ByteBuffer pages = ByteBuffer.allocate(Wire.MAX_PAGES_PER_MESSAGE * Pages.SIZE);
        try {
            while (!closed) {
                Work work = queue.take();
                if (work.request() instanceof Message.PagesRequest r) {
                    sendPages(r, pages);
                } else if (work.request() instanceof Message.ChecksumsRequest r) {
                    writer.write(new Message.Checksums(r.id(), r.run(),
                            server.checksums().slice(r.run())));
                }
            }
        } catch (InterruptedException e) {
            // close() interrupts us.
        } catch (IOException e) {
            close(); // the client is gone; the reader will notice too
        }
    }

    private void sendPages(Message.PagesRequest r, ByteBuffer pages)
            throws IOException, InterruptedException {
        PageRun run = r.run();
        try {
            server.image().fetch(run, r.urgent() ? Urgency.DEMAND : Urgency.BACKGROUND, pages.clear())
                    .get(IMAGE_READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            writer.write(new Message.Failure(r.id(), "reading pages " + run
                    + " from the image failed: " + cause));
            return;
        }
        writer.write(new Message.PagesData(r.id(), run, pages.duplicate().position(0)
                .limit(run.bytes())));
        server.stats().served(run);
    }

    private void sendQuietly(Message m) {
        try {
            writer.write(m);
        } catch (IOException e) {
            // The peer is already gone; the error had nowhere to go.
        }
    }
}
