// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.nio.ByteBuffer;
import java.util.Objects;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.dp.GpaRange;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.kvm.KvmException;
import org.kvmdp.nativeio.NativeMemory;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.Pages;

/**
 * Installs pages for KVM demand paging: {@link #install} writes the bytes through the
 * userspace mapping of the region (demand paging only unmaps pages from the guest, never from
 * the host, so the JVM may write them at any time), {@link #publish} issues
 * KVM_MARK_PRESENT for a one-page run and KVM_MARK_PRESENT_RANGES for a longer one, which
 * lets the guest map the pages and wakes KVM-internal waiters. Page {@code p} of the image is
 * the region's page {@code p}.
 */
public final class KvmDemandPagingInstaller implements PageInstaller {
    private final MemoryRegion region;
    private final DemandPaging dp;
    private final InstallCounts installs;

    public KvmDemandPagingInstaller(MemoryRegion region, DemandPaging dp) {
        this.region = Objects.requireNonNull(region, "region");
        this.dp = Objects.requireNonNull(dp, "dp");
        this.installs = new InstallCounts(Pages.count(region.size()));
    }

    /** Pages installed other than exactly once (0 after a correct migration). */
    public long pagesNotInstalledExactlyOnce() {
        return installs.notExactlyOnce();
    }

    @Override
    public void install(long page, ByteBuffer bytes) {
        installs.checkPage(page);
        copyIn(bytes, region.memory().at(Pages.offset(page), Pages.SIZE));
        installs.installed(page);
    }

    @Override
    public int publish(PageRun run) {
        run.checkWithin(installs.pages());
        markPresent(run.first(), run.count());
        // Marking a present page present again is not an error for KVM and is not reported,
        // so there is nothing to count as already present here.
        return 0;
    }

    /**
     * The fault path: the source copies the pages straight into the region's mapping (one
     * copy, no buffer), then one KVM_MARK_PRESENT for the run; no allocation.
     */
    @Override
    public int installDirect(PageSource source, long first, int count) {
        checkRun(first, count);
        if (!source.copyToAddress(first, count, region.memory().address() + Pages.offset(first))) {
            return -1;
        }
        for (int i = 0; i < count; i++) {
            installs.installed(first + i);
        }
        markPresent(first, count);
        return 0;
    }

    /**
     * A contiguous run is one range: the single-range KVM_MARK_PRESENT covers it in one call
     * (KVM_MARK_PRESENT_RANGES is for scattered pages). The struct is built on the C stack and
     * the error text only on failure, so the call allocates nothing.
     */
    private void markPresent(long first, int count) {
        long gpa = region.gpa() + Pages.offset(first);
        long size = (long) count * Pages.SIZE;
        int rc = dp.markPresentRaw(gpa, size, 0, 0);
        if (rc < 0) {
            throw new KvmException("KVM_MARK_PRESENT", -rc, new GpaRange(gpa, size).toString());
        }
    }

    private void checkRun(long first, int count) {
        if (count <= 0) {
            throw new IllegalArgumentException("page count must be > 0, got " + count);
        }
        installs.checkPage(first);
        installs.checkPage(first + count - 1);
    }

    @Override
    public void readBack(long page, ByteBuffer into) {
        installs.checkPage(page);
        into.put(region.memory().read(Pages.offset(page), Pages.SIZE));
    }

    /** Copies the {@link Pages#SIZE} bytes between {@code bytes}' position and limit. */
    static void copyIn(ByteBuffer bytes, long address) {
        if (bytes.remaining() != Pages.SIZE) {
            throw new IllegalArgumentException("page buffer has " + bytes.remaining()
                    + " bytes, expected " + Pages.SIZE);
        }
        if (bytes.hasArray()) {
            // One copy from the heap buffer's array, no intermediate page.
            NativeMemory.fromArray(bytes.array(), bytes.arrayOffset() + bytes.position(), address,
                    Pages.SIZE);
            return;
        }
        byte[] page = new byte[Pages.SIZE];
        bytes.get(bytes.position(), page);
        NativeMemory.fromArray(page, address);
    }
}
