// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.Arrays;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.Mechanism;
import org.kvmdp.postcopy.Pages;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Cross-option rules shared by bench and migrate; each failure names the option and the fix. */
final class UsageChecks {
    static final int MAX_VCPUS = 512;

    private final CommandSpec spec;

    UsageChecks(CommandSpec spec) {
        this.spec = spec;
    }

    /** Fails with exit code 2 and {@code message}. */
    ParameterException fail(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    boolean given(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    void vcpus(int vcpus) {
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw fail("--vcpus must be 1.." + MAX_VCPUS + ", got " + vcpus);
        }
    }

    void memory(long bytes, Backing backing) {
        long page = Math.max(Pages.SIZE, backing.pageSize());
        if (bytes <= 0) {
            throw fail("--memory must be more than 0");
        }
        if (bytes % page != 0) {
            throw fail("--memory " + Sizes.format(bytes) + " is not a multiple of "
                    + Converters.label(backing) + "'s " + Sizes.format(page) + " page: pick "
                    + Sizes.format((bytes / page + 1) * page));
        }
    }

    void mechanismFitsBacking(Mechanism mechanism, Backing backing) {
        if (mechanism.needsSharedMemory() && !backing.isShared()) {
            throw fail(mechanism.label() + " needs shared memory: pick --backing "
                    + Converters.labels(Arrays.stream(Backing.values()).filter(Backing::isShared)
                            .toArray(Backing[]::new))
                    + " (--backing is " + Converters.label(backing) + ")");
        }
    }

    /** A valid request this build cannot run yet: says why and exits 3, having run nothing. */
    static int notWiredYet(CommandSpec spec, String what, String why) {
        spec.commandLine().getErr().println("kvmdp " + spec.name() + ": options are valid ("
                + what + "), but this combination is not wired to a VM driver yet: " + why
                + ". Nothing was run.");
        return ExitCodes.NOT_WIRED;
    }
}
