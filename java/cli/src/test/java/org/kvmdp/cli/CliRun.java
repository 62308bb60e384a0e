// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

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

    /** The same through the fault-injecting test launcher. */
    static CliRun withFaults(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = FaultInjectingMain.run(new PrintWriter(out, true), new PrintWriter(err, true),
                args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
