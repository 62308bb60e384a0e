// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.io.PrintStream;
import java.util.Objects;
import java.util.function.Consumer;

/** Prints each progress report as one line (the CLI points it at stderr). */
public final class ProgressPrinter implements Consumer<MigrationProgress> {
    private final PrintStream out;

    public ProgressPrinter(PrintStream out) {
        this.out = Objects.requireNonNull(out, "out");
    }

    @Override
    public void accept(MigrationProgress progress) {
        out.println(progress);
    }
}
