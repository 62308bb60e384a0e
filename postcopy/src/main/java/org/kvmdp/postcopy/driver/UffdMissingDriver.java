// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.uffd.RegisterMode;
import org.kvmdp.uffd.UffdEvent;
import org.kvmdp.uffd.UffdFeatures;
import org.kvmdp.uffd.Userfaultfd;

/**
 * Drives a {@link PostcopyDestination} with userfaultfd MISSING. The constructor (called
 * before any vCPU runs, with the region's memory never touched) registers the region; a
 * handler thread reads fault events and calls {@link PostcopyDestination#awaitPage} for the
 * faulting page (all pages of the huge page on hugetlb, the unit UFFDIO_COPY fills); the
 * {@link UffdInstaller}'s UFFDIO_COPY then wakes the faulting thread, a vCPU in KVM_RUN.
 *
 * <p>Only syscalls and KVM_RUN may fault on the registered memory, never Java code: a JVM
 * thread blocked on a userfault would hang every safepoint. Open the {@link Userfaultfd} with
 * {@link #featuresFor} and install with a {@link UffdInstaller} over the same region and fd.
 * If the handler fails it closes the userfaultfd, so the vCPUs' faults fail instead of hanging.
 */
public final class UffdMissingDriver implements AutoCloseable {
    private static final int POLL_MILLIS = 50;

    private final Userfaultfd uffd;
    private final MemoryRegion region;
    private final PostcopyDestination destination;
    private final int pagesPerUnit;
    private final long unit;
    private final Thread handler;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<Throwable> handlerFailure = new AtomicReference<>();
    private final AtomicLong faultEvents = new AtomicLong();
    private volatile boolean registered;

    /** The userfaultfd features a MISSING driver needs for {@code region}'s backing. */
    public static long featuresFor(MemoryRegion region) {
        return region.memory().backing().isHugetlb() ? UffdFeatures.MISSING_HUGETLBFS : 0;
    }

    public UffdMissingDriver(Userfaultfd uffd, MemoryRegion region, UffdInstaller installer,
            PostcopyDestination destination) {
        this.uffd = Objects.requireNonNull(uffd, "uffd");
        this.region = Objects.requireNonNull(region, "region");
        this.destination = Objects.requireNonNull(destination, "destination");
        this.pagesPerUnit = installer.pagesPerUnit();
        this.unit = installer.unitBytes();
        uffd.register(region.memory().address(), region.size(), RegisterMode.MISSING);
        registered = true;
        this.handler = new Thread(this::handleFaults, "kvmdp-uffd-handler");
        handler.setDaemon(true);
        handler.start();
    }

    private void handleFaults() {
        long base = region.memory().address();
        try {
            while (!stop.get()) {
                Optional<UffdEvent> event = uffd.readEvent(POLL_MILLIS);
                if (event.isEmpty()) {
                    continue;
                }
                if (!(event.get() instanceof UffdEvent.PageFault fault)) {
                    throw new IllegalStateException("unexpected userfaultfd event " + event.get());
                }
                long at = fault.pageAddress(unit);
                if (at < base || at >= base + region.size()) {
                    throw new IllegalStateException("fault outside the region: " + fault);
                }
                faultEvents.incrementAndGet();
                long first = (at - base) / Pages.SIZE;
                // Ask for every page of the unit before waiting, so they are fetched together.
                for (int i = 1; i < pagesPerUnit; i++) {
                    destination.requestPage(first + i, "uffd");
                }
                for (int i = 0; i < pagesPerUnit; i++) {
                    destination.awaitPage(first + i, "uffd");
                }
            }
        } catch (Throwable e) {
            handlerFailure.compareAndSet(null, e);
            uffd.close(); // the vCPUs' faults fail instead of hanging
        }
    }

    /** Page-fault events read so far. */
    public long faultEvents() {
        return faultEvents.get();
    }

    /** The handler thread's failure, if it failed. */
    public Optional<Throwable> handlerFailure() {
        return Optional.ofNullable(handlerFailure.get());
    }

    /**
     * Waits for the destination to have every page (and checks them), then stops the handler
     * and unregisters the region.
     */
    public MigrationReport awaitCompletion(Duration timeout) {
        MigrationReport report = destination.awaitCompletion(timeout);
        close();
        return report;
    }

    /** Stops the handler thread and unregisters the region; idempotent. */
    @Override
    public synchronized void close() {
        stop.set(true);
        try {
            handler.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (registered && handlerFailure.get() == null) {
            uffd.unregister(region.memory().address(), region.size());
        }
        registered = false;
    }
}
