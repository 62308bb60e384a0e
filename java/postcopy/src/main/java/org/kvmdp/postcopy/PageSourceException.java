// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

/** A page source could not deliver: I/O error, lost connection, protocol violation. */
public class PageSourceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PageSourceException(String message) {
        super(message);
    }

    public PageSourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
