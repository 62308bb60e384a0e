// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import org.kvmdp.postcopy.PageSourceException;

/** The peer broke the page protocol: short, oversized, unknown or unexpected message. */
public final class ProtocolException extends PageSourceException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }
}
