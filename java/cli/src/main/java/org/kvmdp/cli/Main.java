// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code kvmdp}: KVM demand paging from the command line. */
@Command(name = "kvmdp", mixinStandardHelpOptions = true, version = "kvmdp 0.1.0",
        description = "KVM demand paging: host capabilities, benchmarks against userfaultfd,"
                + " post-copy migration.",
        subcommands = {InfoCommand.class, BenchCommand.class, MigrateCommand.class,
                PoisonCommand.class, DeviceBackendCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:the run failed", "2:bad options (the message says which)",
                "3:needs a VM driver this build does not have yet",
                "4:the test VM's emulator broke the nested guest (a QEMU defect; repeat the run)"})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs {@code args}, writing to {@code out}/{@code err}; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return commandLine(out, err).execute(args);
    }

    /** kvmdp's commands, writing to {@code out}/{@code err}, not yet run. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler(Main::usageError);
        return cli;
    }

    /** The problem and where to look, without the whole usage text burying it. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        PrintWriter err = cli.getErr();
        err.println(cli.getCommandSpec().qualifiedName() + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + cli.getCommandSpec().qualifiedName() + " --help' for the options.");
        err.flush();
        return ExitCodes.USAGE;
    }

    /** Without a subcommand: say what there is. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "pick a command: info, bench, migrate or poison (kvmdp help COMMAND for its options)");
    }
}
