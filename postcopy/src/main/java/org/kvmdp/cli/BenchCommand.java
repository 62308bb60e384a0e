// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.Mechanism;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kvmdp bench}: demand-paging rate and latency, like the kernel's demand_paging_test. */
@Command(name = "bench", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Every vCPU touches each page of its own memory once while pages come"
                + " from a source; prints pages/s and fault latency percentiles per mechanism.",
                "uffd-minor needs shared memory (shmem, hugetlb2m, hugetlb1g); with --mechanism all"
                + " on private memory it is left out, not an error."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--vcpus", paramLabel = "N", description = "vCPUs, 1..512.")
    int vcpus = 1;

    @Option(names = "--memory", paramLabel = "SIZE", converter = Converters.SizeConverter.class,
            defaultValue = "64M",
            description = "Memory per vCPU (suffix K, M, G); a multiple of the backing's page.")
    long memoryPerVcpu;

    @Option(names = "--backing", paramLabel = "BACKING", defaultValue = "anonymous",
            converter = Converters.BackingConverter.class,
            completionCandidates = Converters.BackingNames.class,
            description = "Guest memory: ${COMPLETION-CANDIDATES}.")
    Backing backing;

    @Option(names = "--mechanism", paramLabel = "MECHANISM", defaultValue = "all",
            converter = Converters.MechanismConverter.class,
            completionCandidates = Converters.MechanismNames.class,
            description = "Demand-paging mechanism: ${COMPLETION-CANDIDATES}.")
    MechanismChoice mechanism;

    @Option(names = "--access", paramLabel = "ACCESS", defaultValue = "write",
            converter = AccessPattern.Converter.class,
            completionCandidates = AccessPattern.Names.class,
            description = "How each page is touched: ${COMPLETION-CANDIDATES}.")
    AccessPattern access;

    @Option(names = "--source", paramLabel = "SOURCE", defaultValue = "memory",
            converter = SourceKind.Converter.class, completionCandidates = SourceKind.Names.class,
            description = "Where pages come from: ${COMPLETION-CANDIDATES} (tcp: a page server"
                    + " on 127.0.0.1). Ignored by --mechanism none.")
    SourceKind source;

    @Option(names = "--image", paramLabel = "FILE",
            description = "Image file for --source file (default: a temporary file).")
    Path image;

    @Option(names = "--json", description = "Results as JSON instead of a table.")
    boolean json;

    @Option(names = "--csv", description = "Results as CSV instead of a table.")
    boolean csv;

    @Override
    public Integer call() {
        UsageChecks checks = new UsageChecks(spec);
        checks.vcpus(vcpus);
        checks.memory(memoryPerVcpu, backing);
        if (!mechanism.allSelected()) {
            checks.mechanismFitsBacking(mechanism.single(), backing);
        }
        if (mechanism.mechanisms().equals(List.of(Mechanism.NONE)) && checks.given("--source")) {
            throw checks.fail("--source has no effect with --mechanism none (nothing is fetched):"
                    + " drop --source or pick another mechanism");
        }
        if (image != null && source != SourceKind.FILE) {
            throw checks.fail("--image is read only with --source file (--source is "
                    + source.label() + ")");
        }
        if (json && csv) {
            throw checks.fail("--json and --csv are exclusive: pick one");
        }
        return UsageChecks.notWiredYet(spec, String.format(
                "%d vCPU(s) x %s %s, mechanisms %s, %s access, pages from %s", vcpus,
                Sizes.format(memoryPerVcpu), Converters.label(backing), runnable().stream()
                        .map(Mechanism::label).collect(Collectors.joining(",")),
                access.label(), source.label()));
    }

    /** The mechanisms this run would measure: "all" leaves out what the backing forbids. */
    List<Mechanism> runnable() {
        return mechanism.mechanisms().stream()
                .filter(m -> !m.needsSharedMemory() || backing.isShared())
                .collect(Collectors.toList());
    }
}
