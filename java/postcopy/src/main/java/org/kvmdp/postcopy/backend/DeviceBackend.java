// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.nativeio.UnixSocket;
import org.kvmdp.postcopy.device.BlockDevice;
import org.kvmdp.postcopy.device.RamDisk;

/**
 * The device-backend process ({@code kvmdp device-backend --socket PATH}): serves the demo
 * block device's requests for a VMM in another process, vhost-user style. It connects to the
 * VMM's socket, says HELLO, and gets in SETUP the guest memfd (it maps it), the shared page
 * state (read-only) and its end of the page channel; then it serves each KICK (a doorbell
 * the guest rang) with a {@link BlockDevice} over a {@link BackendGate}, and answers
 * KICK_DONE. It never gets the demand-paging fd or any KVM fd: see {@link BackendHost}.
 *
 * <p>It exits 0 on GOODBYE; 1, saying why on stderr, if the VMM goes away (end-of-file on
 * either socket, whatever it was doing: idle, serving, or waiting for pages) or breaks the
 * protocol. A backend never outlives its VMM by more than the time it takes to notice.
 */
public final class DeviceBackend {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;

    /** Where the VMM listens. */
    public record Options(Path socket) {
        public Options {
            Objects.requireNonNull(socket, "socket");
        }
    }

    /**
     * Told on the serving thread after each page request the VMM answered, with how many so
     * far: the seam through which a fixture in this package's test-jar ({@code BackendFaults})
     * injects faults. kvmdp passes {@link #NONE}.
     */
    @FunctionalInterface
    interface AnsweredNeedObserver {
        AnsweredNeedObserver NONE = (answered, pages, say) -> { };

        /** May throw to fail the device request in service. */
        void answered(long answered, PageRequestClient pages, Consumer<String> say);
    }

    private final Options options;
    private final AnsweredNeedObserver observer;
    private final PrintWriter out;
    private final PrintWriter err;
    private final AtomicLong answeredNeeds = new AtomicLong();
    private long requests;
    private long failedRequests;

    private DeviceBackend(Options options, AnsweredNeedObserver observer, PrintWriter out,
            PrintWriter err) {
        this.options = options;
        this.observer = observer;
        this.out = out;
        this.err = err;
    }

    /** Runs the backend to the end; returns the exit code. */
    public static int run(Options options, PrintWriter out, PrintWriter err) {
        return run(options, AnsweredNeedObserver.NONE, out, err);
    }

    static int run(Options options, AnsweredNeedObserver observer, PrintWriter out,
            PrintWriter err) {
        return new DeviceBackend(Objects.requireNonNull(options, "options"),
                Objects.requireNonNull(observer, "observer"), Objects.requireNonNull(out, "out"),
                Objects.requireNonNull(err, "err")).run();
    }

    private int run() {
        UnixSocket socket;
        try {
            socket = UnixSocket.connect(options.socket());
        } catch (RuntimeException e) {
            return fail("cannot connect to the VMM at " + options.socket() + ": "
                    + e.getMessage());
        }
        try (FrameChannel control = new FrameChannel(socket, "control socket to the VMM")) {
            control.send(MessageKind.HELLO, 0, ByteBuffer.allocate(8)
                    .order(ByteOrder.LITTLE_ENDIAN).putInt(BackendProtocol.VERSION)
                    .putInt((int) ProcessHandle.current().pid()).array());
            Optional<Frame> first = control.receive();
            if (first.isEmpty()) {
                return fail("the VMM hung up before SETUP");
            }
            return serve(control, first.get());
        } catch (PeerGoneException e) {
            return fail("the VMM went away: " + e.getMessage() + "; exiting");
        } catch (BackendProtocolException e) {
            return fail("protocol violation by the VMM: " + e.getMessage() + "; exiting");
        } catch (RuntimeException e) {
            return fail("failed: " + e + "; exiting");
        }
    }

    private int serve(FrameChannel control, Frame setupFrame) {
        List<OwnedFd> fds = setupFrame.fds();
        try {
            if (setupFrame.kind() != MessageKind.SETUP
                    || fds.size() != BackendProtocol.SETUP_FDS) {
                throw new BackendProtocolException(setupFrame.kind() + " with " + fds.size()
                        + " fds where SETUP with " + BackendProtocol.SETUP_FDS + " belongs");
            }
            BackendSetup setup = BackendSetup.decode(setupFrame);
            try (MappedGuestMemory memory = MappedGuestMemory.map(fds.get(0), setup.gpa(),
                    setup.bytes());
                    PageStateView state = PageStateView.map(fds.get(1), setup);
                    PageRequestClient pages = PageRequestClient.start(new FrameChannel(
                            UnixSocket.adopt(fds.get(2)), "page channel to the VMM"))) {
                fds.get(0).close(); // the mappings keep what they need
                fds.get(1).close();
                BackendGate gate = new BackendGate(memory, state, pages, setup.pagesPerUnit(),
                        () -> observer.answered(answeredNeeds.incrementAndGet(), pages,
                                this::say));
                BlockDevice device = new BlockDevice(gate, new RamDisk(setup.diskSectors()));
                control.send(MessageKind.SETUP_DONE, setupFrame.tag());
                say(String.format(Locale.ROOT, "device-backend: pid %d serving the block device"
                        + " over %d MiB of guest memory at gpa 0x%x (pages in units of %d)",
                        ProcessHandle.current().pid(), setup.bytes() >> 20, setup.gpa(),
                        setup.pagesPerUnit()));
                return kicks(control, device, gate, pages);
            }
        } finally {
            fds.forEach(OwnedFd::close);
        }
    }

    /** Serves KICKs until GOODBYE or the VMM goes away. */
    private int kicks(FrameChannel control, BlockDevice device, BackendGate gate,
            PageRequestClient pages) {
        while (true) {
            Optional<Frame> next = control.receive();
            if (next.isEmpty()) {
                return fail("the VMM closed the control socket without a GOODBYE (it exited or"
                        + " was killed); exiting" + summary(gate, pages));
            }
            Frame frame = next.get();
            switch (frame.kind()) {
                case KICK:
                    kick(control, device, frame);
                    break;
                case GOODBYE:
                    say("device-backend: GOODBYE from the VMM;" + summary(gate, pages));
                    return EXIT_OK;
                default:
                    throw new BackendProtocolException(frame.kind() + " on the control socket,"
                            + " where the VMM sends KICK or GOODBYE");
            }
        }
    }

    private void kick(FrameChannel control, BlockDevice device, Frame frame) {
        int doorbell = frame.bodyBuffer().getInt();
        requests++;
        int status;
        boolean written;
        String reason = "";
        try {
            status = device.notify(doorbell);
            written = true;
        } catch (PeerGoneException | BackendProtocolException e) {
            throw e; // the VMM is gone or not to be trusted: nothing to answer
        } catch (RuntimeException e) {
            // A refused NEED, a descriptor outside guest memory: the VMM writes the status.
            status = GuestAbi.BLOCK_STATUS_IO_ERROR;
            written = false;
            reason = e.getMessage() == null ? e.toString() : e.getMessage();
            failedRequests++;
        }
        byte[] why = reason.getBytes(StandardCharsets.UTF_8);
        int room = BackendProtocol.MAX_BODY_BYTES - 8;
        ByteBuffer body = ByteBuffer.allocate(8 + Math.min(why.length, room))
                .order(ByteOrder.LITTLE_ENDIAN).putInt(status).putInt(written ? 1 : 0)
                .put(why, 0, Math.min(why.length, room));
        control.send(MessageKind.KICK_DONE, frame.tag(), body.array());
    }

    private String summary(BackendGate gate, PageRequestClient pages) {
        return String.format(Locale.ROOT, " served %d device requests (%d failed); %d guest"
                + " memory accesses, %d found pages missing and asked the VMM %d times for %d"
                + " pages", requests, failedRequests, gate.accesses(), gate.needs(),
                pages.needs(), pages.pagesAsked());
    }

    private void say(String line) {
        out.println(line);
        out.flush();
    }

    private int fail(String why) {
        err.println("device-backend: " + why);
        err.flush();
        return EXIT_FAILED;
    }
}
