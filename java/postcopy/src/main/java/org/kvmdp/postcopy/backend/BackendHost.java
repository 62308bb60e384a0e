// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.memory.GuestMemory;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.nativeio.UnixSocket;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.access.MemoryWindow;
import org.kvmdp.postcopy.access.VmmAccessGate;

/**
 * The VMM's side of a device-backend process, vhost-user style: it listens on a UNIX socket
 * in a private directory, starts the backend ({@code kvmdp device-backend --socket PATH}),
 * accepts its connection (only from that process: SO_PEERCRED), and in SETUP passes it with
 * SCM_RIGHTS the guest memfd, a read-only fd of the {@link SharedPageState} and its end of a
 * page channel (a socketpair). Then {@link PageRequestServer} answers its page requests and
 * {@link RemoteBlockDevice} forwards the guest's doorbells to it. The backend's stdout comes
 * into the VMM's log; its stderr is the VMM's.
 *
 * <p><b>The backend does not get the demand-paging fd</b> (nor the VM fd, nor a
 * userfaultfd). That fd is KVM's channel to the one process that installs pages: each
 * pending page is reported once, to whoever reads first, so a second reader would take
 * KVM-internal requests (a vCPU sleeping in KVM for its kvmclock page) that it cannot
 * serve. It cannot install pages: it has no page source, and KVM_MARK_PRESENT on a VM of
 * another process fails with EIO (KVM refuses VM ioctls from outside the VM's mm); so the
 * request would sit until the page happened to arrive. Nor would the fd tell the backend
 * anything about its own accesses: those are plain loads and stores through its own
 * mapping, which neither KVM demand paging (it guards the guest's view, not the memfd) nor
 * userfaultfd (registered on the VMM's mapping only) sees. So the backend consults the page
 * state, asks the VMM for what is missing, and the VMM, through its own demand path, stays
 * the only caller of KVM_MARK_PRESENT.
 *
 * <p>Either side may die at any time. If the backend dies (end-of-file or EPIPE on either
 * channel, or a protocol violation), the VMM drops its outstanding page requests, fails its
 * device requests with an I/O error, and the vCPUs and the migration carry on. If the VMM
 * dies, the backend sees end-of-file, fails any wait for a page, and exits saying so.
 */
public final class BackendHost implements AutoCloseable {
    /** Hang guard for the backend's start and setup (a JVM start under emulation: seconds). */
    private static final Duration SETUP_LIMIT = Duration.ofMinutes(3);
    private static final Duration EXIT_LIMIT = Duration.ofSeconds(30);

    private final DeviceBackendOptions options;
    private final PrintWriter log;
    private final String prefix;
    private final Path directory;
    private final Path socketPath;
    private final UnixSocket listening;
    private final Process process;
    private final Thread forwarder;
    private SharedPageState pageState;
    private PageRequestServer pageServer;
    private RemoteBlockDevice device;
    private FrameChannel control;

    private BackendHost(DeviceBackendOptions options, PrintWriter log, String prefix,
            Path directory, Path socketPath, UnixSocket listening, Process process) {
        this.options = options;
        this.log = log;
        this.prefix = prefix;
        this.directory = directory;
        this.socketPath = socketPath;
        this.listening = listening;
        this.process = process;
        this.forwarder = new Thread(this::forwardOutput, "kvmdp-backend-output");
        forwarder.setDaemon(true);
        forwarder.start();
    }

    /**
     * Listens and starts the backend process; it connects in the background while the VMM
     * sets the guest up. Own lines go to {@code log} after {@code prefix}, the backend's as
     * it writes them.
     */
    public static BackendHost launch(DeviceBackendOptions options, PrintWriter log,
            String prefix) {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(prefix, "prefix");
        if (!Objects.requireNonNull(options, "options").isProcess()) {
            throw new IllegalArgumentException("the block device runs in the VMM's process");
        }
        Path directory;
        try {
            directory = Files.createTempDirectory("kvmdp-backend-"); // 0700: ours alone
        } catch (IOException e) {
            throw new UncheckedIOException("creating the device backend's socket directory", e);
        }
        Path socketPath = directory.resolve("vmm.sock");
        UnixSocket listening = null;
        try {
            listening = UnixSocket.listen(socketPath, 1);
            List<String> command = options.command(socketPath.toString());
            Process process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BackendHost host = new BackendHost(options, log, prefix, directory, socketPath,
                    listening, process);
            host.say("started a device-backend process, pid " + process.pid()
                    + ", to connect to " + socketPath);
            return host;
        } catch (IOException | RuntimeException e) {
            if (listening != null) {
                listening.close();
            }
            deleteQuietly(socketPath, directory);
            throw new IllegalStateException("starting the device backend failed: " + e, e);
        }
    }

    /** The backend process's pid. */
    public long pid() {
        return process.pid();
    }

    /**
     * The page state for {@code tracker}'s pages, made here, and {@code installer} wrapped to
     * publish into it; call before the engine is built, so no page goes unpublished.
     */
    public PageInstaller publishing(PageInstaller installer, PageTracker tracker,
            int pagesPerUnit) {
        if (pageState != null) {
            throw new IllegalStateException("already publishing");
        }
        pageState = SharedPageState.create(tracker.pageCount(), pagesPerUnit);
        pageState.follow(tracker);
        return pageState.publishing(installer);
    }

    /**
     * Accepts the backend's connection, sets it up over {@code region} (memfd-backed: shmem
     * or hugetlb) and returns the device the vCPUs ring. {@code gate} serves its page
     * requests and writes the status of requests it cannot serve.
     */
    public RemoteBlockDevice connect(MemoryRegion region, VmmAccessGate gate,
            int pagesPerUnit, long diskSectors, Duration kickTimeout) {
        GuestMemory memory = region.memory();
        long gpa = region.gpa();
        if (pageState == null) {
            throw new IllegalStateException("publishing() first: the backend needs the page"
                    + " state");
        }
        BackendSetup setup = new BackendSetup(pagesPerUnit, gpa, memory.size(),
                pageState.pageCount(), diskSectors, pageState.bytes());
        UnixSocket connection = accept();
        control = new FrameChannel(connection, "control socket to the device backend (pid "
                + process.pid() + ")");
        AtomicBoolean setUp = new AtomicBoolean();
        CompletableFuture.runAsync(() -> {
            if (!setUp.get()) {
                control.shutdown(); // a backend that connected and went quiet
            }
        }, CompletableFuture.delayedExecutor(SETUP_LIMIT.toMillis(), TimeUnit.MILLISECONDS));
        Frame hello = expect(MessageKind.HELLO, "HELLO");
        int version = hello.bodyBuffer().getInt();
        if (version != BackendProtocol.VERSION) {
            throw new BackendProtocolException("the device backend speaks protocol version "
                    + version + ", this VMM " + BackendProtocol.VERSION);
        }
        UnixSocket[] pages = UnixSocket.pair("page channel");
        try (OwnedFd readOnlyState = pageState.openReadOnly()) {
            control.send(MessageKind.SETUP, 1, setup.encode(), memory.memfd(),
                    readOnlyState.get(), pages[1].fd());
        } finally {
            pages[1].close(); // the backend's end now; holding it would hide its death
        }
        expect(MessageKind.SETUP_DONE, "SETUP_DONE");
        setUp.set(true);
        MemoryWindow window = MemoryWindow.of(region);
        device = new RemoteBlockDevice(control, gate, window, kickTimeout, this::say);
        pageServer = new PageRequestServer(new FrameChannel(pages[0], "page channel to the"
                + " device backend (pid " + process.pid() + ")"), gate, gpa,
                pageState.pageCount(), options.holdPagesAfter(), this::say,
                why -> device.lose("its page channel: " + why));
        device.start(() -> pageServer.lose("its device side was lost"));
        pageServer.start();
        say("device backend pid " + process.pid() + " connected and set up: guest memfd, page"
                + " state (read-only) and page channel passed; it has no demand-paging fd");
        return device;
    }

    /**
     * The migration is over: says GOODBYE, waits for the backend to exit (killing it if it
     * does not), and reports what it did.
     */
    public void finish() {
        if (control == null) {
            // The guest had no block device: never set up. Closing the listening socket
            // resets its waiting connection; it sees end-of-file and exits.
            listening.close();
            say("the guest has no block device; device backend pid " + process.pid()
                    + " stops unused");
        }
        if (control != null && (device == null || device.lostReason().isEmpty())) {
            try {
                control.send(MessageKind.GOODBYE, 0);
            } catch (PeerGoneException e) {
                // Gone already: its exit status says how.
            }
        }
        int status = awaitExit(EXIT_LIMIT);
        try {
            forwarder.join(10_000); // its last lines before ours
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        say("device backend pid " + process.pid() + " exited with status " + status
                + (status == 137 ? " (SIGKILL)" : "") + serverSummary());
    }

    /**
     * Closes the VMM's end of both channels at once, as the VMM's death would (for tests: the
     * backend must notice and exit); the device fails its requests from then on.
     */
    void abandon() {
        if (pageServer != null) {
            pageServer.close();
        }
        if (control != null) {
            control.shutdown();
        }
    }

    /** Stops the backend if it still runs, and cleans up. Idempotent. */
    @Override
    public void close() {
        try {
            if (pageServer != null) {
                pageServer.close();
            }
            if (device != null) {
                device.close();
            } else if (control != null) {
                control.close();
            }
            if (process.isAlive()) {
                awaitExit(Duration.ofSeconds(10)); // it saw end-of-file and exits by itself
            }
        } finally {
            process.destroyForcibly();
            listening.close();
            deleteQuietly(socketPath, directory);
            if (pageState != null) {
                pageState.close();
            }
        }
    }

    private String serverSummary() {
        if (pageServer == null) {
            return "";
        }
        return "; the VMM served its " + pageServer.needsServed() + " page requests ("
                + pageServer.pagesServed() + " pages), refused " + pageServer.needsRefused()
                + ", dropped " + pageServer.needsDropped()
                + device.lostReason().map(r -> "; it was lost: " + r).orElse("");
    }

    private UnixSocket accept() {
        long deadline = System.nanoTime() + SETUP_LIMIT.toNanos();
        while (!listening.awaitReadable(500)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the device backend (pid " + process.pid()
                        + ") exited with status " + process.exitValue()
                        + " before connecting (its stderr says why)");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the device backend (pid " + process.pid()
                        + ") did not connect within " + SETUP_LIMIT.toSeconds() + " s");
            }
        }
        UnixSocket connection = listening.accept();
        UnixSocket.PeerCredentials peer = connection.peerCredentials();
        if (peer.pid() != process.pid()) {
            connection.close();
            throw new IllegalStateException("refused a connection from pid " + peer.pid()
                    + ": not the device backend this VMM started (pid " + process.pid() + ")");
        }
        listening.close(); // one backend: nobody else connects
        deleteQuietly(socketPath, directory);
        return connection;
    }

    private Frame expect(MessageKind kind, String what) {
        Optional<Frame> frame = control.receive();
        if (frame.isEmpty()) {
            throw new PeerGoneException("the device backend (pid " + process.pid()
                    + ") hung up before " + what + " (its stderr says why)");
        }
        if (frame.get().kind() != kind) {
            throw new BackendProtocolException(frame.get().kind() + " where " + what
                    + " belongs");
        }
        return frame.get();
    }

    private int awaitExit(Duration limit) {
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                say("device backend pid " + process.pid() + " did not exit within "
                        + limit.toSeconds() + " s; killing it");
                process.destroyForcibly();
                process.waitFor();
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return -1;
        }
    }

    private void forwardOutput() {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(
                process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                synchronized (log) {
                    log.println(line);
                    log.flush();
                }
            }
        } catch (IOException e) {
            say("reading the device backend's output failed: " + e);
        }
    }

    private void say(String line) {
        synchronized (log) {
            log.println(prefix + line);
            log.flush();
        }
    }

    private static void deleteQuietly(Path socket, Path directory) {
        try {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            // A leftover empty directory in the temp dir is harmless.
        }
    }
}
