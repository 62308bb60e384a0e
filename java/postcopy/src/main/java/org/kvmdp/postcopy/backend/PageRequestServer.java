// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.kvmdp.postcopy.MigrationFailedException;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.access.VmmAccessGate;

/**
 * The VMM's end of a backend's page channel: each NEED is checked (inside guest memory, a
 * sane count, not too many at once) and then served through the VMM's own
 * {@link VmmAccessGate}, so a backend's pages come by exactly the demand path the VMM's and
 * the vCPUs' do: ahead of the sweep, each page fetched once, installed by this VMM alone
 * (KVM_MARK_PRESENT, UFFDIO_COPY or UFFDIO_CONTINUE), its bit published in the shared page
 * state before READY goes out. A bad NEED is REFUSED and changes nothing: nothing is
 * requested from the engine for it.
 *
 * <p>When the backend goes away (end-of-file, EPIPE) or breaks the protocol (an unknown or
 * cut-off frame), the channel is shut and the backend's outstanding NEEDs are dropped: their
 * answers are not sent. Nothing in the engine needs undoing, since a NEED's fetch is the same
 * demand fetch a vCPU would make and lands as one; the migration goes on without the
 * backend.
 */
public final class PageRequestServer implements AutoCloseable {
    /** Where the reader is; the executor serves NEEDs off it so it always sees end-of-file. */
    private final FrameChannel channel;
    private final VmmAccessGate gate;
    private final long gpa;
    private final long pageCount;
    private final long holdAfter;
    private final Consumer<String> log;
    private final Consumer<String> onLost;
    private final Semaphore outstanding = new Semaphore(BackendProtocol.MAX_OUTSTANDING_NEEDS);
    private final ExecutorService servers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "kvmdp-backend-need");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean lost = new AtomicBoolean();
    private final AtomicLong needs = new AtomicLong();
    private final AtomicLong pages = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread reader;

    /**
     * @param gpa where guest memory (engine page 0) starts
     * @param onLost told once, with the reason, when the backend is gone
     */
    public PageRequestServer(FrameChannel channel, VmmAccessGate gate, long gpa,
            long pageCount, Consumer<String> log, Consumer<String> onLost) {
        this(channel, gate, gpa, pageCount, -1, log, onLost);
    }

    /**
     * @param holdAfter fault injection (-1: off), reached through DeviceBackendOptions by a
     *     test fixture: NEEDs after this many are held, never answered, so a test knows the
     *     backend is waiting when it kills the VMM
     */
    PageRequestServer(FrameChannel channel, VmmAccessGate gate, long gpa, long pageCount,
            long holdAfter, Consumer<String> log, Consumer<String> onLost) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.gate = Objects.requireNonNull(gate, "gate");
        this.gpa = gpa;
        this.pageCount = pageCount;
        this.holdAfter = holdAfter;
        this.log = Objects.requireNonNull(log, "log");
        this.onLost = Objects.requireNonNull(onLost, "onLost");
        this.reader = new Thread(this::readNeeds, "kvmdp-backend-pages");
        reader.setDaemon(true);
    }

    public PageRequestServer start() {
        reader.start();
        return this;
    }

    /** NEEDs whose pages arrived, answered READY (unless the backend was gone: dropped). */
    public long needsServed() {
        return needs.get();
    }

    /** Pages those NEEDs covered. */
    public long pagesServed() {
        return pages.get();
    }

    public long needsRefused() {
        return refused.get();
    }

    /** NEEDs in service when the backend went away, whose answers were dropped. */
    public long needsDropped() {
        return dropped.get();
    }

    public boolean isLost() {
        return lost.get();
    }

    private void readNeeds() {
        try {
            long received = 0;
            while (true) {
                Optional<Frame> next = channel.receive();
                if (next.isEmpty()) {
                    lose("the backend closed its page channel (it exited or was killed)");
                    return;
                }
                Frame frame = next.get();
                if (frame.kind() != MessageKind.NEED) {
                    throw new BackendProtocolException(frame.kind() + " on the page channel,"
                            + " where a backend only sends NEED");
                }
                received++;
                ByteBuffer b = frame.bodyBuffer();
                long first = b.getLong();
                long count = Integer.toUnsignedLong(b.getInt());
                int reserved = b.getInt();
                if (reserved != 0 || count == 0 || count > BackendProtocol.MAX_PAGES_PER_NEED) {
                    refuse(frame.tag(), Refusal.BAD_REQUEST, "a NEED for " + count
                            + " pages (1.." + BackendProtocol.MAX_PAGES_PER_NEED
                            + "), reserved word " + reserved);
                } else if (first < 0 || first >= pageCount || count > pageCount - first) {
                    refuse(frame.tag(), Refusal.OUT_OF_RANGE, "pages [" + first + ", +"
                            + count + ") are not inside guest memory's " + pageCount + " pages");
                } else if (holdAfter >= 0 && received > holdAfter) {
                    log.accept("holding the device backend's page request for pages [" + first
                            + ", " + (first + count) + ") unanswered (fault injection)");
                } else if (!outstanding.tryAcquire()) {
                    refuse(frame.tag(), Refusal.BUSY, BackendProtocol.MAX_OUTSTANDING_NEEDS
                            + " NEEDs already in service");
                } else {
                    int tag = frame.tag();
                    servers.execute(() -> serve(tag, first, (int) count));
                }
            }
        } catch (BackendProtocolException e) {
            lose("protocol violation: " + e.getMessage());
        } catch (RuntimeException e) {
            lose("reading its page channel failed: " + e);
        }
    }

    private void serve(int tag, long first, int count) {
        try {
            gate.awaitArrived(gpa + Pages.offset(first), Pages.offset(count));
            // Counted before READY goes out, so whoever has the answer sees the count.
            needs.incrementAndGet();
            pages.addAndGet(count);
            answer(tag, MessageKind.READY, new byte[0]);
        } catch (MigrationFailedException e) {
            refuse(tag, Refusal.MIGRATION_FAILED, e.getMessage());
        } catch (RuntimeException e) {
            refuse(tag, Refusal.MIGRATION_FAILED, "serving pages [" + first + ", +" + count
                    + ") failed: " + e);
        } finally {
            outstanding.release();
        }
    }

    private void refuse(int tag, Refusal refusal, String why) {
        byte[] text = why.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(text.length, BackendProtocol.MAX_BODY_BYTES - 4);
        if (answer(tag, MessageKind.REFUSED, ByteBuffer.allocate(4 + length)
                .order(ByteOrder.LITTLE_ENDIAN).putInt(refusal.code()).put(text, 0, length)
                .array())) {
            refused.incrementAndGet();
        }
    }

    /** Sends an answer unless the backend is gone; false if it was dropped. */
    private boolean answer(int tag, MessageKind kind, byte[] body) {
        if (lost.get()) {
            dropped.incrementAndGet();
            return false;
        }
        try {
            channel.send(kind, tag, body);
            return true;
        } catch (PeerGoneException e) {
            dropped.incrementAndGet();
            lose("its page channel is gone: " + e.getMessage());
            return false;
        }
    }

    /** Stops serving the backend (its device side was lost); says why once. */
    void lose(String why) {
        if (!lost.compareAndSet(false, true)) {
            return;
        }
        channel.shutdown();
        int inService = BackendProtocol.MAX_OUTSTANDING_NEEDS - outstanding.availablePermits();
        onLost.accept(why + "; dropping its " + inService + " page requests in service");
    }

    /** Shuts the channel (the backend sees end-of-file) and stops serving. */
    @Override
    public void close() {
        lost.set(true);
        channel.close();
        servers.shutdown(); // no interrupt: a NEED in service is a demand fetch like any other
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
