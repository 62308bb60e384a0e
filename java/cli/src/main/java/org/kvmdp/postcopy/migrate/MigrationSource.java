// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.migrate;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.MigrateWorkload;
import org.kvmdp.kvm.Register;
import org.kvmdp.kvm.Regs;
import org.kvmdp.memory.Backing;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.tcp.PageServer;
import org.kvmdp.postcopy.tcp.ServerStats;

/**
 * The source of {@code kvmdp migrate}: runs the workload guest until its migration point,
 * stops it, and serves its memory and registers to one destination over TCP until the
 * destination hangs up. The memory starts as seeded random bytes (what a guest's RAM holds),
 * then the guest writes its pattern over it.
 */
public final class MigrationSource {
    /**
     * What to run. {@code reconnectWait}: how long the source keeps the migration's state for
     * a destination whose connections all dropped without GOODBYE.
     */
    public record Params(InetSocketAddress listen, int vcpus, long memoryPerVcpu, long seed,
            Duration timeout, Duration reconnectWait) {
        /** The default {@code reconnectWait}: longer than a destination's default retries. */
        public static final Duration DEFAULT_RECONNECT_WAIT = Duration.ofSeconds(120);

        public Params(InetSocketAddress listen, int vcpus, long memoryPerVcpu, long seed,
                Duration timeout) {
            this(listen, vcpus, memoryPerVcpu, seed, timeout, DEFAULT_RECONNECT_WAIT);
        }

        public Params {
            Objects.requireNonNull(listen, "listen");
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(reconnectWait, "reconnectWait");
            if (vcpus < 1 || vcpus > GuestAbi.MAX_VCPUS) {
                throw new IllegalArgumentException("vCPUs must be 1.." + GuestAbi.MAX_VCPUS);
            }
            if (memoryPerVcpu < 2 * MigrateWorkload.PAGE || memoryPerVcpu % MigrateWorkload.PAGE != 0
                    || memoryPerVcpu * vcpus > MAX_IMAGE_BYTES) {
                throw new IllegalArgumentException("memory per vCPU must be whole pages, at least"
                        + " two, and at most " + (MAX_IMAGE_BYTES >> 20) + " MiB in all");
            }
        }
    }

    /**
     * What the source serves in place of its memory image: the image itself, or a test
     * fixture's wrapper around it that injects a fault (a source that hangs, or one that holds
     * pages until the destination has reconnected).
     */
    @FunctionalInterface
    public interface ImageWrapper {
        /** The image unchanged. */
        ImageWrapper NONE = (image, firstReconnect) -> image;

        /**
         * @param firstReconnect completes when a destination first reconnects
         */
        PageSource wrap(PageSource image, CompletionStage<Void> firstReconnect);
    }

    /** The source snapshots memory into one Java array. */
    public static final long MAX_IMAGE_BYTES = 1L << 30;
    private static final int FILL_CHUNK = 1 << 20;

    private final PrintWriter log;
    private final PageServer server;
    private final ServerStats stats;
    private final Duration reconnectWait;

    private MigrationSource(PrintWriter log, PageServer server, Duration reconnectWait) {
        this.log = log;
        this.server = server;
        this.stats = server.stats();
        this.reconnectWait = reconnectWait;
    }

    /**
     * Runs the guest to its migration point and starts serving; progress goes to {@code log}.
     * The listening address is printed as "listening on HOST:PORT".
     */
    public static MigrationSource start(Params params, PrintWriter log) {
        return start(params, log, ImageWrapper.NONE);
    }

    /** {@link #start(Params, PrintWriter)}, serving {@code wrapper}'s view of the image. */
    public static MigrationSource start(Params params, PrintWriter log, ImageWrapper wrapper) {
        long total = params.memoryPerVcpu() * params.vcpus();
        byte[] snapshot;
        List<Regs> registers;
        long gpa;
        int flags;
        try (GuestVm guest = GuestVm.create(GuestProgram.MIGRATE_WORKLOAD)) {
            MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, total);
            gpa = region.gpa();
            fillRandom(region, params.seed());
            // The block device's requests need 5 pages a slice; smaller guests go without.
            flags = GuestAbi.MIGRATE_INTERNAL
                    | (MigrateWorkload.sliceFitsDevice(params.memoryPerVcpu())
                            ? GuestAbi.MIGRATE_DEVICE : 0);
            log.printf("source: running the guest, %d vCPU(s) on %d MiB: it writes every page%s%n",
                    params.vcpus(), total >> 20, (flags & GuestAbi.MIGRATE_DEVICE) != 0
                            ? " and leaves two block device requests in flight" : "");
            log.flush();
            long start = System.nanoTime();
            registers = MigrateWorkload.runToMigrationPoint(guest, region, params.vcpus(),
                    params.seed(), flags, params.timeout());
            log.printf("source: guest stopped at its migration point after %.3f s (rip 0x%x)%n",
                    (System.nanoTime() - start) / 1e9,
                    registers.get(0).get(Register.RIP));
            snapshot = region.memory().read(0, Math.toIntExact(total));
        }
        // The snapshot is this method's alone: serve it as it is rather than copy it again.
        CompletableFuture<Void> reconnected = new CompletableFuture<>();
        PageSource image = wrapper.wrap(MemoryPageSource.wrap(ByteBuffer.wrap(snapshot)),
                reconnected);
        DeviceState state = new DeviceState(gpa, total, params.seed(), flags, registers);
        PageServer server = PageServer.start(image, state.encode(), params.listen(), event -> {
            synchronized (log) {
                log.println("source: " + event + (event.startsWith("lost") ? " (up to "
                        + params.reconnectWait().toSeconds() + " s)" : ""));
                log.flush();
            }
        });
        server.firstReconnect().thenRun(() -> reconnected.complete(null));
        InetSocketAddress at = server.address();
        log.printf("source: listening on %s:%d (%d pages%s)%n", at.getAddress().getHostAddress(),
                at.getPort(), total / MigrateWorkload.PAGE,
                wrapper == ImageWrapper.NONE ? "" : ", serving " + image);
        log.flush();
        return new MigrationSource(log, server, params.reconnectWait());
    }

    public InetSocketAddress address() {
        return server.address();
    }

    /**
     * Serves until the destination says GOODBYE; false if its connections all dropped
     * without one and none came back within the reconnect wait, or {@code timeout} passed
     * first. A dropped connection is not the end: the destination may reconnect, and is
     * served the same memory and state again. Then stops the server.
     */
    public boolean serveUntilDone(Duration timeout) throws InterruptedException {
        try {
            PageServer.End end = server.awaitMigrationEnd(timeout, reconnectWait);
            String how = switch (end) {
                case GOODBYE -> "destination disconnected after saying it is done";
                case ABANDONED -> "destination disconnected without saying it is done and did"
                        + " not reconnect within " + reconnectWait.toSeconds() + " s";
                case TIMED_OUT -> "gave up waiting after " + timeout.toSeconds() + " s";
            };
            synchronized (log) {
                log.printf("source: %s; served %d pages (%d again), %d demand"
                        + " and %d background requests%n", how, stats.pagesServed(),
                        stats.pagesServedAgain(), stats.urgentRequests(),
                        stats.backgroundRequests());
                log.flush();
            }
            return end == PageServer.End.GOODBYE;
        } finally {
            server.close();
        }
    }

    private static void fillRandom(MemoryRegion region, long seed) {
        Random random = new Random(seed);
        byte[] chunk = new byte[(int) Math.min(FILL_CHUNK, region.size())];
        for (long offset = 0; offset < region.size(); offset += chunk.length) {
            random.nextBytes(chunk);
            region.memory().write(offset, chunk);
        }
    }
}
