// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.kvmdp.postcopy.PageSourceException;
import org.kvmdp.postcopy.Pages;

/**
 * One TCP connection of a {@link ClientChannel}, from connect and handshake to close. A
 * channel that loses its connection opens a new link; {@code generation} tells them apart, so
 * a request is written at most once on each.
 */
final class ChannelLink {
    /** The handshake did not complete in time, or the server hung up during it: try again. */
    static final class HandshakeDropped extends IOException {
        private static final long serialVersionUID = 1L;

        HandshakeDropped(String message) {
            super(message);
        }
    }

    /** Thrown by the reader's tick while the WELCOME is late. */
    private static final class WelcomeLate extends RuntimeException {
        private static final long serialVersionUID = 1L;

        WelcomeLate(String message) {
            super(message);
        }
    }

    final long generation;
    final FrameWriter writer;
    final FrameReader reader;
    private final Socket socket;
    private final String name;
    private volatile boolean handshaking = true;
    private Message.Welcome welcome;

    private ChannelLink(long generation, Socket socket, String name, Runnable onIdle)
            throws IOException {
        this.generation = generation;
        this.socket = socket;
        this.name = name;
        this.writer = new FrameWriter(socket.getOutputStream());
        this.reader = new FrameReader(socket.getInputStream(), () -> {
            if (handshaking) {
                throw new WelcomeLate("no WELCOME on the " + name + " within the connect"
                        + " timeout");
            }
            onIdle.run();
        });
    }

    /**
     * Connects and says HELLO; returns the link once a WELCOME we can use arrived. Throws
     * {@link IOException} for what may pass (no connection, a timeout, a hang-up before the
     * WELCOME: {@link HandshakeDropped}) and {@link PageSourceException} for what will not
     * (the server refused us or speaks something else).
     */
    static ChannelLink open(long generation, InetSocketAddress server, byte channel, String name,
            TcpOptions options, Runnable onIdle) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(server, (int) options.connectTimeout().toMillis());
            socket.setSoTimeout((int) options.connectTimeout().toMillis());
            ChannelLink link = new ChannelLink(generation, socket, name, onIdle);
            link.handshake(channel);
            socket.setSoTimeout(options.tickMillis());
            return link;
        } catch (WelcomeLate e) {
            closeQuietly(socket);
            throw new HandshakeDropped(e.getMessage());
        } catch (IOException | RuntimeException e) {
            closeQuietly(socket);
            throw e;
        }
    }

    Message.Welcome welcome() {
        return welcome;
    }

    /** Cuts the connection; the reader's next read fails. */
    void close() {
        closeQuietly(socket);
    }

    private void handshake(byte channel) throws IOException {
        writer.write(new Message.Hello(Wire.MAGIC, Wire.VERSION, channel));
        Message answer;
        try {
            answer = reader.read();
        } catch (EOFException e) {
            throw new HandshakeDropped("page server closed the " + name
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
        welcome = w;
        handshaking = false;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // Closing to cut off or clean up; nothing more to do.
        }
    }
}
