// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.Pages;

/** The messages of the page protocol (see {@link Wire}), each knowing its body encoding. */
public sealed interface Message {
    MessageType type();

    int bodyLength();

    void writeBody(DataOutput out) throws IOException;

    /** Client to server, first message on a connection. */
    record Hello(int magic, int version, byte channel) implements Message {
        public MessageType type() {
            return MessageType.HELLO;
        }

        public int bodyLength() {
            return 9;
        }

        public void writeBody(DataOutput out) throws IOException {
            out.writeInt(magic);
            out.writeInt(version);
            out.writeByte(channel);
        }
    }

    /**
     * Server to client, answer to HELLO: what image it serves, and the session (a random
     * number the server drew at start) so that a client reconnecting after a drop knows it
     * reached the same source, with the same state, again.
     */
    record Welcome(int magic, int version, int pageSize, long imageBytes, long session)
            implements Message {
        public MessageType type() {
            return MessageType.WELCOME;
        }

        public int bodyLength() {
            return 28;
        }

        public void writeBody(DataOutput out) throws IOException {
            out.writeInt(magic);
            out.writeInt(version);
            out.writeInt(pageSize);
            out.writeLong(imageBytes);
            out.writeLong(session);
        }
    }

    /**
     * Client to server: the destination needs nothing more (it has every page, or gave up).
     * A connection that ends without it may come back (the network dropped).
     */
    record Goodbye() implements Message {
        public MessageType type() {
            return MessageType.GOODBYE;
        }

        public int bodyLength() {
            return 0;
        }

        public void writeBody(DataOutput out) {
            // No body.
        }
    }

    record PagesRequest(long id, PageRun run, boolean urgent) implements Message {
        public MessageType type() {
            return MessageType.PAGES_REQUEST;
        }

        public int bodyLength() {
            return 21;
        }

        public void writeBody(DataOutput out) throws IOException {
            out.writeLong(id);
            out.writeLong(run.first());
            out.writeInt(run.count());
            out.writeByte(urgent ? Wire.FLAG_URGENT : 0);
        }
    }

    /** The pages of one request; {@code data} holds {@code run.bytes()} bytes. */
    record PagesData(long id, PageRun run, ByteBuffer data) implements Message {
        public MessageType type() {
            return MessageType.PAGES;
        }

        public int bodyLength() {
            return 20 + run.bytes();
        }

        public void writeBody(DataOutput out) throws IOException {
            out.writeLong(id);
            out.writeLong(run.first());
            out.writeInt(run.count());
            ByteBuffer d = data.duplicate();
            if (d.hasArray()) {
                out.write(d.array(), d.arrayOffset() + d.position(), run.bytes());
            } else {
                byte[] copy = new byte[run.bytes()];
                d.get(copy);
                out.write(copy);
            }
        }
    }

    record ChecksumsRequest(long id, PageRun run) implements Message {
        public MessageType type() {
            return MessageType.CHECKSUMS_REQUEST;
        }

        public int bodyLength() {
            return 20;
        }

        public void writeBody(DataOutput out) throws IOException {
            out.writeLong(id);
            out.writeLong(run.first());
            out.writeInt(run.count());
        }
    }

    /** CRC32C of each page of {@code run}. */
    record Checksums(long id, PageRun run, int[] crcs) implements Message {
        public MessageType type() {
            return MessageType.CHECKSUMS;
        }

        public int bodyLength() {
            return 20 + 4 * crcs.length;
        }

        public void writeBody(DataOutput out) throws IOException {
            out.writeLong(id);
            out.writeLong(run.first());
            out.writeInt(run.count());
            for (int crc : crcs) {
                out.writeInt(crc);
            }
        }
    }

    /** A refused request ({@code id} != 0) or a connection-level error ({@code id} == 0). */
    record Failure(long id, String text) implements Message {
        public Failure {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            if (utf8.length > Wire.MAX_ERROR_TEXT_BYTES) {
                text = new String(utf8, 0, Wire.MAX_ERROR_TEXT_BYTES, StandardCharsets.UTF_8);
            }
        }

        public MessageType type() {
            return MessageType.ERROR;
        }

        public int bodyLength() {
            return 10 + utf8().length;
        }

        public void writeBody(DataOutput out) throws IOException {
            byte[] utf8 = utf8();
            out.writeLong(id);
            out.writeShort(utf8.length);
            out.write(utf8);
        }

        private byte[] utf8() {
            return text.getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Client to server: send the device state. */
    record StateRequest(long id) implements Message {
        public MessageType type() {
            return MessageType.STATE_REQUEST;
        }

        public int bodyLength() {
            return 8;
        }

        public void writeBody(DataOutput out) throws IOException {
            out.writeLong(id);
        }
    }

    /** The source's device state, opaque to the page protocol. */
    record State(long id, byte[] state) implements Message {
        public MessageType type() {
            return MessageType.STATE;
        }

        public int bodyLength() {
            return 12 + state.length;
        }

        public void writeBody(DataOutput out) throws IOException {
            out.writeLong(id);
            out.writeInt(state.length);
            out.write(state);
        }
    }

    /** Parses a body whose length {@link MessageType#checkBodyLength} already accepted. */
    static Message decode(MessageType type, ByteBuffer body) {
        switch (type) {
            case HELLO:
                return new Hello(body.getInt(), body.getInt(), body.get());
            case WELCOME:
                return new Welcome(body.getInt(), body.getInt(), body.getInt(), body.getLong(),
                        body.getLong());
            case PAGES_REQUEST: {
                long id = body.getLong();
                PageRun run = run(type, body.getLong(), body.getInt(), Wire.MAX_PAGES_PER_MESSAGE);
                return new PagesRequest(id, run, (body.get() & Wire.FLAG_URGENT) != 0);
            }
            case PAGES: {
                long id = body.getLong();
                PageRun run = run(type, body.getLong(), body.getInt(), Wire.MAX_PAGES_PER_MESSAGE);
                expectRemaining(type, body, (long) run.count() * Pages.SIZE, run);
                return new PagesData(id, run, body.slice());
            }
            case CHECKSUMS_REQUEST: {
                long id = body.getLong();
                return new ChecksumsRequest(id, run(type, body.getLong(), body.getInt(),
                        Wire.MAX_CHECKSUMS_PER_MESSAGE));
            }
            case CHECKSUMS: {
                long id = body.getLong();
                PageRun run = run(type, body.getLong(), body.getInt(),
                        Wire.MAX_CHECKSUMS_PER_MESSAGE);
                expectRemaining(type, body, 4L * run.count(), run);
                int[] crcs = new int[run.count()];
                body.asIntBuffer().get(crcs);
                return new Checksums(id, run, crcs);
            }
            case ERROR: {
                long id = body.getLong();
                int length = body.getShort() & 0xffff;
                if (length != body.remaining()) {
                    throw new ProtocolException("ERROR text claims " + length + " bytes, "
                            + body.remaining() + " follow");
                }
                byte[] utf8 = new byte[length];
                body.get(utf8);
                return new Failure(id, new String(utf8, StandardCharsets.UTF_8));
            }
            case STATE_REQUEST:
                return new StateRequest(body.getLong());
            case GOODBYE:
                return new Goodbye();
            case STATE: {
                long id = body.getLong();
                int length = body.getInt();
                if (length != body.remaining()) {
                    throw new ProtocolException("STATE claims " + length + " bytes, "
                            + body.remaining() + " follow");
                }
                byte[] state = new byte[length];
                body.get(state);
                return new State(id, state);
            }
            default:
                throw new AssertionError(type);
        }
    }

    private static PageRun run(MessageType type, long first, int count, int max) {
        if (first < 0 || count <= 0 || count > max) {
            throw new ProtocolException(type + " asks for a bad page run: first " + first
                    + ", count " + count + " (1.." + max + ")");
        }
        return new PageRun(first, count);
    }

    private static void expectRemaining(MessageType type, ByteBuffer body, long expected,
            PageRun run) {
        if (body.remaining() != expected) {
            throw new ProtocolException(type + " for pages " + run + " carries "
                    + body.remaining() + " bytes of data, expected " + expected);
        }
    }
}
