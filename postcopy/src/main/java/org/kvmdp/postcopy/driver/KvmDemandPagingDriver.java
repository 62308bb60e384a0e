// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.dp.DemandPagingEvents;
import org.kvmdp.dp.NotificationFd;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.kvm.VcpuExit;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.Requester;

/**
 * Drives a {@link PostcopyDestination} with KVM demand paging. The constructor (called before
 * any vCPU runs) enables demand paging and marks the whole region non-present; the
 * {@link #faultHandler} turns each NOT_PRESENT memory-fault exit into
 * {@link PostcopyDestination#awaitPage} on the vCPU's own thread and returns, so the vCPU
 * re-enters the guest once the page is present; a reader thread turns the notification fd's
 * events (KVM-internal accesses waiting for a page) into the same call. Once the destination
 * has every page ({@link #awaitCompletion}) demand paging is disabled.
 *
 * <p>Install pages with a {@link KvmDemandPagingInstaller} over the same region and
 * {@link DemandPaging}.
 */
public final class KvmDemandPagingDriver implements AutoCloseable {
    private static final int POLL_MILLIS = 50;

    private final DemandPaging dp;
    private final MemoryRegion region;
    private final PostcopyDestination destination;
    private final NotificationFd notifications;
    private final Thread reader;
    private final AtomicReference<Throwable> readerFailure = new AtomicReference<>();
    /** Added to by every vCPU thread: a LongAdder keeps them off one cache line. */
    private final LongAdder faultEvents = new LongAdder();
    /** One statistics handle per vCPU id (KVM allows ids below 4096; this engine 1024). */
    private final AtomicReferenceArray<Requester> vcpuRequesters = new AtomicReferenceArray<>(1024);
    private final AtomicLong notificationEvents = new AtomicLong();
    private volatile boolean enabled;

    public KvmDemandPagingDriver(DemandPaging dp, MemoryRegion region,
            PostcopyDestination destination) {
        this.dp = Objects.requireNonNull(dp, "dp");
        this.region = Objects.requireNonNull(region, "region");
        this.destination = Objects.requireNonNull(destination, "destination");
        dp.enable();
        enabled = true;
        dp.markNonPresent(region.gpa(), region.size());
        this.notifications = dp.openNotificationFd();
        this.reader = new Thread(this::readNotifications, "kvmdp-dp-notify");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Serves NOT_PRESENT memory faults in the region; anything else is an error. Each vCPU
     * records into its own {@link Requester}, made on its first fault.
     */
    public TouchPages.MemoryFaultHandler faultHandler() {
        return (vcpu, fault) -> serve(fault, requesterOf(vcpu.id()));
    }

    private Requester requesterOf(int vcpuId) {
        if (vcpuId < 0 || vcpuId >= vcpuRequesters.length()) {
            throw new IllegalArgumentException("vCPU id " + vcpuId + " out of range");
        }
        Requester r = vcpuRequesters.get(vcpuId);
        if (r == null) {
            Requester made = destination.requester("vcpu-" + vcpuId);
            r = vcpuRequesters.compareAndExchange(vcpuId, null, made);
            if (r == null) {
                r = made;
            }
        }
        return r;
    }

    /** The image page holding guest physical {@code gpa} (which must be in the region). */
    public long pageOf(long gpa) {
        if (gpa < region.gpa() || gpa >= region.endGpa()) {
            throw new IllegalArgumentException("gpa 0x" + Long.toHexString(gpa)
                    + " is outside the migrated region " + region);
        }
        return (gpa - region.gpa()) / Pages.SIZE;
    }

    private void serve(VcpuExit.MemoryFault fault, Requester requester) {
        if (!fault.isNotPresent()) {
            throw new IllegalStateException(requester.name() + ": memory fault that is not a"
                    + " demand-paging one: " + fault);
        }
        faultEvents.increment();
        destination.awaitPage(pageOf(fault.gpa()), requester);
    }

    /** Memory-fault exits and notification-fd events served so far. */
    public long faultEvents() {
        return faultEvents.sum();
    }

    /** The notification-fd events among {@link #faultEvents}: KVM-internal accesses. */
    public long notificationEvents() {
        return notificationEvents.get();
    }

    private void readNotifications() {
        Requester requester = destination.requester("notify-fd");
        try (DemandPagingEvents events = new DemandPagingEvents()) {
            while (true) {
                int n = notifications.read(events, POLL_MILLIS);
                if (n < 0) {
                    return; // closed
                }
                for (int i = 0; i < n; i++) {
                    faultEvents.increment();
                    notificationEvents.incrementAndGet();
                    destination.awaitPage(pageOf(events.gpa(i)), requester);
                }
            }
        } catch (Throwable e) {
            readerFailure.compareAndSet(null, e);
        }
    }

    /** The notification reader's failure, if it failed. */
    public Optional<Throwable> readerFailure() {
        return Optional.ofNullable(readerFailure.get());
    }

    /**
     * Waits for the destination to have every page (and checks them), then disables demand
     * paging and stops the notification reader.
     */
    public MigrationReport awaitCompletion(Duration timeout) {
        MigrationReport report = destination.awaitCompletion(timeout);
        stop();
        return report;
    }

    private synchronized void stop() {
        notifications.close();
        joinReader();
        if (enabled && !dp.vm().isClosed()) {
            dp.disable();
        }
        enabled = false;
    }

    private void joinReader() {
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the reader (closing the notification fd releases KVM's waiters); idempotent. */
    @Override
    public synchronized void close() {
        notifications.close();
        joinReader();
    }
}
