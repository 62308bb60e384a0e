// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

/**
 * Recognises the two ways QEMU's nested SVM under multi-threaded TCG has been seen to break a
 * nested guest, with or without the demand-paging series (README, "The test VM"): the guest
 * resumes with its host's state and spins outside its program ({@link GuestRip}), or it
 * triple faults with its registers at reset values (rip 0xfff0). Runs that fail this way may
 * be rerun a bounded number of times, saying so; any other failure stands.
 */
public final class EmulatorDefect {
    private EmulatorDefect() {}

    /** Whether {@code failure}, or any of its causes, is one of the two signatures. */
    public static boolean is(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ExitLoop.GuestStateLostException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && m.contains("unexpected exit Shutdown") && m.contains("rip=0xfff0 ")) {
                return true;
            }
        }
        return false;
    }
}
