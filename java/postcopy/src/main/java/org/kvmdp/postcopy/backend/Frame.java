// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;
import org.kvmdp.nativeio.OwnedFd;

/** One received message: its kind, tag, body and (SETUP only) the fds that came with it. */
public record Frame(MessageKind kind, int tag, byte[] body, List<OwnedFd> fds) {
    public Frame {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(body, "body");
        fds = List.copyOf(fds);
    }

    /** The body, little-endian, to read fields from. */
    public ByteBuffer bodyBuffer() {
        return ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Header and body as they go on the wire. */
    static byte[] encode(MessageKind kind, int tag, byte[] body) {
        if (!kind.bodyFits(body.length)) {
            throw new IllegalArgumentException(kind + " with a body of " + body.length
                    + " bytes");
        }
        return ByteBuffer.allocate(BackendProtocol.HEADER_BYTES + body.length)
                .order(ByteOrder.LITTLE_ENDIAN).putInt(kind.code()).putInt(tag)
                .putInt(body.length).put(body).array();
    }
}
