// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

/** The VMM answered a NEED with REFUSED: the code and the VMM's reason. Nothing changed. */
public class PagesRefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;

    public PagesRefusedException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** The {@link Refusal} code. */
    public int code() {
        return code;
    }

    public boolean is(Refusal refusal) {
        return code == refusal.code();
    }
}
