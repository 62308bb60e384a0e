// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.Requester;
import org.kvmdp.uffd.RegisterMode;
import org.kvmdp.uffd.UffdEvent;
import org.kvmdp.uffd.Userfaultfd;

/**
 * The handler both userfaultfd modes share: {@link #start} registers a slice of the region in
 * one mode, then a handler thread turns each page-fault event into {@link PostcopyDestination#awaitPage} for every
 * engine page of the faulting unit (the installer's UFFDIO_COPY or UFFDIO_CONTINUE wakes the
 * faulting vCPU). If the handler fails it closes the userfaultfd, so the vCPUs' faults fail
 * instead of hanging.
 */
final class UffdFaultLoop implements AutoCloseable {
    private static final int POLL_MILLIS = 50;
    private static final long JOIN_MILLIS = 5_000;

    private final Userfaultfd uffd;
    private final MemoryRegion region;
    private final PostcopyDestination destination;
    private final int pagesPerUnit;
    private final long unit;
    /** The registered part of the region: [offset, offset + length). */
    private final long offset;
    private final long length;
    private final RegisterMode mode;
    private final Thread handler;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicLong faultEvents = new AtomicLong();
    /**
     * Per fault event, from reading it to its last page installed (the UFFDIO_COPY or
     * UFFDIO_CONTINUE that wakes the vCPU): the stall the handler adds. Written by the handler
     * thread only; read after it stopped.
     */
    private final Histogram stalls = new Histogram(3);
    private boolean registered;

    /**
     * A loop over [offset, offset + length) of {@code region} (all of it, or one shard);
     * nothing happens until {@link #start}.
     */
    UffdFaultLoop(Userfaultfd uffd, MemoryRegion region, long offset, long length,
            RegisterMode mode, int pagesPerUnit, long unitBytes, PostcopyDestination destination,
            String threadName) {
        if (offset < 0 || length <= 0 || offset > region.size() - length
                || offset % unitBytes != 0 || length % unitBytes != 0) {
            throw new IllegalArgumentException("[" + offset + ", +" + length + ") is not a"
                    + " slice of whole " + unitBytes + "-byte units of the region " + region);
        }
        this.offset = offset;
        this.length = length;
        this.uffd = Objects.requireNonNull(uffd, "uffd");
        this.region = Objects.requireNonNull(region, "region");
        this.destination = Objects.requireNonNull(destination, "destination");
        this.pagesPerUnit = pagesPerUnit;
        this.unit = unitBytes;
        this.mode = Objects.requireNonNull(mode, "mode");
        this.handler = new Thread(this::handleFaults, threadName);
        handler.setDaemon(true);
    }

    /**
     * Registers the slice and starts the handler thread: before any vCPU runs, with the
     * slice's memory never touched. Once only.
     */
    synchronized void start() {
        if (registered || stop.get()) {
            throw new IllegalStateException("already started or closed");
        }
        uffd.register(region.memory().address() + offset, length, mode);
        registered = true;
        handler.start();
    }

    private void handleFaults() {
        long base = region.memory().address();
        Requester requester = destination.requester("uffd");
        try (NativeBuffer scratch = new NativeBuffer(Userfaultfd.SCRATCH_BYTES)) {
            while (!stop.get()) {
                Optional<UffdEvent> event = uffd.readEvent(POLL_MILLIS, scratch);
                if (event.isEmpty()) {
                    continue;
                }
                long start = System.nanoTime();
                if (!(event.get() instanceof UffdEvent.PageFault fault)) {
                    throw new IllegalStateException("unexpected userfaultfd event " + event.get());
                }
                long at = fault.pageAddress(unit);
                if (at < base + offset || at >= base + offset + length) {
                    throw new IllegalStateException("fault outside the registered slice: " + fault);
                }
                faultEvents.incrementAndGet();
                long first = (at - base) / Pages.SIZE;
                // Ask for every page of the unit before waiting, so they are fetched together.
                for (int i = 1; i < pagesPerUnit; i++) {
                    destination.requestPage(first + i, requester);
                }
                for (int i = 0; i < pagesPerUnit; i++) {
                    destination.awaitPage(first + i, requester);
                }
                stalls.recordValue(System.nanoTime() - start);
            }
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
            uffd.close(); // the vCPUs' faults fail instead of hanging
        }
    }

    long faultEvents() {
        return faultEvents.get();
    }

    /**
     * The handler's time per fault event, once the handler has stopped ({@link #close}); what
     * the kernel adds before the event is read (delivery, queueing behind other events) is not
     * in it, so it is a lower bound of the faulting vCPU's stall.
     */
    Histogram stalls() {
        if (handler.isAlive()) {
            throw new IllegalStateException("the handler thread still runs: close() first");
        }
        return stalls.copy();
    }

    Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /** Stops the handler thread and unregisters the region; idempotent. */
    @Override
    public synchronized void close() {
        stop.set(true);
        if (!registered) {
            return; // never started, or closed already
        }
        try {
            handler.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (registered && failure.get() == null) {
            uffd.unregister(region.memory().address() + offset, length);
        }
        registered = false;
    }
}
