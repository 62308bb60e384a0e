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
import org.kvmdp.dp.PresentBitmap;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.kvm.VcpuExit;
import org.kvmdp.kvm.Vm;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.Requester;

/**
 * KVM demand paging as a fault path. {@link #attach} (before any vCPU runs) enables demand
 * paging, marks the whole region non-present, opens the notification fd and starts its reader
 * thread; from then on {@link #faultHandler} turns each NOT_PRESENT memory-fault exit into
 * {@link PostcopyDestination#awaitPage} on the vCPU's own thread and returns, so the vCPU
 * re-enters the guest once the page is present, and the reader turns the fd's events
 * (KVM-internal accesses waiting for a page) into the same call. Pages are installed by a
 * {@link KvmDemandPagingInstaller} (write through the mapping, KVM_MARK_PRESENT). Once the
 * destination has every page ({@link #awaitCompletion}) demand paging is disabled.
 *
 * <p>With pre-faulting on, the vCPU thread maps the page it faulted on with
 * KVM_PRE_FAULT_MEMORY before it re-enters, so the guest's retried access does not take a
 * second fault into KVM (the one that would map it): one guest exit per page, as
 * userfaultfd's in-kernel wait has. Where KVM cannot pre-fault (shadow paging) it stops
 * trying after the first refusal. With preallocation on ({@link KvmOptions#preallocate}),
 * attach() allocates the region's memory once it is non-present, so serving a page takes no
 * host page fault.
 */
final class KvmDemandPagingPath implements FaultPath {
    private static final int POLL_MILLIS = 50;

    private final DemandPaging dp;
    private final MemoryRegion region;
    private final KvmDemandPagingInstaller installer;
    /** Added to by every vCPU thread: a LongAdder keeps them off one cache line. */
    private final LongAdder faultEvents = new LongAdder();
    private final AtomicLong notificationEvents = new AtomicLong();
    /** One statistics handle per vCPU id (KVM allows ids below 4096; this engine 1024). */
    private final AtomicReferenceArray<Requester> vcpuRequesters = new AtomicReferenceArray<>(1024);
    private final AtomicReference<Throwable> readerFailure = new AtomicReference<>();
    /** Cleared, by any vCPU thread, when KVM refuses to pre-fault (it will not change). */
    private volatile boolean preFault;
    private final boolean preallocate;
    // Set by attach(), before any vCPU runs.
    private PostcopyDestination destination;
    private NotificationFd notifications;
    private Thread reader;
    private boolean enabled;

    KvmDemandPagingPath(Vm vm, MemoryRegion region, KvmOptions options) {
        this.dp = DemandPaging.of(vm);
        if (!dp.isSupported()) {
            throw new IllegalStateException("this kernel has no KVM_CAP_DEMAND_PAGING: boot the"
                    + " patched kernel or pick a userfaultfd mechanism");
        }
        this.region = region;
        this.installer = new KvmDemandPagingInstaller(region, dp);
        this.preFault = options.preFault();
        this.preallocate = options.preallocate();
    }

    @Override
    public PageInstaller installer() {
        return installer;
    }

    @Override
    public synchronized void attach(PostcopyDestination destination) {
        if (this.destination != null) {
            throw new IllegalStateException("already attached");
        }
        this.destination = Objects.requireNonNull(destination, "destination");
        dp.enable();
        enabled = true;
        dp.markNonPresent(region.gpa(), region.size());
        if (preallocate) {
            // Non-present first: the guest must never see the zero pages this makes.
            region.memory().populate();
        }
        notifications = dp.openNotificationFd();
        reader = new Thread(this::readNotifications, "kvmdp-dp-notify");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Serves NOT_PRESENT memory faults in the region; anything else is an error. Each vCPU
     * records into its own {@link Requester}, made on its first fault.
     */
    @Override
    public TouchPages.MemoryFaultHandler faultHandler() {
        return (vcpu, fault) -> serve(vcpu, fault, requesterOf(vcpu.id()));
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

    private void serve(Vcpu vcpu, VcpuExit.MemoryFault fault, Requester requester) {
        if (!fault.isNotPresent()) {
            throw new IllegalStateException(requester.name() + ": memory fault that is not a"
                    + " demand-paging one: " + fault);
        }
        faultEvents.increment();
        long page = pageOf(fault.gpa());
        destination.awaitPage(page, requester);
        // NOT_MAPPED (the page went non-present again, a signal) costs only the fault it
        // would have saved.
        if (preFault && vcpu.preFault(region.gpa() + Pages.offset(page), Pages.SIZE)
                == Vcpu.PreFault.UNSUPPORTED) {
            preFault = false;
        }
    }

    /** The image page holding guest physical {@code gpa} (which must be in the region). */
    private long pageOf(long gpa) {
        if (gpa < region.gpa() || gpa >= region.endGpa()) {
            throw new IllegalArgumentException("gpa 0x" + Long.toHexString(gpa)
                    + " is outside the migrated region " + region);
        }
        return (gpa - region.gpa()) / Pages.SIZE;
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

    /**
     * Pages the tracker has received whose KVM present bit is clear: the vCPUs would exit on
     * them forever, as nothing fetches a received page again.
     */
    @Override
    public Optional<String> diagnosis(PageTracker tracker) {
        try {
            PresentBitmap present = dp.presentBitmap(region.slot(), region.size());
            return ReceivedNotPresent.describe(tracker, Pages.count(region.size()),
                    present::isPresent, region.gpa());
        } catch (RuntimeException e) {
            return Optional.of("cannot compare with KVM's present bitmap: " + e.getMessage());
        }
    }

    /**
     * Waits for the destination to have every page (and checks them), then stops the reader
     * and disables demand paging.
     */
    @Override
    public MigrationReport awaitCompletion(Duration timeout) {
        MigrationReport report = attached().awaitCompletion(timeout);
        synchronized (this) {
            stopReader();
            if (enabled && !dp.vm().isClosed()) {
                dp.disable();
            }
            enabled = false;
        }
        return report;
    }

    private PostcopyDestination attached() {
        if (destination == null) {
            throw new IllegalStateException("not attached");
        }
        return destination;
    }

    @Override
    public long faultEvents() {
        return faultEvents.sum();
    }

    /** The notification-fd events among {@link #faultEvents}: KVM-internal accesses. */
    @Override
    public long internalEvents() {
        return notificationEvents.get();
    }

    @Override
    public long pagesNotInstalledExactlyOnce() {
        return installer.pagesNotInstalledExactlyOnce();
    }

    @Override
    public Optional<Throwable> failure() {
        return Optional.ofNullable(readerFailure.get());
    }

    /** Stops the reader: closing the notification fd releases KVM's waiters. Idempotent. */
    @Override
    public synchronized void close() {
        stopReader();
    }

    private void stopReader() {
        if (notifications == null) {
            return;
        }
        notifications.close();
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
