// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.dp;

import java.util.List;
import org.kvmdp.kvm.Capability;
import org.kvmdp.kvm.VmErrno;

/**
 * Test fixture: {@link DemandPaging}'s {@code -errno} forms that only tests need (the
 * package-private twins and KVM_ENABLE_CAP with any fields), so tests can assert the exact
 * errno of the kernel's validation. Every field is passed through as given. Shipped in the
 * kvmdp test-jar, not in the API; {@link DemandPaging#markPresentRaw} is public already.
 */
public final class DemandPagingErrno {
    private DemandPagingErrno() {}

    /** {@link DemandPaging#enable}: 0 or -errno (EEXIST if already enabled). */
    public static int enable(DemandPaging dp) {
        return enableCap(dp, 0, DemandPagingUapi.ENABLE, 0, 0, 0);
    }

    /** {@link DemandPaging#disable}: 0 or -errno (ENXIO if not enabled). */
    public static int disable(DemandPaging dp) {
        return enableCap(dp, 0, 0, 0, 0, 0);
    }

    /** KVM_ENABLE_CAP(KVM_CAP_DEMAND_PAGING) with any flags and args: 0 or -errno. */
    public static int enableCap(DemandPaging dp, int flags, long arg0, long arg1, long arg2,
            long arg3) {
        return VmErrno.enableCap(dp.vm(), Capability.DEMAND_PAGING.number(), flags, arg0, arg1,
                arg2, arg3);
    }

    /** KVM_MARK_NON_PRESENT with every field as given: 0 or -errno. */
    public static int markNonPresent(DemandPaging dp, long gpa, long size, long flags,
            long reserved) {
        return dp.markNonPresentRaw(gpa, size, flags, reserved);
    }

    /**
     * One KVM_MARK_PRESENT_RANGES call over all of {@code ranges} (no splitting: more than
     * {@link DemandPaging#MAX_RANGES_PER_CALL} gives E2BIG) with {@code flags}: 0 or -errno.
     */
    public static int markPresentRanges(DemandPaging dp, List<GpaRange> ranges, int flags) {
        return dp.markPresentRangesRaw(ranges, flags);
    }

    /**
     * KVM_GET_PRESENT_BITMAP of the whole memslot with every field as given;
     * {@code bitmapAddress} must have room for the slot's bitmap. 0 or -errno.
     */
    public static int presentBitmap(DemandPaging dp, int slot, int padding, long bitmapAddress) {
        return dp.presentBitmapRaw(slot, padding, bitmapAddress);
    }

    /**
     * KVM_GET_PRESENT_BITMAP with every field as given ({@code pageCount} 0: to the end of the
     * memslot); {@code bitmapAddress} must have room for the bits asked for. 0 or -errno.
     */
    public static int presentBitmap(DemandPaging dp, int slot, int padding, long bitmapAddress,
            long firstPage, long pageCount) {
        return dp.presentBitmapRaw(slot, padding, bitmapAddress, firstPage, pageCount);
    }

    /** KVM_CREATE_DEMAND_PAGING_FD(O_CLOEXEC): the new fd (the caller closes it) or -errno. */
    public static int createNotificationFd(DemandPaging dp) {
        return dp.createNotificationFdRaw();
    }
}
