// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.dp;

import org.kvmdp.nativeio.Uapi;

/** Demand-paging numbers and struct layouts from the patched linux/kvm.h (via libkvmdp.so). */
final class DemandPagingUapi {
    static final long ENABLE = Uapi.get("KVM_DEMAND_PAGING_ENABLE");
    static final long POISON = Uapi.get("KVM_DEMAND_PAGING_POISON");
    static final int MAX_RANGES = Uapi.getInt("KVM_DEMAND_PAGING_MAX_RANGES");
    static final long MARK_PRESENT = Uapi.get("KVM_MARK_PRESENT");
    static final long MARK_NON_PRESENT = Uapi.get("KVM_MARK_NON_PRESENT");
    static final long MARK_PRESENT_RANGES = Uapi.get("KVM_MARK_PRESENT_RANGES");
    static final long GET_PRESENT_BITMAP = Uapi.get("KVM_GET_PRESENT_BITMAP");
    static final long CREATE_DEMAND_PAGING_FD = Uapi.get("KVM_CREATE_DEMAND_PAGING_FD");

    static final int RANGE_SIZE = Uapi.getInt("sizeof(kvm_demand_paging_range)");
    static final int RANGE_GPA = Uapi.getInt("kvm_demand_paging_range.gpa");
    static final int RANGE_LENGTH = Uapi.getInt("kvm_demand_paging_range.size");
    static final int RANGE_FLAGS = Uapi.getInt("kvm_demand_paging_range.flags");
    static final int RANGE_RESERVED = Uapi.getInt("kvm_demand_paging_range.reserved");

    static final int RANGES_SIZE = Uapi.getInt("sizeof(kvm_demand_paging_ranges)");
    static final int RANGES_NR = Uapi.getInt("kvm_demand_paging_ranges.nr");
    static final int RANGES_FLAGS = Uapi.getInt("kvm_demand_paging_ranges.flags");
    static final int RANGES_ARRAY = Uapi.getInt("kvm_demand_paging_ranges.ranges");

    static final int BITMAP_SIZE = Uapi.getInt("sizeof(kvm_present_bitmap)");
    static final int BITMAP_SLOT = Uapi.getInt("kvm_present_bitmap.slot");
    static final int BITMAP_PADDING = Uapi.getInt("kvm_present_bitmap.padding");
    static final int BITMAP_ADDRESS = Uapi.getInt("kvm_present_bitmap.bitmap");
    static final int BITMAP_FIRST_PAGE = Uapi.getInt("kvm_present_bitmap.first_page");
    static final int BITMAP_NPAGES = Uapi.getInt("kvm_present_bitmap.npages");

    static final int EVENT_SIZE = Uapi.getInt("sizeof(kvm_demand_paging_event)");
    static final int EVENT_GPA = Uapi.getInt("kvm_demand_paging_event.gpa");
    static final int EVENT_FLAGS = Uapi.getInt("kvm_demand_paging_event.flags");

    private DemandPagingUapi() {}
}
