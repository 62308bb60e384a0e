// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/**
 * Reads frames from one connection; one reader thread. The socket's read timeout is a tick:
 * each time it expires {@code onIdle} runs (and may throw to give up), so a silent peer is
 * noticed without losing a half-read frame.
 */
final class FrameReader {
    /**
     * The connection ended inside a frame: a dropped connection, not a malformed message.
     * Nothing of the frame was handed out (a PAGES body is only returned whole).
     */
    static final class CutOff extends IOException {
        private static final long serialVersionUID = 1L;

        CutOff(String message) {
            super(message);
        }
    }

    private final InputStream in;
    private final Runnable onIdle;
    private final byte[] header = new byte[Wire.FRAME_HEADER_BYTES];
    private final byte[] body = new byte[MessageType.PAGES.maxBody()];

    FrameReader(InputStream in, Runnable onIdle) {
        this.in = in;
        this.onIdle = onIdle;
    }

    /**
     * The next message. {@link EOFException} if the peer closed between frames, {@link CutOff}
     * if it closed inside one; a {@link ProtocolException} naming the problem if a frame is
     * too long, of an unknown type or has an inconsistent body. A PAGES message's data is a view of this
     * reader's buffer, valid until the next read.
     */
    Message read() throws IOException {
        int got = readUpTo(header, Wire.FRAME_HEADER_BYTES);
        if (got == 0) {
            throw new EOFException("peer closed the connection");
        }
        if (got < Wire.FRAME_HEADER_BYTES) {
            throw new CutOff("connection closed after " + got + " of "
                    + Wire.FRAME_HEADER_BYTES + " bytes of a frame header");
        }
        ByteBuffer h = ByteBuffer.wrap(header);
        MessageType type = MessageType.of(h.get() & 0xff);
        long length = h.getInt() & 0xffff_ffffL;
        type.checkBodyLength(length);
        int n = (int) length;
        got = readUpTo(body, n);
        if (got < n) {
            throw new CutOff("connection closed after " + got + " of " + n + " bytes of a "
                    + type + " body");
        }
        return Message.decode(type, ByteBuffer.wrap(body, 0, n).slice());
    }

    /** Reads until {@code want} bytes or end of stream; returns how many arrived. */
    private int readUpTo(byte[] into, int want) throws IOException {
        int got = 0;
        while (got < want) {
            int n;
            try {
                n = in.read(into, got, want - got);
            } catch (SocketTimeoutException e) {
                onIdle.run();
                continue;
            }
            if (n < 0) {
                break;
            }
            got += n;
        }
        return got;
    }
}
