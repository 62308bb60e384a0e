// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.nativeio.SyscallException;
import org.kvmdp.nativeio.UnixSocket;

/**
 * Frames over one connected UNIX socket: whole frames out (one sender at a time), whole
 * frames in (one reader thread). Every header is checked before its body is read: an
 * unknown kind, a length its kind does not allow, fds on a message that carries none, or a
 * frame cut off by end-of-file is a {@link BackendProtocolException}; end-of-file between
 * frames is the peer's hang-up. A send to a peer that is gone is a {@link PeerGoneException}.
 */
public final class FrameChannel implements AutoCloseable {
    private final UnixSocket socket;
    private final String name;
    private final Object sendLock = new Object();

    /** {@code name} says which channel to whom in messages, e.g. "control socket to pid 12". */
    public FrameChannel(UnixSocket socket, String name) {
        this.socket = Objects.requireNonNull(socket, "socket");
        this.name = Objects.requireNonNull(name, "name");
    }

    public String name() {
        return name;
    }

    public UnixSocket socket() {
        return socket;
    }

    /** Sends one frame, with {@code fds} attached if its kind carries fds. */
    public void send(MessageKind kind, int tag, byte[] body, int... fds) {
        if (fds.length > 0 && !kind.carriesFds()) {
            throw new IllegalArgumentException(kind + " carries no fds");
        }
        byte[] frame = Frame.encode(kind, tag, body);
        synchronized (sendLock) {
            try {
                socket.send(frame, fds);
            } catch (SyscallException e) {
                if (e.is(Errno.EPIPE) || e.is(Errno.ECONNRESET)) {
                    throw new PeerGoneException("the other end of the " + name
                            + " is gone (" + e.getMessage() + ")", e);
                }
                throw e;
            } catch (IllegalStateException e) {
                throw new PeerGoneException("the " + name + " is closed", e);
            }
        }
    }

    /** {@link #send} without a body. */
    public void send(MessageKind kind, int tag) {
        send(kind, tag, new byte[0]);
    }

    /**
     * The next frame; empty if the peer hung up between frames (end-of-file, or ECONNRESET).
     * Blocks until a whole frame has arrived.
     */
    public Optional<Frame> receive() {
        byte[] header = new byte[BackendProtocol.HEADER_BYTES];
        List<OwnedFd> fds = new ArrayList<>();
        try {
            int got = read(header, fds, BackendProtocol.SETUP_FDS);
            if (got == 0) {
                return Optional.empty();
            }
            while (got < header.length) {
                int n = read(header, got, fds);
                if (n == 0) {
                    throw cutOff(got, header.length, "header");
                }
                got += n;
            }
            ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
            int code = h.getInt();
            int tag = h.getInt();
            long length = Integer.toUnsignedLong(h.getInt());
            MessageKind kind = MessageKind.of(code).orElseThrow(() ->
                    new BackendProtocolException("unknown message " + code + " on the " + name));
            if (!kind.bodyFits(length)) {
                throw new BackendProtocolException(kind + " with a body of " + length
                        + " bytes on the " + name);
            }
            byte[] body = new byte[(int) length];
            for (int at = 0; at < body.length; ) {
                int n = read(body, at, fds);
                if (n == 0) {
                    throw cutOff(BackendProtocol.HEADER_BYTES + at,
                            BackendProtocol.HEADER_BYTES + body.length, kind + " body");
                }
                at += n;
            }
            if (!fds.isEmpty() && !kind.carriesFds()) {
                throw new BackendProtocolException(kind + " with " + fds.size()
                        + " fds on the " + name + " (it carries none)");
            }
            Frame frame = new Frame(kind, tag, body, fds);
            fds.clear(); // the frame owns them now
            return Optional.of(frame);
        } catch (SyscallException e) {
            if (e.is(Errno.ECONNRESET)) {
                return Optional.empty();
            }
            throw e;
        } catch (IllegalStateException e) {
            if (socket.isClosed()) {
                return Optional.empty(); // closed on this side: nothing more to read
            }
            // More fds than any message carries, or fds after a frame's first byte.
            throw new BackendProtocolException(e.getMessage() + " (" + name + ")");
        } finally {
            fds.forEach(OwnedFd::close);
        }
    }

    /**
     * Wakes the reader (it sees end-of-file) and tells the peer we are gone; safe from any
     * thread, at any time, more than once.
     */
    public void shutdown() {
        try {
            socket.shutdown();
        } catch (SyscallException e) {
            // The socket is unusable either way; the reader sees end-of-file or an error.
        }
    }

    /** Shuts down and closes the socket. */
    @Override
    public void close() {
        shutdown();
        socket.close();
    }

    private int read(byte[] into, List<OwnedFd> fds, int maxFds) {
        UnixSocket.Received r = socket.receive(into, 0, into.length, maxFds);
        fds.addAll(r.fds());
        return r.bytes();
    }

    /** Later pieces of a frame: fds come only with a frame's first byte. */
    private int read(byte[] into, int offset, List<OwnedFd> fds) {
        UnixSocket.Received r = socket.receive(into, offset, into.length - offset, 0);
        fds.addAll(r.fds());
        return r.bytes();
    }

    private BackendProtocolException cutOff(int got, int expected, String what) {
        return new BackendProtocolException("the " + name + " closed after " + got + " of "
                + expected + " bytes of a frame (in its " + what + ")");
    }
}
