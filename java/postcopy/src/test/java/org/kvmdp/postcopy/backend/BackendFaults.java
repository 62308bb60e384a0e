// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.io.PrintWriter;
import java.util.List;

/**
 * Fault injection for the device backend and its VMM, a test fixture (this module's
 * test-jar): the engine ships none of it, only the package-private seams used here. Faults
 * happen after counted page requests, never after a delay, so what a test sees does not
 * depend on timing.
 */
public final class BackendFaults {
    /** The backend process's option for {@link #runBackend}. */
    public static final String STALL_OPTION = "--stall-after-pages";

    private BackendFaults() {}

    /**
     * {@code plain}, a device-backend process, with faults: the backend (which must run
     * {@link #runBackend} to understand it) stalls after {@code stallAfterPages} answered page
     * requests, and the VMM holds the backend's page requests after {@code holdPagesAfter}
     * unanswered; -1 turns either off (both off: {@code plain} as it is).
     */
    public static DeviceBackendOptions withFaults(DeviceBackendOptions plain,
            long stallAfterPages, long holdPagesAfter) {
        checkStall(stallAfterPages);
        if (stallAfterPages == -1 && holdPagesAfter == -1) {
            return plain;
        }
        // withInjectedFaults checks holdPagesAfter, and that plain is a process.
        List<String> arguments = stallAfterPages < 0 ? List.of()
                : List.of(STALL_OPTION, String.valueOf(stallAfterPages));
        return plain.withInjectedFaults(arguments, holdPagesAfter);
    }

    /**
     * Runs the backend like {@link DeviceBackend#run}; with {@code stallAfterPages} >= 1,
     * after that many answered page requests it stops in the middle of its device request and
     * holds still until killed (or until the VMM goes away), so a test can kill it at a known
     * point.
     */
    public static int runBackend(DeviceBackend.Options options, long stallAfterPages,
            PrintWriter out, PrintWriter err) {
        checkStall(stallAfterPages);
        if (stallAfterPages < 0) {
            return DeviceBackend.run(options, out, err);
        }
        return DeviceBackend.run(options, (answered, pages, say) -> {
            if (answered != stallAfterPages) {
                return;
            }
            say.accept("device-backend: stalled after " + stallAfterPages + " page requests"
                    + " (fault injection), in the middle of a device request; waiting to be"
                    + " killed");
            try {
                pages.awaitEnd();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw pages.ended().orElseGet(() -> new PeerGoneException("interrupted while"
                    + " stalled"));
        }, out, err);
    }

    private static void checkStall(long stallAfterPages) {
        if (stallAfterPages < -1 || stallAfterPages == 0) {
            throw new IllegalArgumentException("stallAfterPages is -1 (off) or >= 1, got "
                    + stallAfterPages);
        }
    }
}
