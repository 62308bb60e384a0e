// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Writes whole frames; one writer per connection, shared by threads (each frame atomic). */
final class FrameWriter {
    private final DataOutputStream out;

    FrameWriter(OutputStream stream) {
        this.out = new DataOutputStream(new BufferedOutputStream(stream, 64 * 1024));
    }

    synchronized void write(Message message) throws IOException {
        out.writeByte(message.type().code());
        out.writeInt(message.bodyLength());
        message.writeBody(out);
        out.flush();
    }
}
