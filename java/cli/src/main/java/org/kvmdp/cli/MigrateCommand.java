// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.kvmdp.guest.MigrateWorkload;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.Mechanism;
import org.kvmdp.postcopy.backend.DeviceBackendOptions;
import org.kvmdp.postcopy.migrate.MigrationDestination;
import org.kvmdp.postcopy.migrate.MigrationResult;
import org.kvmdp.postcopy.migrate.MigrationSource;
import org.kvmdp.postcopy.tcp.TcpOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kvmdp migrate}: post-copy migration of a running guest over TCP. */
@Command(name = "migrate", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Post-copy migration of a running guest over TCP, source and destination"
                + " in two processes (two hosts, or two network namespaces).",
                "Start the source first:",
                "  kvmdp migrate --role source --listen 127.0.0.1:4444 --vcpus 2 --memory 64M",
                "  kvmdp migrate --role destination --connect 127.0.0.1:4444 --mechanism kvm",
                "The source runs a guest that writes a pattern over all of its memory, stops it"
                        + " at its migration point and serves memory and vCPU registers until the"
                        + " destination hangs up.",
                "The destination resumes the guest at once while pages arrive, faulting them in"
                        + " with --mechanism; the guest makes KVM touch missing pages (kvmclock,"
                        + " an emulated read) and checks every page; every page is checked"
                        + " against the source's CRC32C before the guest sees it.",
                "A dropped connection to a live source pauses the destination's fetches (the"
                        + " vCPUs wait) while it reconnects, up to --reconnect-attempts times with"
                        + " a backoff doubling from --reconnect-backoff-ms, and asks again for"
                        + " what was outstanding; the source keeps the migration's state for"
                        + " --reconnect-wait seconds. A source that is gone (refuses the"
                        + " connection) or retries exhausted fail the migration, vCPUs stopped.",
                "--device-backend process serves the guest's block device from a kvmdp"
                        + " device-backend process the destination starts (guest memory shared"
                        + " as a memfd, pages it needs asked of the destination over a UNIX"
                        + " socket); if it dies the device fails with I/O errors and the"
                        + " migration goes on.",
                "--mechanism, --backing, --connect, --reconnect-*, --device-backend are"
                        + " destination options; --listen, --vcpus, --memory, --reconnect-wait"
                        + " source options."})
final class MigrateCommand implements Callable<Integer> {
    /** The workload's kvmclock and emulated-read pages are the last two of each vCPU's slice. */
    static final long MIN_MEMORY_PER_VCPU = 2 * MigrateWorkload.PAGE;

    @Spec
    CommandSpec spec;

    /** What a test launcher injects; nothing for kvmdp (see {@link MigrateFaults}). */
    MigrateFaults faults = MigrateFaults.NONE;

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
            description = "Source: a saved guest memory image to serve (not supported yet: a"
                    + " memory image alone carries no vCPU state to resume).")
    Path image;

    @Option(names = "--sweep-after-demand", paramLabel = "PAGES", defaultValue = "0",
            description = "Destination: start the background sweep only after this many pages"
                    + " were demand-fetched (0: at once).")
    long sweepAfterDemand;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "Give up after this long (source: waiting for a destination to finish;"
                    + " destination: the guest and the migration).")
    long timeoutSeconds;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "7",
            description = "Source: seed of the initial memory contents and the guest's pattern.")
    long seed;

    @Option(names = "--reconnect-attempts", paramLabel = "N", defaultValue = "8",
            description = "Destination: reconnect a dropped connection at most this many times"
                    + " without an answer in between (0: the first drop fails the migration).")
    int reconnectAttempts;

    @Option(names = "--reconnect-backoff-ms", paramLabel = "MS", defaultValue = "200",
            description = "Destination: wait this long before the first reconnect attempt,"
                    + " doubling with each further one (up to 5 s).")
    long reconnectBackoffMillis;

    @Option(names = "--request-timeout-ms", paramLabel = "MS", defaultValue = "30000",
            description = "Destination: a request with no answer for this long counts as a"
                    + " dropped connection (a silent network), and is asked again after"
                    + " reconnecting.")
    long requestTimeoutMillis;

    @Option(names = "--reconnect-wait", paramLabel = "SECONDS", defaultValue = "120",
            description = "Source: keep the migration's state this long for a destination whose"
                    + " connections dropped, before giving up on it.")
    long reconnectWaitSeconds;

    @Option(names = "--mechanism", paramLabel = "MECHANISM", defaultValue = "kvm",
            converter = Converters.MechanismConverter.class,
            completionCandidates = Converters.MechanismNames.class,
            description = "Destination: kvm, uffd-missing, uffd-minor or uffd-sharded.")
    MechanismChoice mechanism;

    @Option(names = "--backing", paramLabel = "BACKING", defaultValue = "anonymous",
            converter = Converters.BackingConverter.class,
            completionCandidates = Converters.BackingNames.class,
            description = "Guest memory: ${COMPLETION-CANDIDATES}.")
    Backing backing;

    @Option(names = "--device-backend", paramLabel = "WHERE", defaultValue = "in-process",
            converter = DeviceBackendModes.Converter.class,
            completionCandidates = DeviceBackendModes.Names.class,
            description = "Destination: where the block device runs: in-process (on the vCPU"
                    + " threads) or process (a kvmdp device-backend process; needs --backing"
                    + " shmem, hugetlb2m or hugetlb1g, whose memfd it maps).")
    DeviceBackendOptions.Mode deviceBackend;

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
        faults.check(checks, role, deviceBackend);
        checks.vcpus(vcpus);
        checks.memory(memoryPerVcpu, backing);
        if (role == Role.SOURCE) {
            checkSourceSize(checks);
        }
        if (timeoutSeconds <= 0) {
            throw checks.fail("--timeout must be more than 0 seconds, got " + timeoutSeconds);
        }
        if (image != null) {
            return UsageChecks.notWiredYet(spec, "source on " + listen + " serving " + image,
                    "migrate serves the memory of the guest it runs itself; an image file carries"
                            + " no vCPU state to resume (kvmdp bench --source file reads images)");
        }
        return role == Role.SOURCE ? runSource() : runDestination();
    }

    private int runSource() {
        PrintWriter out = spec.commandLine().getOut();
        try {
            MigrationSource source = MigrationSource.start(new MigrationSource.Params(
                    listen.toSocketAddress(), vcpus, memoryPerVcpu, seed,
                    Duration.ofSeconds(timeoutSeconds), Duration.ofSeconds(reconnectWaitSeconds)),
                    out, faults.sourceImage());
            return source.serveUntilDone(Duration.ofSeconds(timeoutSeconds))
                    ? ExitCodes.OK : ExitCodes.FAILED;
        } catch (RuntimeException e) {
            spec.commandLine().getErr().println("kvmdp migrate: source failed: " + e);
            return ExitCodes.FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.FAILED;
        }
    }

    private int runDestination() {
        MigrationResult result = new MigrationDestination(new MigrationDestination.Params(
                connect.toSocketAddress(), mechanism.single(), backing, sweepAfterDemand,
                Duration.ofSeconds(1), Duration.ofSeconds(timeoutSeconds),
                TcpOptions.defaults().withRequestTimeout(Duration.ofMillis(requestTimeoutMillis))
                        .withReconnect(reconnectAttempts,
                                Duration.ofMillis(reconnectBackoffMillis)))
                .withDeviceBackend(deviceBackendOptions()),
                spec.commandLine().getOut()).run();
        if (!result.ok()) {
            spec.commandLine().getErr().println("kvmdp migrate: destination failed: "
                    + result.failure().orElse("the guest's own checks failed (see above)"));
        }
        return exitCode(result);
    }

    /** A failure the emulator caused gets its own code, so that scripts can repeat the run. */
    static int exitCode(MigrationResult result) {
        if (result.ok()) {
            return ExitCodes.OK;
        }
        return result.emulatorDefect() ? ExitCodes.EMULATOR_DEFECT : ExitCodes.FAILED;
    }

    /** The backend is this JVM's Main again, on this JVM's class path (scripts/kvmdp's). */
    private DeviceBackendOptions deviceBackendOptions() {
        if (deviceBackend == DeviceBackendOptions.Mode.IN_PROCESS) {
            return DeviceBackendOptions.inProcess();
        }
        return faults.backend(DeviceBackendOptions.process(DeviceBackendOptions.javaLauncher(
                System.getProperty("java.class.path"), faults.backendMainClass())));
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
        for (String option : new String[] {"--sweep-after-demand", "--reconnect-attempts",
                "--reconnect-backoff-ms", "--request-timeout-ms", "--device-backend"}) {
            if (checks.given(option)) {
                throw checks.fail(option + " is for --role destination; drop it from the source");
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

    private void checkSourceSize(UsageChecks checks) {
        if (reconnectWaitSeconds < 1) {
            throw checks.fail("--reconnect-wait must be 1 second or more, got "
                    + reconnectWaitSeconds);
        }
        if (memoryPerVcpu < MIN_MEMORY_PER_VCPU) {
            throw checks.fail("--memory " + Sizes.format(memoryPerVcpu) + " is too small: the guest"
                    + " needs at least " + Sizes.format(MIN_MEMORY_PER_VCPU) + " per vCPU");
        }
        if (memoryPerVcpu > MigrationSource.MAX_IMAGE_BYTES / vcpus) {
            throw checks.fail("--vcpus " + vcpus + " x --memory " + Sizes.format(memoryPerVcpu)
                    + ": " + Sizes.format(memoryPerVcpu * vcpus) + " in all is more than the"
                    + " source's " + Sizes.format(MigrationSource.MAX_IMAGE_BYTES) + " limit");
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
        for (String option : new String[] {"--vcpus", "--memory", "--seed"}) {
            if (checks.given(option)) {
                throw checks.fail(option + " is for --role source; the destination takes the"
                        + " guest's shape from the source");
            }
        }
        if (sweepAfterDemand < 0) {
            throw checks.fail("--sweep-after-demand must be 0 or more, got " + sweepAfterDemand);
        }
        if (checks.given("--reconnect-wait")) {
            throw checks.fail("--reconnect-wait is for --role source (how long it waits for a"
                    + " destination to come back); the destination has --reconnect-attempts and"
                    + " --reconnect-backoff-ms");
        }
        if (reconnectAttempts < 0) {
            throw checks.fail("--reconnect-attempts must be 0 or more, got " + reconnectAttempts);
        }
        if (reconnectBackoffMillis < 0) {
            throw checks.fail("--reconnect-backoff-ms must be 0 or more, got "
                    + reconnectBackoffMillis);
        }
        if (requestTimeoutMillis < 1) {
            throw checks.fail("--request-timeout-ms must be 1 or more, got "
                    + requestTimeoutMillis);
        }
        if (connect.port() == 0) {
            throw checks.fail("--connect " + connect + ": port 0 is only for --listen");
        }
        if (mechanism.allSelected() || mechanism.single() == Mechanism.NONE) {
            throw checks.fail("--mechanism " + mechanism + ": migrate runs one demand-paging"
                    + " mechanism: pick kvm, uffd-missing or uffd-minor");
        }
        checks.mechanismFitsBacking(mechanism.single(), backing);
        checkDeviceBackend(checks);
    }

    private void checkDeviceBackend(UsageChecks checks) {
        if (deviceBackend == DeviceBackendOptions.Mode.IN_PROCESS) {
            return;
        }
        if (!backing.isShared()) {
            throw checks.fail("--device-backend process shares guest memory as a memfd: pick"
                    + " --backing shmem, hugetlb2m or hugetlb1g (--backing is "
                    + Converters.label(backing) + ")");
        }
    }
}
