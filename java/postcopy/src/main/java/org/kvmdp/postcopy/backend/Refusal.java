// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

/** Why the VMM refused a NEED (the code in a REFUSED message). Nothing changed either way. */
public enum Refusal {
    /** The pages are not all inside guest memory. */
    OUT_OF_RANGE(1),
    /** A count of 0 or above {@link BackendProtocol#MAX_PAGES_PER_NEED}, or reserved bits set. */
    BAD_REQUEST(2),
    /** Already {@link BackendProtocol#MAX_OUTSTANDING_NEEDS} in service: ask again later. */
    BUSY(3),
    /** The migration failed, or the pages did not arrive within the page timeout. */
    MIGRATION_FAILED(4);

    private final int code;

    Refusal(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The name of refusal {@code code}, or "refusal N" for a code this side does not know. */
    public static String describe(int code) {
        for (Refusal r : values()) {
            if (r.code == code) {
                return r.name();
            }
        }
        return "refusal " + code;
    }
}
