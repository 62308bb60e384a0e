// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A backend's end of the page channel: {@link #need} asks the VMM for pages and blocks until
 * it answers. One reader thread matches answers to requests by tag. When the VMM goes away
 * (end-of-file: it exited or was killed) or breaks the protocol, every wait in progress and
 * every later one fails at once with the reason: a backend never waits for an answer that
 * cannot come.
 */
public final class PageRequestClient implements AutoCloseable {
    private final FrameChannel channel;
    private final Map<Integer, CompletableFuture<Frame>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger tags = new AtomicInteger();
    private final AtomicReference<RuntimeException> ended = new AtomicReference<>();
    private final CountDownLatch endedLatch = new CountDownLatch(1);
    private final AtomicLong needs = new AtomicLong();
    private final AtomicLong pagesAsked = new AtomicLong();
    private final Thread reader;

    private PageRequestClient(FrameChannel channel) {
        this.channel = channel;
        this.reader = new Thread(this::readAnswers, "device-backend-pages");
        reader.setDaemon(true);
    }

    /** Starts reading answers on {@code channel}. */
    public static PageRequestClient start(FrameChannel channel) {
        PageRequestClient client = new PageRequestClient(Objects.requireNonNull(channel,
                "channel"));
        client.reader.start();
        return client;
    }

    /**
     * Asks for pages [first, first + count) and returns once the VMM says they have arrived
     * (their bits are set in the page state). {@link PagesRefusedException} if it refused,
     * {@link PeerGoneException} if the VMM is gone, {@link BackendProtocolException} if it
     * broke the protocol.
     */
    public void need(long first, int count) {
        int tag = tags.incrementAndGet();
        CompletableFuture<Frame> answer = new CompletableFuture<>();
        pending.put(tag, answer);
        // After registering: whoever ends the channel fails what is registered by then.
        RuntimeException end = ended.get();
        if (end != null) {
            pending.remove(tag);
            throw rethrown(end);
        }
        needs.incrementAndGet();
        pagesAsked.addAndGet(count);
        try {
            channel.send(MessageKind.NEED, tag, ByteBuffer.allocate(16)
                    .order(ByteOrder.LITTLE_ENDIAN).putLong(first).putInt(count).putInt(0)
                    .array());
        } catch (RuntimeException e) {
            pending.remove(tag);
            end(e instanceof PeerGoneException ? e
                    : new PeerGoneException("sending a NEED failed: " + e.getMessage(), e));
            throw rethrown(ended.get());
        }
        Frame frame;
        try {
            frame = answer.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pending.remove(tag);
            throw new PeerGoneException("interrupted waiting for pages [" + first + ", "
                    + (first + count) + ")");
        } catch (ExecutionException e) {
            throw rethrown((RuntimeException) e.getCause());
        }
        if (frame.kind() == MessageKind.REFUSED) {
            ByteBuffer b = frame.bodyBuffer();
            int code = b.getInt();
            String why = new String(frame.body(), 4, frame.body().length - 4,
                    StandardCharsets.UTF_8);
            throw new PagesRefusedException(code, "the VMM refused pages [" + first + ", "
                    + (first + count) + "): " + Refusal.describe(code) + ": " + why);
        }
    }

    /** NEEDs sent so far. */
    public long needs() {
        return needs.get();
    }

    /** Pages those NEEDs asked for. */
    public long pagesAsked() {
        return pagesAsked.get();
    }

    /** Why the channel ended, if it has: the VMM went away or broke the protocol. */
    public Optional<RuntimeException> ended() {
        return Optional.ofNullable(ended.get());
    }

    /** Blocks until the channel ends (for a backend holding still until the VMM goes). */
    public void awaitEnd() throws InterruptedException {
        endedLatch.await();
    }

    /** Ends the channel: waits in progress fail, the VMM sees end-of-file. */
    @Override
    public void close() {
        end(new PeerGoneException("the page channel was closed by this backend"));
        channel.close();
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void readAnswers() {
        try {
            while (true) {
                Optional<Frame> next = channel.receive();
                if (next.isEmpty()) {
                    end(new PeerGoneException("the VMM closed the page channel (it exited or"
                            + " was killed)"));
                    return;
                }
                Frame frame = next.get();
                if (frame.kind() != MessageKind.READY && frame.kind() != MessageKind.REFUSED) {
                    throw new BackendProtocolException(frame.kind() + " on the page channel,"
                            + " where the VMM only answers READY or REFUSED");
                }
                CompletableFuture<Frame> waiter = pending.remove(frame.tag());
                if (waiter == null) {
                    throw new BackendProtocolException(frame.kind() + " for tag " + frame.tag()
                            + ", which no NEED in flight has");
                }
                waiter.complete(frame);
            }
        } catch (RuntimeException e) {
            end(e instanceof BackendProtocolException || e instanceof PeerGoneException ? e
                    : new PeerGoneException("reading the page channel failed: " + e, e));
            channel.shutdown();
        }
    }

    private void end(RuntimeException reason) {
        if (ended.compareAndSet(null, reason)) {
            endedLatch.countDown();
        }
        RuntimeException first = ended.get();
        pending.values().forEach(f -> f.completeExceptionally(first));
        pending.clear();
    }

    /** A new exception of the same kind, so the stack shows this wait too. */
    private static RuntimeException rethrown(RuntimeException e) {
        if (e instanceof BackendProtocolException) {
            return new BackendProtocolException(e.getMessage());
        }
        return new PeerGoneException(e.getMessage(), e);
    }
}
