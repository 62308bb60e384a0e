// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

/** Process exit codes of kvmdp. */
public final class ExitCodes {
    public static final int OK = 0;
    /** The run itself failed (migration error, benchmark failure). */
    public static final int FAILED = 1;
    /** Bad flags or flag combination (picocli's usage code). */
    public static final int USAGE = 2;
    /** Valid request that needs a VM driver this build does not have yet. */
    public static final int NOT_WIRED = 3;

    private ExitCodes() {}
}
