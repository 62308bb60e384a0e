// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.HdrHistogram.Histogram;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.postcopy.LatencySummary;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.uffd.RegisterMode;
import org.kvmdp.uffd.UffdFeatures;
import org.kvmdp.uffd.Userfaultfd;

/**
 * userfaultfd as a fault path: MISSING (UFFDIO_COPY, {@link UffdInstaller}), MINOR
 * (UFFDIO_CONTINUE, {@link UffdMinorInstaller}), or MISSING sharded, one userfaultfd and
 * handler thread per vCPU's slice of memory. {@link #attach} (before any vCPU runs, with the
 * region's memory never touched) registers each slice and starts its {@link UffdFaultLoop},
 * which turns fault events into {@link PostcopyDestination#awaitPage}; the installer's ioctl
 * then wakes the faulting vCPU. KVM's own accesses fault like the guest's, so nothing is told
 * apart.
 *
 * <p>Only syscalls and KVM_RUN may fault on the registered memory, never Java code: a JVM
 * thread blocked on a userfault would hang every safepoint. If a handler fails it closes its
 * userfaultfd, so the vCPUs' faults fail instead of hanging.
 */
final class UffdFaultPath implements FaultPath {
    private final MemoryRegion region;
    private final RegisterMode mode;
    private final List<Userfaultfd> uffds;
    private final UffdPageInstaller installer;
    private final String threadName;
    private List<UffdFaultLoop> loops = List.of();
    private PostcopyDestination destination;

    private UffdFaultPath(MemoryRegion region, RegisterMode mode, List<Userfaultfd> uffds,
            UffdPageInstaller installer, String threadName) {
        this.region = region;
        this.mode = mode;
        this.uffds = List.copyOf(uffds);
        this.installer = installer;
        this.threadName = threadName;
    }

    static UffdFaultPath missing(MemoryRegion region) {
        return sharded(region, 1);
    }

    /**
     * MISSING over {@code shards} equal slices of {@code region} (the vCPUs' slices in kvmdp
     * bench), each with its own userfaultfd and handler thread: the configuration reviewers ask
     * for when KVM's per-vCPU exits are compared with one userfaultfd.
     */
    static UffdFaultPath sharded(MemoryRegion region, int shards) {
        if (shards <= 0) {
            throw new IllegalArgumentException("shards must be > 0, got " + shards);
        }
        long features = region.memory().backing().isHugetlb() ? UffdFeatures.MISSING_HUGETLBFS : 0;
        List<Userfaultfd> uffds = new ArrayList<>();
        try {
            for (int i = 0; i < shards; i++) {
                uffds.add(Userfaultfd.open(features));
            }
            return new UffdFaultPath(region, RegisterMode.MISSING, uffds,
                    new UffdInstaller(region, uffds), "kvmdp-uffd-handler");
        } catch (RuntimeException e) {
            uffds.forEach(Userfaultfd::close);
            throw e;
        }
    }

    /** MINOR: shared memory only (shmem or hugetlb); refused for private memory, saying why. */
    static UffdFaultPath minor(MemoryRegion region) {
        var backing = region.memory().backing();
        if (!backing.isShared()) {
            throw new IllegalArgumentException("userfaultfd MINOR needs shared memory (shmem or"
                    + " hugetlb), not " + backing);
        }
        Userfaultfd uffd = Userfaultfd.open(backing.isHugetlb() ? UffdFeatures.MINOR_HUGETLBFS
                : UffdFeatures.MINOR_SHMEM);
        try {
            return new UffdFaultPath(region, RegisterMode.MINOR, List.of(uffd),
                    new UffdMinorInstaller(region, uffd), "kvmdp-uffd-minor-handler");
        } catch (RuntimeException e) {
            uffd.close();
            throw e;
        }
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
        this.destination = destination;
        long slice = region.size() / uffds.size();
        List<UffdFaultLoop> started = new ArrayList<>();
        try {
            for (int i = 0; i < uffds.size(); i++) {
                UffdFaultLoop loop = new UffdFaultLoop(uffds.get(i), region, i * slice, slice,
                        mode, installer.pagesPerUnit(), installer.unitBytes(), destination,
                        uffds.size() == 1 ? threadName : threadName + "-" + i);
                started.add(loop);
                loop.start();
            }
        } catch (RuntimeException e) {
            started.forEach(UffdFaultLoop::close);
            throw e;
        }
        loops = List.copyOf(started);
    }

    @Override
    public TouchPages.MemoryFaultHandler faultHandler() {
        return (vcpu, fault) -> {
            throw new IllegalStateException("memory fault without KVM demand paging: " + fault);
        };
    }

    /** Waits for the destination to have every page, then stops the handlers and unregisters. */
    @Override
    public MigrationReport awaitCompletion(Duration timeout) {
        if (destination == null) {
            throw new IllegalStateException("not attached");
        }
        MigrationReport report = destination.awaitCompletion(timeout);
        loops.forEach(UffdFaultLoop::close);
        return report;
    }

    @Override
    public long faultEvents() {
        return loops.stream().mapToLong(UffdFaultLoop::faultEvents).sum();
    }

    @Override
    public LatencySummary handlerStalls() {
        Histogram all = new Histogram(3);
        loops.forEach(loop -> all.add(loop.stalls()));
        return LatencySummary.of(all);
    }

    @Override
    public long internalEvents() {
        return 0; // userfaultfd cannot tell KVM's own accesses from the guest's
    }

    @Override
    public long pagesNotInstalledExactlyOnce() {
        return installer.pagesNotInstalledExactlyOnce();
    }

    @Override
    public Optional<Throwable> failure() {
        return loops.stream().map(UffdFaultLoop::failure).flatMap(Optional::stream).findFirst();
    }

    @Override
    public void close() {
        try {
            loops.forEach(UffdFaultLoop::close);
            installer.close();
        } finally {
            uffds.forEach(Userfaultfd::close); // wakes every faulting thread; they retry on plain memory
        }
    }
}
