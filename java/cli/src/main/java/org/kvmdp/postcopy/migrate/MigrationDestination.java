// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.migrate;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.guest.EmulatorDefect;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.MigrateWorkload;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.Mechanism;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.PostcopyOptions;
import org.kvmdp.postcopy.RequesterReport;
import org.kvmdp.postcopy.access.ArrivalUnit;
import org.kvmdp.postcopy.access.MemoryWindow;
import org.kvmdp.postcopy.access.VmmAccessGate;
import org.kvmdp.postcopy.backend.BackendHost;
import org.kvmdp.postcopy.backend.DeviceBackendOptions;
import org.kvmdp.postcopy.device.BlockDevice;
import org.kvmdp.postcopy.device.BlockDoorbell;
import org.kvmdp.postcopy.device.RamDisk;
import org.kvmdp.postcopy.driver.FaultPath;
import org.kvmdp.postcopy.driver.FaultPaths;
import org.kvmdp.postcopy.tcp.TcpOptions;
import org.kvmdp.postcopy.tcp.TcpPageSource;

/**
 * The destination of {@code kvmdp migrate}: connects to a {@link MigrationSource}, builds the
 * same guest (memory layout from the device state, backing of its own choosing), arms the
 * chosen demand-paging mechanism over all of its memory, loads the registers and lets the
 * guest run while its pages arrive: vCPU faults and KVM-internal accesses fetch on demand, the
 * sweep fetches the rest, each page is checked against the source's CRC32C before the guest
 * can see it. The guest's block device requests (left in flight by the source) are served on
 * the vCPU threads by a {@link BlockDevice} whose every access to guest memory goes through a
 * {@link VmmAccessGate}, or by a device-backend process ({@link BackendHost}) that maps the
 * guest memfd and asks this VMM for the pages it needs. If the source fails, every vCPU is
 * stopped and the result names the
 * failure. A dropped connection to a live source only pauses the fetches (the vCPUs wait for
 * their pages) while the page source reconnects and asks again for what was outstanding.
 */
public final class MigrationDestination {
    /** The name the block device's demand fetches are counted under in the report. */
    public static final String DEVICE_REQUESTER = "vmm-block-device";
    /**
     * What to run. {@code sweepAfterDemand}: the background sweep starts once that many pages
     * were demand-fetched (0: at once), so a test can be sure early accesses find pages missing.
     * {@code tcp}: timeouts and how a dropped connection is reconnected. {@code deviceBackend}:
     * where the block device runs (in this process unless said otherwise).
     */
    public record Params(InetSocketAddress source, Mechanism mechanism, Backing backing,
            long sweepAfterDemand, Duration progressInterval, Duration timeout, TcpOptions tcp,
            DeviceBackendOptions deviceBackend) {
        public Params(InetSocketAddress source, Mechanism mechanism, Backing backing,
                long sweepAfterDemand, Duration progressInterval, Duration timeout) {
            this(source, mechanism, backing, sweepAfterDemand, progressInterval, timeout,
                    TcpOptions.defaults());
        }

        public Params(InetSocketAddress source, Mechanism mechanism, Backing backing,
                long sweepAfterDemand, Duration progressInterval, Duration timeout,
                TcpOptions tcp) {
            this(source, mechanism, backing, sweepAfterDemand, progressInterval, timeout, tcp,
                    DeviceBackendOptions.inProcess());
        }

        /** These parameters with the block device where {@code backend} says. */
        public Params withDeviceBackend(DeviceBackendOptions backend) {
            return new Params(source, mechanism, backing, sweepAfterDemand, progressInterval,
                    timeout, tcp, backend);
        }

        public Params {
            Objects.requireNonNull(deviceBackend, "deviceBackend");
            if (deviceBackend.isProcess() && !backing.isShared()) {
                throw new IllegalArgumentException("a device-backend process maps guest memory"
                        + " from its memfd: " + backing + " has none");
            }
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(tcp, "tcp");
            Objects.requireNonNull(mechanism, "mechanism");
            Objects.requireNonNull(backing, "backing");
            Objects.requireNonNull(progressInterval, "progressInterval");
            Objects.requireNonNull(timeout, "timeout");
            if (mechanism == Mechanism.NONE) {
                throw new IllegalArgumentException("migrate needs a demand-paging mechanism");
            }
            if (sweepAfterDemand < 0) {
                throw new IllegalArgumentException("sweepAfterDemand must be >= 0");
            }
        }
    }

    private final Params params;
    private final PrintWriter log;
    private final AtomicBoolean cancelled = new AtomicBoolean();

    public MigrationDestination(Params params, PrintWriter log) {
        this.params = Objects.requireNonNull(params, "params");
        this.log = Objects.requireNonNull(log, "log");
    }

    /** Runs the whole migration; never throws for a failed migration, the result says why. */
    public MigrationResult run() {
        long start = System.nanoTime();
        Progress progress = new Progress(start);
        // Started first, so the backend's JVM boots while the guest is set up; null: in-process.
        try (BackendHost backend = params.deviceBackend().isProcess() ? BackendHost.launch(
                params.deviceBackend(), log, "destination: ") : null;
                TcpPageSource source = TcpPageSource.connect(params.source(), params.tcp(),
                event -> {
                    synchronized (log) {
                        log.println("destination: " + event);
                        log.flush();
                    }
                })) {
            DeviceState state = DeviceState.decode(source.deviceState());
            if (state.regionBytes() != source.imageBytes()) {
                return progress.failed("the source's device state describes " + state.regionBytes()
                        + " bytes of memory, its image has " + source.imageBytes());
            }
            log.printf("destination: connected to %s: %d MiB, %d vCPU(s); running the guest with"
                    + " %s on %s%n", params.source(), state.regionBytes() >> 20,
                    state.vcpus().size(), params.mechanism().label(),
                    params.backing().name().toLowerCase(Locale.ROOT).replace("_", ""));
            log.flush();
            return migrate(source, state, progress, backend);
        } catch (RuntimeException e) {
            return progress.failed(describe(e));
        }
    }

    private MigrationResult migrate(TcpPageSource source, DeviceState state, Progress progress,
            BackendHost backend) {
        try (GuestVm guest = GuestVm.create(GuestProgram.MIGRATE_WORKLOAD)) {
            MemoryRegion region = guest.addMemory(1, state.regionGpa(), params.backing(),
                    state.regionBytes());
            int vcpus = state.vcpus().size();
            progress.describe(vcpus, region.size() / MigrateWorkload.PAGE);
            PageTracker tracker = new PageTracker(source.pageCount());
            PostcopyOptions options = PostcopyOptions.defaults().withChecksumOnInstall(true)
                    .withProgressInterval(params.progressInterval());
            int pagesPerUnit = ArrivalUnit.pagesPerUnit(params.mechanism(), params.backing());
            try (FaultPath path = FaultPaths.open(params.mechanism(), guest, region, vcpus);
                    PostcopyDestination destination = new PostcopyDestination(source, tracker,
                            backend == null ? path.installer()
                                    : backend.publishing(path.installer(), tracker, pagesPerUnit),
                            options, p -> {
                                log.println("destination: " + p);
                                log.flush();
                            })) {
                path.attach(destination);
                Optional<BlockDoorbell> device = blockDevice(state, destination, tracker, region,
                        backend);
                MigrateWorkload.DevicePorts ports = device.<MigrateWorkload.DevicePorts>map(
                        d -> (vcpu, io) -> d.handleExit(io))
                        .orElse(MigrateWorkload.DevicePorts.NONE);
                stopVcpusOnFailure(tracker, guest, path);
                destination.startAfterDemand(params.sweepAfterDemand());
                progress.resumed();
                MigrateWorkload.Result result;
                try {
                    result = MigrateWorkload.resume(guest, state.vcpus(), path.faultHandler(),
                            ports, cancelled::get, params.timeout());
                } catch (RuntimeException e) {
                    // The migration's own failure is the cause worth naming; the vCPUs' is its echo.
                    Optional<String> cause = destination.failure().map(Throwable::getMessage);
                    path.diagnosis(tracker).ifPresent(d -> log.println("destination: " + d));
                    if (cause.isEmpty() && EmulatorDefect.is(e)) {
                        return progress.failedByEmulator(describe(e) + "; vCPUs stopped");
                    }
                    return progress.failed(cause.orElse(describe(e)) + "; vCPUs stopped");
                }
                progress.guestDone(result, internalAccessesOk(state, region, result));
                MigrationReport report = path.awaitCompletion(params.timeout());
                progress.deviceDone(device, result, report);
                if (backend != null) {
                    backend.finish();
                }
                path.failure().ifPresent(e -> {
                    throw new IllegalStateException("fault handling thread failed: " + e, e);
                });
                long waits = params.mechanism() == Mechanism.KVM
                        ? guest.vm().getStats().value(DemandPaging.STAT_TOTAL_WAITS) : 0;
                return progress.finished(report, path.faultEvents(), path.internalEvents(), waits);
            }
        }
    }

    /**
     * A failed migration (the source died, a page was corrupt) must not leave vCPUs blocked on
     * pages that will never come: release every waiter and kick the vCPUs out of the guest.
     * Off the failing thread, which may be one that closing the path joins.
     */
    private void stopVcpusOnFailure(PageTracker tracker, GuestVm guest, FaultPath path) {
        tracker.allReceived().whenComplete((v, error) -> {
            if (error == null) {
                return;
            }
            cancelled.set(true);
            Thread stopper = new Thread(() -> {
                path.close();
                MigrateWorkload.kickAll(guest);
            }, "kvmdp-migrate-stop");
            stopper.setDaemon(true);
            stopper.start();
        });
    }

    /**
     * The block device, if the guest left requests for it: over a gate that demand-fetches
     * what the device touches through this migration's engine, in the mechanism's units; in
     * a backend process, that gate serves the process's page requests instead.
     */
    private Optional<BlockDoorbell> blockDevice(DeviceState state,
            PostcopyDestination destination, PageTracker tracker, MemoryRegion region,
            BackendHost backend) {
        if ((state.flags() & GuestAbi.MIGRATE_DEVICE) == 0) {
            return Optional.empty();
        }
        VmmAccessGate gate = new VmmAccessGate(destination, tracker, MemoryWindow.of(region),
                ArrivalUnit.pagesPerUnit(params.mechanism(), params.backing()),
                DEVICE_REQUESTER);
        // The guest's sector is its slice's page number: a sparse disk as large as that.
        long sectors = region.endGpa() / MigrateWorkload.PAGE;
        if (backend != null) {
            return Optional.of(backend.connect(region, gate, ArrivalUnit.pagesPerUnit(
                    params.mechanism(), params.backing()), sectors, params.timeout()));
        }
        return Optional.of(new BlockDevice(gate, new RamDisk(sectors)));
    }

    /** The guest's pvclock version is even and non-zero, its emulated read the source's bytes. */
    private static boolean internalAccessesOk(DeviceState state, MemoryRegion region,
            MigrateWorkload.Result result) {
        int vcpus = state.vcpus().size();
        for (MigrateWorkload.VcpuResult r : result.vcpus()) {
            long readGpa = MigrateWorkload.emulatedReadPageGpa(region, vcpus, r.vcpu());
            boolean clockOk = r.pvclockVersion() > 0 && r.pvclockVersion() % 2 == 0;
            boolean readOk = r.emulatedRead().length == 16 && MigrateWorkload.leadingWord(
                    r.emulatedRead()) == MigrateWorkload.firstWord(readGpa, state.seed());
            if (!clockOk || !readOk) {
                return false;
            }
        }
        return true;
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.toString() : message;
    }

    /** Collects the timings and counts as the run goes and prints the outcome. */
    private final class Progress {
        private final long start;
        private int vcpus;
        private long pages;
        private long resumedAt;
        private MigrateWorkload.Result guest;
        private boolean internalOk;
        private boolean deviceOk;
        private long deviceRequests;
        private long vmmFetched;

        Progress(long start) {
            this.start = start;
        }

        void describe(int vcpuCount, long pageCount) {
            vcpus = vcpuCount;
            pages = pageCount;
        }

        void resumed() {
            resumedAt = System.nanoTime();
            log.printf(Locale.ROOT, "destination: guest resumed %.1f ms after connecting; its"
                    + " pages arrive while it runs%n", (resumedAt - start) / 1e6);
            log.flush();
        }

        void guestDone(MigrateWorkload.Result result, boolean internalAccessesOk) {
            guest = result;
            internalOk = internalAccessesOk;
            log.printf("destination: guest checked %d pages: %d mismatches; KVM-internal"
                    + " accesses (kvmclock, emulated read) %s%n", result.pagesChecked(),
                    result.mismatches(), internalAccessesOk ? "correct" : "WRONG");
            log.flush();
        }

        /** What the block device did and whether every vCPU found it right; logs it. */
        void deviceDone(Optional<BlockDoorbell> device, MigrateWorkload.Result result,
                MigrationReport report) {
            if (device.isEmpty()) {
                deviceOk = true;
                return;
            }
            BlockDoorbell d = device.get();
            RequesterReport vmm = report.requesters().get(DEVICE_REQUESTER);
            deviceRequests = d.requests();
            // Fetches the VMM's accesses started, not those that found a page in flight.
            vmmFetched = vmm == null ? 0 : vmm.faults() - vmm.alreadyReceived() - vmm.merged();
            deviceOk = d.rejected() == 0 && result.deviceChecks() == vcpus
                    && result.deviceFailures() == 0;
            log.printf("destination: block device served %d requests (%d rejected) through the"
                    + " VMM access gate, which demand-fetched %d pages; the guest found its data"
                    + " %s%n", deviceRequests, d.rejected(), vmmFetched,
                    deviceOk ? "right" : "WRONG");
            log.flush();
        }

        MigrationResult finished(MigrationReport report, long faults, long internal, long waits) {
            log.printf("destination: every page arrived and matched the source's CRC32C before"
                    + " the guest saw it%n%s", report);
            return done(report, faults, internal, waits, Optional.empty(), false);
        }

        MigrationResult failed(String why) {
            log.println("destination: migration FAILED: " + why);
            return done(null, 0, 0, 0, Optional.of(why), false);
        }

        MigrationResult failedByEmulator(String why) {
            log.println("destination: migration FAILED: the test VM's emulator broke the nested"
                    + " guest (a QEMU defect, README \"The test VM\"): " + why);
            return done(null, 0, 0, 0, Optional.of(why), true);
        }

        private MigrationResult done(MigrationReport report, long faults, long internal,
                long waits, Optional<String> failure, boolean emulatorDefect) {
            long now = System.nanoTime();
            MigrationResult r = new MigrationResult(params.mechanism().label(),
                    params.backing().name().toLowerCase(Locale.ROOT).replace("_", ""), vcpus, pages,
                    report, guest, faults, internal, waits, internalOk, deviceOk,
                    deviceRequests, vmmFetched, resumedAt == 0 ? 0 : resumedAt - start,
                    now - start, failure, emulatorDefect);
            log.println(r.resultLine());
            log.flush();
            return r;
        }
    }
}
