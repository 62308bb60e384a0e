// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

/** The post-copy migration cannot finish; the message says why, the cause where it came from. */
public class MigrationFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MigrationFailedException(String message) {
        super(message);
    }

    public MigrationFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
