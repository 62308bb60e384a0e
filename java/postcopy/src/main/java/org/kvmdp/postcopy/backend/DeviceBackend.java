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

    /**
     * {@code stallAfterPages} (fault injection, -1: off): after that many answered NEEDs the
     * backend stops in the middle of its device request and holds still until killed (or
     * until the VMM goes away), so a test can kill it at a known point.
     */
    public record Options(Path socket, long stallAfterPages) {
        public Options {
            Objects.requireNonNull(socket, "socket");
            if (stallAfterPages < -1 || stallAfterPages == 0) {
                throw new IllegalArgumentException("stallAfterPages is -1 (off) or >= 1, got "
                        + stallAfterPages);
            }
        }
    }

    private final Options options;
    private final PrintWriter out;
    private final PrintWriter err;
    private final AtomicLong answeredNeeds = new AtomicLong();
    private long requests;
    private long failedRequests;

    private DeviceBackend(Options options, PrintWriter out, PrintWriter err) {
        this.options = options;
        this.out = out;
        this.err = err;
    }

    /** Runs the backend to the end; returns the exit code. */
    public static int run(Options options, PrintWriter out, PrintWriter err) {
        return new DeviceBackend(Objects.requireNonNull(options, "options"),
                Objects.requireNonNull(out, "out"), Objects.requireNonNull(err, "err")).run();
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
                        () -> stallIfAsked(pages));
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

    /** Fault injection: after the asked-for NEEDs, hold still until the VMM goes away. */
    private void stallIfAsked(PageRequestClient pages) {
        if (answeredNeeds.incrementAndGet() != options.stallAfterPages()) {
            return;
        }
        say("device-backend: stalled after " + options.stallAfterPages() + " page requests"
                + " (fault injection), in the middle of a device request; waiting to be killed");
        try {
            pages.awaitEnd();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw pages.ended().orElseGet(() -> new PeerGoneException("interrupted while stalled"));
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
