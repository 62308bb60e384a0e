// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.access;

import java.util.Objects;
import org.kvmdp.postcopy.MigrationFailedException;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;

/**
 * The VMM's own accesses to guest memory during post-copy: everything the VMM itself reads or
 * writes (device emulation, the migration stream, checksums) goes through here. Before
 * touching a range the gate looks the range's pages up in the engine's {@link PageTracker}
 * (one bitmap read per page, no lock) and demand-fetches the missing ones through the
 * engine's own demand path ({@link PostcopyDestination#awaitPage}): one fetch per page
 * however many requesters want it, ahead of the background sweep, installed once by the
 * mechanism's installer (KVM_MARK_PRESENT for KVM demand paging, UFFDIO_COPY or
 * UFFDIO_CONTINUE for userfaultfd). Only then does it touch the mapping.
 *
 * <p><b>Writes: fetch first, then write.</b> A VMM write to a page that has not arrived waits
 * for the page, then writes over the arrived bytes, so the arrival can never overwrite the
 * VMM's update; the engine installs each page exactly once, so nothing arrives after. This
 * is what QEMU does (a device touching a page not yet received requests it and waits). The
 * alternative, merging (keep the VMM's bytes and lay them over the page as it lands), would
 * spare a write of whole pages the wait but needs a per-page log on the install path; it is
 * not done.
 *
 * <p><b>Every mechanism.</b> The gate waits for whole arrival units ({@link ArrivalUnit}):
 * with KVM demand paging a page is usable as soon as it is received; with userfaultfd on
 * hugetlb a huge page is mapped only when its last 4 KiB page is installed, so the gate waits
 * for all of them. Because nothing is touched before it has arrived, the VMM's read of a
 * missing page never blocks a JVM thread in a userfault (which would hang every safepoint),
 * and never reads the zeros KVM demand paging leaves in the mapping.
 *
 * <p>Thread-safe: vCPU threads emulating devices may use one gate at once. If the migration
 * fails, an access to a page that did not arrive throws {@link MigrationFailedException}; one
 * to received pages still works.
 */
public final class VmmAccessGate implements GuestMemoryAccess {
    private final PostcopyDestination destination;
    private final PageTracker tracker;
    private final MemoryWindow window;
    private final int pagesPerUnit;
    private final String requester;

    /**
     * @param tracker the tracker {@code destination} was built with; engine page p is the
     *     window's page p
     * @param pagesPerUnit pages that arrive together ({@link ArrivalUnit#pagesPerUnit})
     * @param requester the name the VMM's demand fetches are counted under in the report
     */
    public VmmAccessGate(PostcopyDestination destination, PageTracker tracker,
            MemoryWindow window, int pagesPerUnit, String requester) {
        this.destination = Objects.requireNonNull(destination, "destination");
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        this.window = Objects.requireNonNull(window, "window");
        this.requester = Objects.requireNonNull(requester, "requester");
        if (pagesPerUnit < 1 || Long.bitCount(pagesPerUnit) != 1) {
            throw new IllegalArgumentException("pages per unit must be a power of two, got "
                    + pagesPerUnit);
        }
        if (window.size() != Pages.offset(tracker.pageCount())
                || tracker.pageCount() % pagesPerUnit != 0) {
            throw new IllegalArgumentException("a window of " + window.size() + " bytes over "
                    + tracker.pageCount() + " tracked pages in units of " + pagesPerUnit);
        }
        this.pagesPerUnit = pagesPerUnit;
    }

    @Override
    public byte[] read(long gpa, int length) {
        long offset = awaitArrived(gpa, length);
        return window.read(offset, length);
    }

    /** Fetch first, then write: see the class comment. */
    @Override
    public void write(long gpa, byte[] bytes) {
        long offset = awaitArrived(gpa, bytes.length);
        window.write(offset, bytes);
    }

    /**
     * Returns once every page of [gpa, gpa + length) can be touched: at once when they have
     * arrived, else after demand-fetching the missing ones. Returns the range's window offset.
     */
    public long awaitArrived(long gpa, long length) {
        long offset = window.offsetOf(gpa, length);
        if (length == 0 || tracker.allReceived().isDone() && tracker.failure() == null) {
            return offset;
        }
        long first = offset / Pages.SIZE / pagesPerUnit * pagesPerUnit;
        long end = ((offset + length - 1) / Pages.SIZE / pagesPerUnit + 1) * pagesPerUnit;
        long missing = 0;
        for (long page = first; page < end; page++) {
            if (!tracker.isReceived(page)) {
                missing++;
            }
        }
        if (missing == 0) {
            return offset;
        }
        if (missing > 1) {
            // Ask for all of them before waiting for any, so a remote source gets the
            // requests together rather than one round trip after another.
            for (long page = first; page < end; page++) {
                if (!tracker.isReceived(page)) {
                    destination.requestPage(page, requester);
                }
            }
        }
        for (long page = first; page < end; page++) {
            if (!tracker.isReceived(page)) {
                destination.awaitPage(page, requester);
            }
        }
        return offset;
    }
}
