// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.Mechanism;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kvmdp migrate}: post-copy migration of a running guest over TCP. */
@Command(name = "migrate", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Post-copy migration of a guest over TCP.", "Start the source first:",
                "  kvmdp migrate --role source --listen 127.0.0.1:4444 [--image FILE]",
                "  kvmdp migrate --role destination --connect 127.0.0.1:4444 --mechanism kvm",
                "The source serves --image (a saved guest memory image) or, without it, the"
                        + " memory of a test guest it runs with --vcpus and --memory.",
                "The destination runs the guest while pages arrive, faulting them in with"
                        + " --mechanism; --mechanism, --backing, --connect are destination options."})
final class MigrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--role", required = true, paramLabel = "ROLE",
            converter = Role.Converter.class, completionCandidates = Role.Names.class,
            description = "${COMPLETION-CANDIDATES}.")
    Role role;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            converter = Converters.HostPortConverter.class,
            description = "Source: address to serve pages on (port 0: any free port).")
    HostPort listen;

    @Option(names = "--connect", paramLabel = "HOST:PORT",
            converter = Converters.HostPortConverter.class,
            description = "Destination: the source's address.")
    HostPort connect;

    @Option(names = "--image", paramLabel = "FILE",
            description = "Source: a saved guest memory image to serve.")
    Path image;

    @Option(names = "--mechanism", paramLabel = "MECHANISM", defaultValue = "kvm",
            converter = Converters.MechanismConverter.class,
            completionCandidates = Converters.MechanismNames.class,
            description = "Destination: kvm, uffd-missing or uffd-minor.")
    MechanismChoice mechanism;

    @Option(names = "--backing", paramLabel = "BACKING", defaultValue = "anonymous",
            converter = Converters.BackingConverter.class,
            completionCandidates = Converters.BackingNames.class,
            description = "Guest memory: ${COMPLETION-CANDIDATES}.")
    Backing backing;

    @Option(names = "--vcpus", paramLabel = "N", description = "vCPUs of the guest, 1..512.")
    int vcpus = 1;

    @Option(names = "--memory", paramLabel = "SIZE", converter = Converters.SizeConverter.class,
            defaultValue = "64M", description = "Guest memory per vCPU (suffix K, M, G).")
    long memoryPerVcpu;

    @Override
    public Integer call() {
        UsageChecks checks = new UsageChecks(spec);
        if (role == Role.SOURCE) {
            checkSource(checks);
        } else {
            checkDestination(checks);
        }
        checks.vcpus(vcpus);
        checks.memory(memoryPerVcpu, backing);
        return UsageChecks.notWiredYet(spec, role == Role.SOURCE
                ? "source on " + listen + (image != null ? " serving " + image : "")
                : "destination from " + connect + " with " + mechanism + " on "
                        + Converters.label(backing));
    }

    private void checkSource(UsageChecks checks) {
        if (listen == null) {
            throw checks.fail("--role source needs --listen HOST:PORT (where destinations connect)");
        }
        if (connect != null) {
            throw checks.fail("--connect is for --role destination; the source listens (--listen)");
        }
        for (String option : new String[] {"--mechanism", "--backing"}) {
            if (checks.given(option)) {
                throw checks.fail(option + " is for --role destination (how it takes faults);"
                        + " drop it from the source");
            }
        }
        if (image != null) {
            for (String option : new String[] {"--vcpus", "--memory"}) {
                if (checks.given(option)) {
                    throw checks.fail(option + " conflicts with --image: the source serves the"
                            + " image as it is; drop " + option);
                }
            }
        }
    }

    private void checkDestination(UsageChecks checks) {
        if (connect == null) {
            throw checks.fail("--role destination needs --connect HOST:PORT (the source's --listen)");
        }
        if (listen != null) {
            throw checks.fail("--listen is for --role source; the destination connects (--connect)");
        }
        if (image != null) {
            throw checks.fail("--image is for --role source (the image it serves); the"
                    + " destination gets memory over --connect");
        }
        if (connect.port() == 0) {
            throw checks.fail("--connect " + connect + ": port 0 is only for --listen");
        }
        if (mechanism.allSelected() || mechanism.single() == Mechanism.NONE) {
            throw checks.fail("--mechanism " + mechanism + ": migrate runs one demand-paging"
                    + " mechanism: pick kvm, uffd-missing or uffd-minor");
        }
        checks.mechanismFitsBacking(mechanism.single(), backing);
    }
}
