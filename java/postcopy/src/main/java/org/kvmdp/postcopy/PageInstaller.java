// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.nio.ByteBuffer;

/**
 * Puts fetched pages into the destination guest's memory. The engine calls {@link #install}
 * for each page of a fetched run, then {@link #publish} once for the run, and never installs
 * a page twice. Implementations are called from several threads, for disjoint runs.
 *
 * <p>The KVM demand-paging driver writes through the userspace mapping in {@code install} and
 * issues KVM_MARK_PRESENT(_RANGES) in {@code publish}; a userfaultfd driver stages the bytes
 * and does UFFDIO_COPY (or UFFDIO_CONTINUE for MINOR) in {@code publish}.
 */
public interface PageInstaller {
    /** Writes the {@link Pages#SIZE} bytes of {@code page} (position to limit); not yet visible. */
    void install(long page, ByteBuffer bytes);

    /**
     * Makes the installed pages of {@code run} visible to the guest and wakes vCPUs waiting on
     * them. Returns how many of them were already present (see the engine for why that is
     * benign); 0 in the normal case.
     */
    int publish(PageRun run);

    /**
     * The fast path: has {@code source} copy pages {@code [first, first + count)} straight
     * into guest memory ({@link PageSource#copyToAddress}, no heap buffer) and publishes them,
     * all on the calling thread. Returns how many were already present (as {@link #publish}),
     * or -1 if this installer or that source cannot, having done nothing: then the engine
     * fetches into a buffer and calls {@link #install} and {@link #publish}.
     */
    default int installDirect(PageSource source, long first, int count) {
        return -1;
    }

    /** Copies the current bytes of {@code page} into {@code into} (for the final checksum). */
    void readBack(long page, ByteBuffer into);
}
