// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.bench;

import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * A model of the network between a post-copy destination and its source: every request pays
 * {@code latencyNanos} (the round trip) and its bytes cross one link of {@code bitsPerSecond}
 * that concurrent requests share. A request of B bytes issued at t arrives at
 * {@code max(t, link free) + B * 8 / bandwidth + latency}: transfers queue on the link, round
 * trips overlap. {@link #NONE} costs nothing. So a 4 KiB demand fetch at 10 Gb/s and 30 us
 * takes 33.3 us and a 2 MiB huge page 1.71 ms, whichever mechanism or source asks. Waits
 * sleep ({@link Link#await}); they end late by the wake-up latency, which the link measures.
 *
 * @param name how the command line and the output name it (10g, 25g, 100g, none)
 */
public record Wire(String name, long latencyNanos, long bitsPerSecond) {
    /** The published per-4 KiB demand-fetch latency of post-copy, about 30 us. */
    public static final long DEFAULT_LATENCY_NANOS = 30_000;
    public static final Wire NONE = new Wire("none", 0, 0);

    public Wire {
        if (latencyNanos < 0 || bitsPerSecond < 0) {
            throw new IllegalArgumentException("latency and bandwidth must be >= 0");
        }
        if (name.equals("none") != (latencyNanos == 0 && bitsPerSecond == 0)) {
            throw new IllegalArgumentException("only the wire named none costs nothing");
        }
    }

    /** A preset by name: 10g, 25g or 100g (Gb/s, 30 us per request), or none. */
    public static Optional<Wire> preset(String name) {
        return switch (name) {
            case "none" -> Optional.of(NONE);
            case "10g" -> Optional.of(new Wire(name, DEFAULT_LATENCY_NANOS, 10_000_000_000L));
            case "25g" -> Optional.of(new Wire(name, DEFAULT_LATENCY_NANOS, 25_000_000_000L));
            case "100g" -> Optional.of(new Wire(name, DEFAULT_LATENCY_NANOS, 100_000_000_000L));
            default -> Optional.empty();
        };
    }

    public boolean isNone() {
        return this.equals(NONE);
    }

    /** This wire with another per-request latency. */
    public Wire withLatencyNanos(long nanos) {
        return new Wire(name, nanos, bitsPerSecond);
    }

    /** Nanoseconds {@code bytes} occupy the link (0 without bandwidth limit). */
    public long transferNanos(long bytes) {
        if (bitsPerSecond == 0) {
            return 0;
        }
        return (long) Math.ceil(bytes * 8.0 * 1e9 / bitsPerSecond);
    }

    /** What one request of {@code bytes} costs on an idle link. */
    public long requestNanos(long bytes) {
        return isNone() ? 0 : latencyNanos + transferNanos(bytes);
    }

    /** "10 Gb/s, 30 us per request" or "none". */
    public String describe() {
        if (isNone()) {
            return "none";
        }
        return String.format(Locale.ROOT, "%s: %s Gb/s, %.1f us per request", name,
                bitsPerSecond % 1_000_000_000L == 0 ? String.valueOf(bitsPerSecond / 1_000_000_000L)
                        : String.format(Locale.ROOT, "%.3f", bitsPerSecond / 1e9),
                latencyNanos / 1e3);
    }

    /** A fresh link of this wire (one per run: its queue starts empty). */
    public Link link() {
        return new Link(this);
    }

    /**
     * One link in use: {@link #reserve} books a request's transfer (one CAS on the time the link
     * is next free, no lock) and returns when its bytes arrive; {@link #await} sleeps until then
     * with {@link LockSupport#parkNanos}, never spinning, and counts how late the sleeper woke
     * (timer slack and scheduling: tens of microseconds on Linux), so the output can say how
     * far the real waits exceeded the model.
     */
    public static final class Link {
        private final Wire wire;
        private final AtomicLong freeAt = new AtomicLong(Long.MIN_VALUE);
        private final LongAdder waits = new LongAdder();
        private final LongAdder lateNanos = new LongAdder();

        private Link(Wire wire) {
            this.wire = wire;
        }

        public Wire wire() {
            return wire;
        }

        /** Books a request of {@code bytes} issued now: its arrival in System.nanoTime() terms. */
        public long reserve(long bytes) {
            if (wire.isNone()) {
                return Long.MIN_VALUE;
            }
            return reserve(bytes, System.nanoTime());
        }

        /** As {@link #reserve(long)} for a request issued at {@code now} (System.nanoTime()). */
        public long reserve(long bytes, long now) {
            if (wire.isNone()) {
                return Long.MIN_VALUE;
            }
            long transfer = wire.transferNanos(bytes);
            while (true) {
                long free = freeAt.get();
                long start = free == Long.MIN_VALUE || free - now < 0 ? now : free;
                long end = start + transfer;
                if (freeAt.compareAndSet(free, end)) {
                    return end + wire.latencyNanos;
                }
            }
        }

        /**
         * Sleeps until System.nanoTime() reaches {@code arrival} (returns at once if it has, or
         * if the thread is interrupted: it is being stopped).
         */
        public void await(long arrival) {
            if (arrival == Long.MIN_VALUE) {
                return;
            }
            long now = System.nanoTime();
            if (arrival - now <= 0) {
                return;
            }
            TimerSlack.minimizeForThisThread();
            for (long left = arrival - now; left > 0; left = arrival - now) {
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                LockSupport.parkNanos(left);
                now = System.nanoTime();
            }
            late(now - arrival);
        }

        /** Counts one wait that ended {@code nanos} after its arrival (for delivery threads). */
        public void late(long nanos) {
            waits.increment();
            lateNanos.add(Math.max(0, nanos));
        }

        /** Waits that slept so far. */
        public long waits() {
            return waits.sum();
        }

        /** How late, on average, a sleeping wait woke after its arrival; 0 without waits. */
        public double meanLateNanos() {
            long n = waits.sum();
            return n == 0 ? 0 : lateNanos.sum() / (double) n;
        }
    }
}
