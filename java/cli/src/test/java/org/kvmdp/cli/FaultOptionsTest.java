// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The test launcher's fault options are refused where they do not fit, exit 2, as kvmdp's. */
class FaultOptionsTest {
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "migrate --role destination --connect 10.0.0.2:4444 --stall-after-pages 3 | --stall-after-pages is for --role source",
        "migrate --role destination --connect 10.0.0.2:4444 --hold-after-pages 3 | --hold-after-pages is for --role source",
        "migrate --role source --listen h:1 --stall-after-pages 3 --hold-after-pages 3 | --stall-after-pages and --hold-after-pages: pick one",
        "migrate --role source --listen h:1 --hold-after-pages -2 | --hold-after-pages must be 0 or more, got -2",
        "migrate --role source --listen h:1 --backend-stall-after-pages 1 | --backend-stall-after-pages is for --role destination",
        "migrate --role destination --connect 10.0.0.2:4444 --backend-hold-pages-after 1 | --backend-hold-pages-after is for --device-backend process",
        "migrate --role destination --connect 10.0.0.2:4444 --backing shmem --device-backend process --backend-stall-after-pages 0 | --backend-stall-after-pages must be 1 or more, got 0",
        "migrate --role destination --connect 10.0.0.2:4444 --backing shmem --device-backend process --backend-hold-pages-after -2 | --backend-hold-pages-after must be 0 or more, got -2",
        "migrate --role destination --connect 10.0.0.2:4444 --vcpus 2 | --vcpus is for --role source",
        "device-backend --socket /nowhere --stall-after-pages 0 | --stall-after-pages must be 1 or more, got 0",
    })
    void badFaultOptionsExit2NamingTheProblem(String args, String message) {
        CliRun.withFaults(args.trim().split("\\s+")).assertUsageError(message);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "migrate --help | --hold-after-pages",
        "migrate --help | --backend-stall-after-pages",
        "device-backend --help | --stall-after-pages",
    })
    void theLauncherShowsItsFaultOptionsWhereKvmdpHasNone(String args, String option) {
        assertThat(CliRun.withFaults(args.split(" ")).out()).contains(option);
        assertThat(CliRun.of(args.split(" ")).out()).contains("Usage").doesNotContain(option);
    }
}
