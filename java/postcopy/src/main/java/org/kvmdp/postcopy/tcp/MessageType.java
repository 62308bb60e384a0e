// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import org.kvmdp.postcopy.Pages;

/** The frame types and the body lengths each may have (checked before the body is read). */
public enum MessageType {
    HELLO(1, 9, 9),
    WELCOME(2, 28, 28),
    PAGES_REQUEST(3, 21, 21),
    PAGES(4, 20, 20 + Wire.MAX_PAGES_PER_MESSAGE * Pages.SIZE),
    CHECKSUMS_REQUEST(5, 20, 20),
    CHECKSUMS(6, 20, 20 + Wire.MAX_CHECKSUMS_PER_MESSAGE * 4),
    ERROR(7, 10, 10 + Wire.MAX_ERROR_TEXT_BYTES),
    STATE_REQUEST(8, 8, 8),
    STATE(9, 12, 12 + Wire.MAX_STATE_BYTES),
    GOODBYE(10, 0, 0);

    private final int code;
    private final int minBody;
    private final int maxBody;

    MessageType(int code, int minBody, int maxBody) {
        this.code = code;
        this.minBody = minBody;
        this.maxBody = maxBody;
    }

    public int code() {
        return code;
    }

    public int maxBody() {
        return maxBody;
    }

    static MessageType of(int code) {
        for (MessageType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new ProtocolException(String.format("unknown message type 0x%02x", code));
    }

    void checkBodyLength(long length) {
        if (length < minBody || length > maxBody) {
            throw new ProtocolException(this + " body length " + length + " outside "
                    + (minBody == maxBody ? "the fixed " + minBody : minBody + ".." + maxBody)
                    + " bytes");
        }
    }
}
