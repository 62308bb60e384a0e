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
    /**
     * The test VM's emulator broke the nested guest (a known QEMU defect, README "The test
     * VM"), not the run: repeating it is what scripts do (postcopy-demo.sh).
     */
    public static final int EMULATOR_DEFECT = 4;

    private ExitCodes() {}
}
