// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.postcopy.access.GuestMemoryAccess;
import org.kvmdp.postcopy.access.MemoryWindow;
import org.kvmdp.postcopy.device.BlockDoorbell;
import org.kvmdp.postcopy.device.BlockRequest;

/**
 * The block device on the VMM's side when a device-backend process serves it: a doorbell
 * the guest rings (on a vCPU thread) goes to the backend as a KICK, and the vCPU resumes
 * once the backend answers KICK_DONE, having done the request and written its status. One
 * reader thread matches answers to KICKs by tag, so vCPUs may ring at once.
 *
 * <p>If the backend is gone (end-of-file, EPIPE, a protocol violation, or no answer within
 * {@code kickTimeout}), the device fails instead of hanging the vCPU: every KICK in flight
 * and every later doorbell is answered here with {@link GuestAbi#BLOCK_STATUS_IO_ERROR},
 * written into the descriptor through the VMM's own gate (the VMM can always touch guest
 * memory itself). The guest sees an I/O error; the vCPUs and the migration carry on.
 */
public final class RemoteBlockDevice implements BlockDoorbell, AutoCloseable {
    private record KickDone(int status, boolean written, String reason) {}

    private final FrameChannel control;
    private final GuestMemoryAccess vmmMemory;
    private final MemoryWindow window;
    private final Duration kickTimeout;
    private final Consumer<String> log;
    private final Map<Integer, CompletableFuture<KickDone>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger tags = new AtomicInteger();
    private final AtomicReference<String> lost = new AtomicReference<>();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong failedHere = new AtomicLong();
    private final Thread reader;
    private Runnable onLost = () -> { };

    /**
     * @param vmmMemory the VMM's own gate, for the status of a request the backend could not
     *     answer
     * @param window the guest memory the descriptors must lie in
     */
    public RemoteBlockDevice(FrameChannel control, GuestMemoryAccess vmmMemory,
            MemoryWindow window, Duration kickTimeout, Consumer<String> log) {
        this.control = Objects.requireNonNull(control, "control");
        this.vmmMemory = Objects.requireNonNull(vmmMemory, "vmmMemory");
        this.window = Objects.requireNonNull(window, "window");
        this.kickTimeout = Objects.requireNonNull(kickTimeout, "kickTimeout");
        this.log = Objects.requireNonNull(log, "log");
        this.reader = new Thread(this::readAnswers, "kvmdp-backend-control");
        reader.setDaemon(true);
    }

    /** Starts reading answers; {@code whenLost} runs once if the backend is lost. */
    public RemoteBlockDevice start(Runnable whenLost) {
        this.onLost = Objects.requireNonNull(whenLost, "whenLost");
        reader.start();
        return this;
    }

    /**
     * Serves the doorbell {@code doorbell} through the backend; returns the status the
     * descriptor got. A descriptor outside guest memory: {@link IndexOutOfBoundsException},
     * as from the in-process device.
     */
    @Override
    public int notify(int doorbell) {
        long gpa = BlockRequest.gpaOf(doorbell);
        window.offsetOf(gpa, GuestAbi.BLOCK_DESC_SIZE);
        requests.incrementAndGet();
        if (lost.get() != null) {
            return failHere(gpa);
        }
        int tag = tags.incrementAndGet();
        CompletableFuture<KickDone> answer = new CompletableFuture<>();
        pending.put(tag, answer);
        if (lost.get() != null) { // lost after the check above: nobody fails this one
            pending.remove(tag);
            return failHere(gpa);
        }
        KickDone done;
        try {
            control.send(MessageKind.KICK, tag, ByteBuffer.allocate(4)
                    .order(ByteOrder.LITTLE_ENDIAN).putInt(doorbell).array());
            done = answer.get(kickTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (PeerGoneException e) {
            lose("its control socket is gone: " + e.getMessage());
            return failHere(gpa);
        } catch (TimeoutException e) {
            lose("it did not answer a device request within " + kickTimeout.toSeconds() + " s");
            return failHere(gpa);
        } catch (ExecutionException e) {
            return failHere(gpa); // lost meanwhile: lose() said why
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failHere(gpa);
        } finally {
            pending.remove(tag);
        }
        if (!done.written()) {
            log.accept("device backend could not serve the request at gpa 0x"
                    + Long.toHexString(gpa) + ": " + done.reason());
            return failHere(gpa);
        }
        if (done.status() != GuestAbi.BLOCK_STATUS_OK) {
            rejected.incrementAndGet();
        }
        return done.status();
    }

    @Override
    public long requests() {
        return requests.get();
    }

    @Override
    public long rejected() {
        return rejected.get();
    }

    /** Requests answered here with an I/O error, the backend lost or unable. */
    public long failedHere() {
        return failedHere.get();
    }

    /** Why the backend was lost, if it was. */
    public Optional<String> lostReason() {
        return Optional.ofNullable(lost.get());
    }

    /** Fails every request from now on (the backend is being shut down). */
    void lose(String why) {
        if (!lost.compareAndSet(null, why)) {
            return;
        }
        control.shutdown();
        // Said before the waiters are released, so the log has it before their outcome.
        log.accept("device backend lost: " + why + "; its " + pending.size() + " device"
                + " requests in flight and every later one fail with an I/O error; the guest"
                + " and the migration go on");
        PeerGoneException gone = new PeerGoneException(why);
        pending.values().forEach(f -> f.completeExceptionally(gone));
        onLost.run();
    }

    @Override
    public void close() {
        control.close();
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int failHere(long descriptorGpa) {
        failedHere.incrementAndGet();
        rejected.incrementAndGet();
        vmmMemory.writeInt(descriptorGpa + GuestAbi.BLOCK_DESC_STATUS,
                GuestAbi.BLOCK_STATUS_IO_ERROR);
        return GuestAbi.BLOCK_STATUS_IO_ERROR;
    }

    private void readAnswers() {
        try {
            while (true) {
                Optional<Frame> next = control.receive();
                if (next.isEmpty()) {
                    lose("it closed its control socket (it exited or was killed)");
                    return;
                }
                Frame frame = next.get();
                if (frame.kind() != MessageKind.KICK_DONE) {
                    throw new BackendProtocolException(frame.kind() + " on the control socket,"
                            + " where a serving backend only sends KICK_DONE");
                }
                CompletableFuture<KickDone> waiter = pending.get(frame.tag());
                if (waiter == null) {
                    throw new BackendProtocolException("KICK_DONE for tag " + frame.tag()
                            + ", which no KICK in flight has");
                }
                ByteBuffer b = frame.bodyBuffer();
                int status = b.getInt();
                int written = b.getInt();
                if (written > 1) {
                    throw new BackendProtocolException("KICK_DONE with written=" + written);
                }
                waiter.complete(new KickDone(status, written == 1, new String(frame.body(), 8,
                        frame.body().length - 8, StandardCharsets.UTF_8)));
            }
        } catch (BackendProtocolException e) {
            lose("protocol violation: " + e.getMessage());
        } catch (RuntimeException e) {
            if (lost.get() == null) {
                lose("reading its control socket failed: " + e);
            }
        }
    }
}
