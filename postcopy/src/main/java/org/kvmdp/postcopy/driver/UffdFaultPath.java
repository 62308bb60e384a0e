// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.postcopy.LatencySummary;
import org.kvmdp.postcopy.MigrationReport;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.uffd.Userfaultfd;

/**
 * userfaultfd, MISSING (UFFDIO_COPY) or MINOR (UFFDIO_CONTINUE): fault events on a handler
 * thread; or MISSING sharded, one userfaultfd and handler thread per vCPU's slice of memory.
 * KVM's own accesses fault like the guest's, so nothing is told apart.
 */
final class UffdFaultPath implements FaultPath {
    private final List<Userfaultfd> uffds;
    private final UffdPageInstaller installer;
    private final Function<PostcopyDestination, List<UffdDriver>> arm;
    private List<UffdDriver> drivers = List.of();

    private UffdFaultPath(List<Userfaultfd> uffds, UffdPageInstaller installer,
            Function<PostcopyDestination, List<UffdDriver>> arm) {
        this.uffds = uffds;
        this.installer = installer;
        this.arm = arm;
    }

    static UffdFaultPath missing(MemoryRegion region) {
        Userfaultfd uffd = Userfaultfd.open(UffdMissingDriver.featuresFor(region));
        try {
            UffdInstaller installer = new UffdInstaller(region, uffd);
            return new UffdFaultPath(List.of(uffd), installer,
                    d -> List.of(new UffdMissingDriver(uffd, region, installer, d)));
        } catch (RuntimeException e) {
            uffd.close();
            throw e;
        }
    }

    static UffdFaultPath minor(MemoryRegion region) {
        Userfaultfd uffd = Userfaultfd.open(UffdMinorDriver.featuresFor(region));
        try {
            UffdMinorInstaller installer = new UffdMinorInstaller(region, uffd);
            return new UffdFaultPath(List.of(uffd), installer,
                    d -> List.of(new UffdMinorDriver(uffd, region, installer, d)));
        } catch (RuntimeException e) {
            uffd.close();
            throw e;
        }
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
        List<Userfaultfd> uffds = new ArrayList<>();
        try {
            for (int i = 0; i < shards; i++) {
                uffds.add(Userfaultfd.open(UffdMissingDriver.featuresFor(region)));
            }
            UffdInstaller installer = new UffdInstaller(region, uffds);
            long slice = region.size() / shards;
            return new UffdFaultPath(List.copyOf(uffds), installer, d -> {
                List<UffdDriver> armed = new ArrayList<>();
                try {
                    for (int i = 0; i < shards; i++) {
                        armed.add(new UffdMissingDriver(uffds.get(i), region, i * slice, slice,
                                installer, d, "kvmdp-uffd-handler-" + i));
                    }
                } catch (RuntimeException e) {
                    armed.forEach(UffdDriver::close);
                    throw e;
                }
                return List.copyOf(armed);
            });
        } catch (RuntimeException e) {
            uffds.forEach(Userfaultfd::close);
            throw e;
        }
    }

    @Override
    public PageInstaller installer() {
        return installer;
    }

    @Override
    public void attach(PostcopyDestination destination) {
        drivers = arm.apply(destination);
    }

    @Override
    public TouchPages.MemoryFaultHandler faultHandler() {
        return (vcpu, fault) -> {
            throw new IllegalStateException("memory fault without KVM demand paging: " + fault);
        };
    }

    @Override
    public MigrationReport awaitCompletion(Duration timeout) {
        // The first waits for the destination, then each stops its handler and unregisters.
        MigrationReport report = drivers.get(0).awaitCompletion(timeout);
        drivers.forEach(UffdDriver::close);
        return report;
    }

    @Override
    public long faultEvents() {
        return drivers.stream().mapToLong(UffdDriver::faultEvents).sum();
    }

    @Override
    public LatencySummary handlerStalls() {
        Histogram all = new Histogram(3);
        drivers.forEach(d -> all.add(d.handlerStalls()));
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
        return drivers.stream().map(UffdDriver::handlerFailure).flatMap(Optional::stream)
                .findFirst();
    }

    @Override
    public void close() {
        try {
            drivers.forEach(UffdDriver::close);
            installer.close();
        } finally {
            uffds.forEach(Userfaultfd::close); // wakes every faulting thread; they retry on plain memory
        }
    }
}
