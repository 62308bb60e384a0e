// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.access.GuestMemoryAccess;
import org.kvmdp.postcopy.access.MemoryWindow;

/**
 * A device-backend process's {@link org.kvmdp.postcopy.access.VmmAccessGate}: every access it
 * makes to guest memory comes through here. Before touching a range it checks the range's
 * arrival units in the shared page state (a bit per page, no round trip); if any page is
 * missing it asks the VMM for the range on the page channel and waits for READY, by which
 * time the VMM has demand-fetched the pages through its engine (one fetch per page however
 * many ask, installed by the VMM alone) and their bits are set. Then it touches its own
 * mapping. Writes are fetch first, then write, as in the VMM.
 *
 * <p>The VMM's word is checked: a READY whose pages the page state does not show is a
 * protocol violation, not something to read zeros over. With the migration complete the
 * state word says so and nothing is looked up at all.
 */
public final class BackendGate implements GuestMemoryAccess {
    private final MemoryWindow window;
    private final PageStateView state;
    private final PageRequestClient pages;
    private final int pagesPerUnit;
    private final Runnable afterEachNeed;
    private final AtomicLong accesses = new AtomicLong();
    private final AtomicLong needs = new AtomicLong();
    private final AtomicLong pagesMissing = new AtomicLong();

    /**
     * @param pagesPerUnit the SETUP's arrival unit: pages that become usable together
     * @param afterEachNeed runs after each answered NEED (fault injection; a no-op otherwise)
     */
    public BackendGate(MemoryWindow window, PageStateView state, PageRequestClient pages,
            int pagesPerUnit, Runnable afterEachNeed) {
        this.window = Objects.requireNonNull(window, "window");
        this.state = Objects.requireNonNull(state, "state");
        this.pages = Objects.requireNonNull(pages, "pages");
        this.afterEachNeed = Objects.requireNonNull(afterEachNeed, "afterEachNeed");
        if (pagesPerUnit < 1 || window.size() != Pages.offset(state.pageCount())) {
            throw new IllegalArgumentException("a window of " + window.size() + " bytes over "
                    + state.pageCount() + " pages in units of " + pagesPerUnit);
        }
        this.pagesPerUnit = pagesPerUnit;
    }

    @Override
    public byte[] read(long gpa, int length) {
        return window.read(awaitArrived(gpa, length), length);
    }

    @Override
    public void write(long gpa, byte[] bytes) {
        window.write(awaitArrived(gpa, bytes.length), bytes);
    }

    /** Returns once every page of [gpa, gpa + length) has arrived; the range's window offset. */
    public long awaitArrived(long gpa, long length) {
        long offset = window.offsetOf(gpa, length);
        accesses.incrementAndGet();
        if (length == 0 || state.state() == PageStateLayout.COMPLETE) {
            return offset;
        }
        long firstPage = offset / Pages.SIZE;
        long endPage = (offset + length - 1) / Pages.SIZE + 1;
        long first = firstPage / pagesPerUnit * pagesPerUnit;
        long end = (endPage + pagesPerUnit - 1) / pagesPerUnit * pagesPerUnit;
        long missing = 0;
        for (long page = first; page < end; page++) {
            if (!state.isArrived(page)) {
                missing++;
            }
        }
        if (missing == 0) {
            return offset;
        }
        pagesMissing.addAndGet(missing);
        // The range's own pages: the VMM widens them to whole units itself, as its gate does.
        for (long page = firstPage; page < endPage; page += BackendProtocol.MAX_PAGES_PER_NEED) {
            int count = (int) Math.min(BackendProtocol.MAX_PAGES_PER_NEED, endPage - page);
            pages.need(page, count);
            needs.incrementAndGet();
            afterEachNeed.run();
        }
        if (!state.allArrived(first, end)) {
            throw new BackendProtocolException("the VMM said pages [" + firstPage + ", "
                    + endPage + ") are ready, but the page state does not show all of [" + first
                    + ", " + end + ") arrived");
        }
        return offset;
    }

    /** Ranges the device asked this gate for. */
    public long accesses() {
        return accesses.get();
    }

    /** NEEDs this gate sent: accesses that found a page missing (more for long ranges). */
    public long needs() {
        return needs.get();
    }

    /** Pages (of whole units) found missing when an access came. */
    public long pagesMissing() {
        return pagesMissing.get();
    }
}
