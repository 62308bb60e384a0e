// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.kvmdp.guest.MigrateWorkload;
import org.kvmdp.postcopy.migrate.MigrationResult;

/** How a destination's result becomes kvmdp migrate's exit code. */
class MigrateExitCodeTest {
    private static final long PAGES = 8;

    private static MigrationResult result(MigrateWorkload.Result guest, Optional<String> failure,
            boolean emulatorDefect) {
        return new MigrationResult("kvm", "shmem", 1, PAGES, null, guest, 0, 0, 0, true, true, 0,
                0, 0, 0, failure, emulatorDefect);
    }

    private static MigrateWorkload.Result guestChecked(long mismatches) {
        return new MigrateWorkload.Result(List.of(new MigrateWorkload.VcpuResult(0, PAGES,
                mismatches, 1, new byte[0], 0, 1)), 1);
    }

    @Test
    void aMigrationThatMatchedEveryPageIsOk() {
        assertThat(MigrateCommand.exitCode(result(guestChecked(0), Optional.empty(), false)))
                .isEqualTo(ExitCodes.OK);
    }

    @Test
    void aFailureIsOneUnlessTheEmulatorCausedIt() {
        assertThat(MigrateCommand.exitCode(result(null, Optional.of("source died"), false)))
                .isEqualTo(ExitCodes.FAILED);
        assertThat(MigrateCommand.exitCode(result(guestChecked(1), Optional.empty(), false)))
                .as("a mismatch the guest found").isEqualTo(ExitCodes.FAILED);
        assertThat(MigrateCommand.exitCode(result(null,
                Optional.of("vCPU 1 made no exit for PT1M"), true)))
                .isEqualTo(ExitCodes.EMULATOR_DEFECT);
    }

    @Test
    void theResultLineSaysWhetherTheEmulatorBrokeTheGuest() {
        assertThat(result(null, Optional.of("x"), true).resultLine())
                .contains(" emulator_defect=true ");
        assertThat(result(guestChecked(0), Optional.empty(), false).resultLine())
                .startsWith("result: ok=true ").contains(" emulator_defect=false ");
    }
}
