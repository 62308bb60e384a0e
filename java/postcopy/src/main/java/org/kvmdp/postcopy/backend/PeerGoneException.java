// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

/**
 * The other process closed its end (it exited, was killed, or hung up): end-of-file, EPIPE
 * or ECONNRESET. Whatever waited for its answer gets this instead of waiting forever.
 */
public class PeerGoneException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PeerGoneException(String message) {
        super(message);
    }

    public PeerGoneException(String message, Throwable cause) {
        super(message, cause);
    }
}
