// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One run of the CLI in-process, with what it printed. */
record CliRun(int exitCode, String out, String err) {
    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Exit 2, {@code message} and the pointer to --help on stderr, nothing on stdout. */
    void assertUsageError(String message) {
        assertThat(exitCode).as(err).isEqualTo(ExitCodes.USAGE);
        assertThat(err).contains(message).contains("--help' for the options");
        assertThat(out).isEmpty();
    }

    /** The same through the fault-injecting test launcher. */
    static CliRun withFaults(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = FaultInjectingMain.run(new PrintWriter(out, true), new PrintWriter(err, true),
                args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
