// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.io.PrintWriter;
import org.kvmdp.postcopy.backend.BackendFaults;
import org.kvmdp.postcopy.backend.DeviceBackendOptions;
import org.kvmdp.postcopy.migrate.MigrationSource;
import org.kvmdp.postcopy.migrate.StallingPageSource;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * kvmdp with fault injection, for tests and the demo's recovery step (a test fixture in this
 * module's test-jar; kvmdp itself has none of these options). {@code migrate} gains
 * {@code --stall-after-pages} and {@code --hold-after-pages} (source) and
 * {@code --backend-stall-after-pages} and {@code --backend-hold-pages-after} (destination with
 * {@code --device-backend process}, whose backend then runs this main too);
 * {@code device-backend} gains {@code --stall-after-pages}. Faults happen after counted pages,
 * never after a delay, so what a test sees does not depend on timing.
 */
public final class FaultInjectingMain {
    private FaultInjectingMain() {}

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true),
                args));
    }

    /** Like {@link Main#run}, with the fault options. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = Main.commandLine(out, err);
        CommandLine migrate = cli.getSubcommands().get("migrate");
        MigrateFaultOptions migrateFaults = new MigrateFaultOptions();
        migrate.addMixin("faults", migrateFaults);
        ((MigrateCommand) migrate.getCommand()).faults = migrateFaults;
        CommandLine backend = cli.getSubcommands().get("device-backend");
        BackendFaultOptions backendFaults = new BackendFaultOptions();
        backend.addMixin("faults", backendFaults);
        DeviceBackendCommand backendCommand = (DeviceBackendCommand) backend.getCommand();
        backendCommand.runner = (options, backendOut, backendErr) -> BackendFaults.runBackend(
                options, backendFaults.stallAfterPages(new UsageChecks(backend.getCommandSpec())),
                backendOut, backendErr);
        return cli.execute(args);
    }

    /** kvmdp migrate's fault options. */
    static final class MigrateFaultOptions implements MigrateFaults {
        @Option(names = "--stall-after-pages", paramLabel = "PAGES", defaultValue = "-1",
                description = "Source, fault injection: stop answering after this many pages.")
        long stallAfterPages;

        @Option(names = "--hold-after-pages", paramLabel = "PAGES", defaultValue = "-1",
                description = "Source, fault injection: hold pages after this many until the"
                        + " destination has reconnected (it must drop its connection to finish).")
        long holdAfterPages;

        @Option(names = "--backend-stall-after-pages", paramLabel = "PAGES", defaultValue = "-1",
                description = "Destination, fault injection: the device backend stops after"
                        + " this many answered page requests until killed.")
        long backendStallAfterPages;

        @Option(names = "--backend-hold-pages-after", paramLabel = "PAGES", defaultValue = "-1",
                description = "Destination, fault injection: leave the device backend's page"
                        + " requests after this many unanswered.")
        long backendHoldPagesAfter;

        @Override
        public void check(UsageChecks checks, Role role, DeviceBackendOptions.Mode deviceBackend) {
            String[] source = {"--stall-after-pages", "--hold-after-pages"};
            String[] destination = {"--backend-stall-after-pages", "--backend-hold-pages-after"};
            for (String option : role == Role.SOURCE ? destination : source) {
                if (checks.given(option)) {
                    throw checks.fail(option + " is for --role "
                            + (role == Role.SOURCE ? "destination" : "source"));
                }
            }
            if (role == Role.SOURCE) {
                if (stallAfterPages >= 0 && holdAfterPages >= 0) {
                    throw checks.fail("--stall-after-pages and --hold-after-pages: pick one");
                }
                requireCountIfGiven(checks, source[0], stallAfterPages);
                requireCountIfGiven(checks, source[1], holdAfterPages);
                return;
            }
            if (deviceBackend == DeviceBackendOptions.Mode.IN_PROCESS) {
                for (String option : destination) {
                    if (checks.given(option)) {
                        throw checks.fail(option + " is for --device-backend process");
                    }
                }
            }
            if (backendStallAfterPages < -1 || backendStallAfterPages == 0) {
                throw checks.fail("--backend-stall-after-pages must be 1 or more, got "
                        + backendStallAfterPages);
            }
            if (backendHoldPagesAfter < -1) {
                throw checks.fail("--backend-hold-pages-after must be 0 or more, got "
                        + backendHoldPagesAfter);
            }
        }

        private static void requireCountIfGiven(UsageChecks checks, String option, long pages) {
            if (checks.given(option) && pages < 0) {
                throw checks.fail(option + " must be 0 or more, got " + pages);
            }
        }

        @Override
        public MigrationSource.ImageWrapper sourceImage() {
            return stallAfterPages >= 0 ? StallingPageSource.stallAfter(stallAfterPages)
                    : holdAfterPages >= 0 ? StallingPageSource.holdUntilReconnectAfter(holdAfterPages)
                    : MigrationSource.ImageWrapper.NONE;
        }

        @Override
        public DeviceBackendOptions backend(DeviceBackendOptions plain) {
            return BackendFaults.withFaults(plain, backendStallAfterPages,
                    backendHoldPagesAfter);
        }

        @Override
        public String backendMainClass() {
            return FaultInjectingMain.class.getName();
        }
    }

    /** kvmdp device-backend's fault option. */
    static final class BackendFaultOptions {
        @Option(names = BackendFaults.STALL_OPTION, paramLabel = "N", defaultValue = "-1",
                description = "Fault injection: stop after N answered page requests, in the"
                        + " middle of a device request, until killed.")
        long stallAfterPages;

        long stallAfterPages(UsageChecks checks) {
            if (stallAfterPages < -1 || stallAfterPages == 0) {
                throw checks.fail("--stall-after-pages must be 1 or more, got " + stallAfterPages);
            }
            return stallAfterPages;
        }
    }
}
