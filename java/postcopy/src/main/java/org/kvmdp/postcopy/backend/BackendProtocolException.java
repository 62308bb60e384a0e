// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

/**
 * The other process broke the protocol (an unknown message, a bad length, a frame cut off,
 * fds where none belong): the connection is not trusted any further.
 */
public class BackendProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BackendProtocolException(String message) {
        super(message);
    }
}
