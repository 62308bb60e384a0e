// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code kvmdp info}: kernel, /dev/kvm, demand-paging capability, huge page pools. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "What this host offers: kernel release, /dev/kvm, KVM_CAP_DEMAND_PAGING,"
                + " huge page pools, which memory backings work. Problems are reported, not fatal.")
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        HostProbe.lines().forEach(spec.commandLine().getOut()::println);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
