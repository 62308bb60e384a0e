// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kvmdp.cli.FaultInjectingMain;
import org.kvmdp.cli.Main;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.Mechanism;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.backend.BackendFaults;
import org.kvmdp.postcopy.backend.DeviceBackendOptions;
import org.kvmdp.postcopy.migrate.MigrationDestination;
import org.kvmdp.postcopy.migrate.MigrationResult;
import org.kvmdp.postcopy.migrate.MigrationSource;

/**
 * {@code kvmdp migrate --device-backend process}: the guest's block device served by a
 * second process (a {@code kvmdp device-backend} child of the destination) that maps the
 * guest memfd, checks the shared page state and asks the VMM for pages that have not
 * arrived, while the vCPUs fault with KVM demand paging or userfaultfd. The backend's
 * accesses get the source's bytes; killing it mid-migration fails only its device requests
 * (the guest sees an I/O error, every page still arrives, the vCPUs finish); killing the VMM
 * makes the backend exit. Every kill happens at a point the processes report, never after a
 * sleep.
 */
class DeviceBackendProcessTest {
    static final long MEMORY_PER_VCPU = 4L << 20;
    static final long PAGES_PER_VCPU = MEMORY_PER_VCPU / 4096;
    /** Hang guards: minutes, far above a normal run. */
    static final Duration LIMIT = Duration.ofMinutes(6);
    static final Pattern BACKEND_PID = Pattern.compile("device backend pid (\\d+) connected");
    static final Pattern ASKED = Pattern.compile("asked the VMM (\\d+) times for (\\d+) pages");
    static final Pattern RESULT_FIELD = Pattern.compile("(\\w+)=(\\S+)");

    @BeforeAll
    static void kvmDemandPagingIsHere() {
        try (GuestVm guest = GuestVm.create(GuestProgram.MIGRATE_WORKLOAD)) {
            assumeTrue(DemandPaging.of(guest.vm()).isSupported(), "no KVM_CAP_DEMAND_PAGING");
        }
    }

    static Stream<Arguments> mechanismsOnSharedMemory() {
        return Stream.of(Arguments.of("kvm", "shmem", 2), Arguments.of("uffd-missing", "shmem", 1),
                Arguments.of("uffd-minor", "hugetlb2m", 1));
    }

    @ParameterizedTest(name = "{0}, {1}, {2} vCPU(s) [{index}]")
    @MethodSource("mechanismsOnSharedMemory")
    void theBackendsAccessesToPagesNotArrivedAreServedWithTheirContents(String mechanism,
            String backing, int vcpus) throws Exception {
        DebugKernel.assumeKvmOnly(mechanism, "the backend's side is the same, and its run is"
                + " long enough");
        StringWriter log = new StringWriter();
        MigrationResult result = migrate(mechanism, backing, vcpus, backend(), log);
        String said = log.toString();

        assertThat(result.ok()).as(said).isTrue();
        Map<String, String> fields = resultFields(result.resultLine());
        long pages = vcpus * PAGES_PER_VCPU;
        // The guest checked every page and found the device's data and statuses right: what
        // the backend read from guest memory (the WRITE's source) and wrote (the READ).
        assertThat(fields).containsEntry("checked", String.valueOf(pages))
                .containsEntry("mismatches", "0").containsEntry("device_ok", "true")
                .containsEntry("device_requests", String.valueOf(2L * vcpus));
        assertThat(said).contains("every page arrived and matched the source's CRC32C")
                .contains("it has no demand-paging fd")
                .contains("device-backend: GOODBYE from the VMM; served " + (2 * vcpus)
                        + " device requests (0 failed)")
                .containsPattern("device backend pid \\d+ exited with status 0;");
        // Its pages were missing when it touched them: it asked the VMM, which fetched them.
        Matcher asked = ASKED.matcher(said);
        assertThat(asked.find()).as(said).isTrue();
        assertThat(Long.parseLong(asked.group(1))).as("the backend's page requests").isPositive();
        if (!backing.startsWith("hugetlb")) {
            // Not on hugetlb with userfaultfd: a vCPU's first 2 MiB fault may bring them.
            assertThat(Long.parseLong(fields.get("vmm_fetched"))).as("pages fetched for it")
                    .isPositive();
        }
    }

    @Test
    void killingTheBackendMidMigrationFailsItsRequestsAndTheMigrationFinishes()
            throws Exception {
        StringWriter log = new StringWriter();
        // The backend stops after its first answered page request, in the middle of the
        // guest's first device request, with the vCPU waiting on it: no sweep runs, so the
        // kill is always mid-migration.
        CompletableFuture<MigrationResult> destination = CompletableFuture.supplyAsync(() ->
                migrate("kvm", "shmem", 1, BackendFaults.withFaults(backend(), 1, -1), log));
        await().atMost(LIMIT).until(() -> log.toString()
                .contains("device-backend: stalled after 1 page requests"));
        long pid = backendPid(log.toString());
        ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL

        MigrationResult result = destination.get(LIMIT.toMinutes(), TimeUnit.MINUTES);
        String said = log.toString();
        Map<String, String> fields = resultFields(result.resultLine());
        // The migration itself finished and the vCPU did too; only the device failed.
        assertThat(result.failure()).as(said).isEmpty();
        assertThat(fields).containsEntry("checked", String.valueOf(PAGES_PER_VCPU))
                .containsEntry("mismatches", "0").containsEntry("internal_ok", "true")
                .containsEntry("device_requests", "2").containsEntry("device_ok", "false");
        assertThat(said).contains("device backend lost: ")
                .contains("every later one fail with an I/O error")
                .contains("every page arrived and matched the source's CRC32C")
                .contains("device backend pid " + pid + " exited with status 137 (SIGKILL)");
    }

    @Test
    void killingTheVmmReleasesTheBackend() throws Exception {
        // The source in this JVM; it gives the killed destination a second to come back.
        MigrationSource source = MigrationSource.start(new MigrationSource.Params(
                new InetSocketAddress("127.0.0.1", 0), 1, MEMORY_PER_VCPU, 11, LIMIT,
                Duration.ofSeconds(1)), new PrintWriter(new StringWriter(), true));
        InetSocketAddress address = source.address();
        // The VMM leaves the backend's page requests unanswered: once it says so, the
        // backend is waiting for a page when the VMM dies.
        try (ChildJvm vmm = ChildJvm.start(Optional.empty(),
                FaultInjectingMain.class.getName(), "migrate",
                "--role", "destination", "--connect", address.getHostString() + ":"
                        + address.getPort(), "--mechanism", "kvm", "--backing", "shmem",
                "--device-backend", "process", "--backend-hold-pages-after", "0",
                "--sweep-after-demand", String.valueOf(PAGES_PER_VCPU / 2))) {
            Optional<String> held = vmm.awaitLine(l -> l.contains(
                    "holding the device backend's page request"), LIMIT);
            assertThat(held).as(vmm.output()).isPresent();
            long pid = backendPid(vmm.output());
            // SIGKILL: no GOODBYE, no cleanup, just its sockets closing. By pid, not
            // Process.destroyForcibly, which would also close the output we still read.
            ProcessHandle.of(vmm.pid()).orElseThrow().destroyForcibly();

            // The backend's stderr is the VMM's: its last words reach us after the VMM.
            Optional<String> gone = vmm.awaitLine(l -> l.startsWith(
                    "device-backend: the VMM went away"), LIMIT);
            assertThat(gone).as(vmm.output()).isPresent();
            assertThat(gone.get()).contains("the VMM closed the page channel");
            await().atMost(LIMIT).until(() -> ProcessHandle.of(pid)
                    .map(ProcessHandle::isAlive).orElse(false) == Boolean.FALSE);
        } finally {
            source.serveUntilDone(LIMIT); // the destination is gone: ends after the second
        }
    }

    /** Source and destination in this JVM over loopback; the backend its own process. */
    private static MigrationResult migrate(String mechanism, String backing, int vcpus,
            DeviceBackendOptions backend, StringWriter destinationLog) {
        Backing b = Backing.valueOf(backing.toUpperCase(Locale.ROOT)
                .replace("HUGETLB2M", "HUGETLB_2M"));
        assumeTrue(b.unavailabilityReason(vcpus * MEMORY_PER_VCPU).isEmpty(),
                () -> backing + " unavailable");
        StringWriter sourceLog = new StringWriter();
        MigrationSource source = MigrationSource.start(new MigrationSource.Params(
                new InetSocketAddress("127.0.0.1", 0), vcpus, MEMORY_PER_VCPU, 11, LIMIT),
                new PrintWriter(sourceLog, true));
        CompletableFuture<Boolean> served = CompletableFuture.supplyAsync(() -> {
            try {
                return source.serveUntilDone(LIMIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
        MigrationResult result = new MigrationDestination(new MigrationDestination.Params(
                source.address(), Mechanism.byLabel(mechanism).orElseThrow(), b,
                // No sweep: every page arrives by demand, so the device's pages are still
                // missing when the backend touches them (with half the pages by demand first,
                // one 2 MiB fault on hugetlb started the sweep, which could bring them first).
                PostcopyDestination.SWEEP_NEVER, Duration.ofSeconds(1), LIMIT)
                .withDeviceBackend(backend), new PrintWriter(destinationLog, true)).run();
        try {
            assertThat(served.get(LIMIT.toMinutes(), TimeUnit.MINUTES)).as(sourceLog.toString())
                    .isTrue();
        } catch (Exception e) {
            throw new AssertionError("the source did not finish: " + sourceLog, e);
        }
        return result;
    }

    private static DeviceBackendOptions backend() {
        return DeviceBackendOptions.process(DeviceBackendOptions.javaLauncher(
                ChildJvm.testClasspath(), FaultInjectingMain.class.getName()));
    }

    private static long backendPid(String log) {
        Matcher m = BACKEND_PID.matcher(log);
        assertThat(m.find()).as("no backend pid in:%n%s", log).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static Map<String, String> resultFields(String resultLine) {
        Map<String, String> fields = new HashMap<>();
        Matcher m = RESULT_FIELD.matcher(resultLine);
        while (m.find()) {
            fields.put(m.group(1), m.group(2));
        }
        return fields;
    }
}
