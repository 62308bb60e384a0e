// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import org.kvmdp.bench.TimerSlack;
import org.kvmdp.bench.Wire;

/**
 * A page source behind a {@link Wire}: every request, demand or background, from any source
 * (memory, file, TCP) and any mechanism, arrives no earlier than the wire says. The synchronous
 * fast path ({@link #copyToAddress}) copies, then sleeps on the calling thread until the bytes
 * would have arrived: the requester (a vCPU thread for KVM, a handler thread for userfaultfd)
 * waits as it would for the network. {@link #fetch} stays asynchronous, as a remote source is:
 * its future completes at the later of the source's completion and the arrival, on one
 * delivery thread that sleeps until the next arrival is due (a {@link DelayQueue}, no
 * spinning), so requests issued together overlap their round trips and queue only on the
 * link's bandwidth, as they would on a network.
 */
public final class WirePageSource implements PageSource {
    private final PageSource source;
    private final Wire.Link link;
    private final DelayQueue<Arrival> arrivals = new DelayQueue<>();
    private final Thread delivery;
    private volatile boolean closed;

    private WirePageSource(PageSource source, Wire.Link link) {
        this.source = Objects.requireNonNull(source, "source");
        this.link = Objects.requireNonNull(link, "link");
        this.delivery = new Thread(this::deliver, "kvmdp-wire");
        delivery.setDaemon(true);
    }

    /**
     * {@code source} behind a fresh link of {@code wire}, or {@code source} itself for
     * {@link Wire#NONE}. Closing the result closes {@code source}.
     */
    public static PageSource over(PageSource source, Wire wire) {
        if (wire.isNone()) {
            return source;
        }
        WirePageSource s = new WirePageSource(source, wire.link());
        s.delivery.start();
        return s;
    }

    public Wire wire() {
        return link.wire();
    }

    /** The link, with how late its waits and deliveries ended ({@link Wire.Link#meanLateNanos}). */
    public Wire.Link link() {
        return link;
    }

    @Override
    public long imageBytes() {
        return source.imageBytes();
    }

    @Override
    public CompletableFuture<Void> fetch(PageRun run, Urgency urgency, ByteBuffer destination) {
        long arrival = link.reserve(run.bytes());
        CompletableFuture<Void> delivered = new CompletableFuture<>();
        source.fetch(run, urgency, destination).whenComplete((v, error) -> {
            if (error != null) {
                delivered.completeExceptionally(error);
            } else if (arrival - System.nanoTime() <= 0) {
                delivered.complete(null);
            } else if (closed) {
                delivered.completeExceptionally(new PageSourceException("wire page source closed"));
            } else {
                arrivals.add(new Arrival(arrival, delivered));
            }
        });
        return delivered;
    }

    @Override
    public boolean copyToAddress(long first, int count, long address) {
        long issued = System.nanoTime();
        if (!source.copyToAddress(first, count, address)) {
            return false; // a remote source: the caller fetches, and that crosses the wire
        }
        link.await(link.reserve((long) count * Pages.SIZE, issued));
        if (closed) {
            throw new PageSourceException("wire page source closed");
        }
        return true;
    }

    @Override
    public PageChecksums checksums() {
        return source.checksums(); // the end-of-migration check is not part of the traffic
    }

    /** Stops delivery (pending fetches fail), then closes the source. */
    @Override
    public void close() {
        closed = true;
        delivery.interrupt();
        try {
            delivery.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Arrival a : arrivals.toArray(new Arrival[0])) {
            a.delivered.completeExceptionally(new PageSourceException("wire page source closed"));
        }
        arrivals.clear();
        source.close();
    }

    private void deliver() {
        TimerSlack.minimizeForThisThread(); // it sleeps until each arrival, like Link.await
        try {
            while (!closed) {
                Arrival a = arrivals.take();
                link.late(System.nanoTime() - a.at);
                a.delivered.complete(null);
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** A fetch whose bytes arrive at {@code at} (System.nanoTime()). */
    private record Arrival(long at, CompletableFuture<Void> delivered) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(at - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return other instanceof Arrival a ? Long.signum(at - a.at)
                    : Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }
    }
}
