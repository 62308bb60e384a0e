// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.kvmdp.postcopy.backend.DeviceBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kvmdp device-backend}: the block device served from its own process. */
@Command(name = "device-backend", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Serves the demo block device of a kvmdp migrate destination (the VMM)"
                + " from this process, vhost-user style. The VMM starts it (kvmdp migrate"
                + " --device-backend process); it connects to --socket, gets the guest memfd,"
                + " the shared page state and a page channel over it (SCM_RIGHTS), and serves"
                + " each doorbell the guest rings, asking the VMM for pages that have not"
                + " arrived. It never gets the demand-paging fd: the VMM stays the only"
                + " installer of pages.",
                "Exits 0 when the VMM says goodbye, 1 (saying why on stderr) if the VMM goes"
                        + " away or breaks the protocol."})
final class DeviceBackendCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--socket", required = true, paramLabel = "PATH",
            description = "The VMM's UNIX socket.")
    Path socket;

    /** What runs the backend: a test launcher (FaultInjectingMain) runs a faulty one. */
    @FunctionalInterface
    interface Runner {
        int run(DeviceBackend.Options options, PrintWriter out, PrintWriter err);
    }

    Runner runner = DeviceBackend::run;

    @Override
    public Integer call() {
        return runner.run(new DeviceBackend.Options(socket), spec.commandLine().getOut(),
                spec.commandLine().getErr());
    }
}
