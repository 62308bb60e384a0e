// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.dp.GpaRange;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.nativeio.NativeMemory;
import org.kvmdp.postcopy.PageInstaller;
import org.kvmdp.postcopy.PageRun;
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
        long gpa = region.gpa() + Pages.offset(run.first());
        if (run.count() == 1) {
            dp.markPresent(gpa, Pages.SIZE);
        } else {
            dp.markPresent(List.of(new GpaRange(gpa, run.bytes())));
        }
        // Marking a present page present again is not an error for KVM and is not reported,
        // so there is nothing to count as already present here.
        return 0;
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
        byte[] page = new byte[Pages.SIZE];
        bytes.get(bytes.position(), page);
        NativeMemory.fromArray(page, address);
    }
}
