// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The demand-paging UAPI compiled into libkvmdp.so is the series' (kernel-patch/, api.rst
 * 4.144-4.147, 7.37): numbers, struct sizes and offsets. jni/kvmdp_uapi.h already refuses to
 * build against other numbers; this catches a layout table entry that exports the wrong one.
 */
class DemandPagingUapiTest {
    private static long ioc(int dir, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | (0xAEL << 8) | nr;
    }

    @Test
    void numbersAreTheSeries() {
        assertThat(Uapi.get("KVM_CAP_DEMAND_PAGING")).isEqualTo(300);
        assertThat(Uapi.get("KVM_DEMAND_PAGING_ENABLE")).isEqualTo(1);
        assertThat(Uapi.get("KVM_MEMORY_EXIT_FLAG_NOT_PRESENT")).isEqualTo(1L << 8);
        assertThat(Uapi.get("KVM_MEMORY_EXIT_FLAG_POISONED")).isEqualTo(1L << 9);
        assertThat(Uapi.get("KVM_DEMAND_PAGING_POISON")).isEqualTo(1L << 0);
        assertThat(Uapi.get("KVM_DEMAND_PAGING_MAX_RANGES")).isEqualTo(1024);
        assertThat(Uapi.get("KVM_MARK_PRESENT")).isEqualTo(ioc(1, 0xd6, 32));
        assertThat(Uapi.get("KVM_MARK_NON_PRESENT")).isEqualTo(ioc(1, 0xd7, 32));
        assertThat(Uapi.get("KVM_MARK_PRESENT_RANGES")).isEqualTo(ioc(1, 0xd8, 16));
        assertThat(Uapi.get("KVM_GET_PRESENT_BITMAP")).isEqualTo(ioc(1, 0xd9, 32));
        assertThat(Uapi.get("KVM_CREATE_DEMAND_PAGING_FD")).isEqualTo(ioc(0, 0xda, 0));
    }

    @Test
    void structsHaveTheSeriesLayout() {
        assertThat(Uapi.get("sizeof(kvm_demand_paging_range)")).isEqualTo(32);
        assertThat(Uapi.get("kvm_demand_paging_range.gpa")).isZero();
        assertThat(Uapi.get("kvm_demand_paging_range.size")).isEqualTo(8);
        assertThat(Uapi.get("kvm_demand_paging_range.flags")).isEqualTo(16);
        assertThat(Uapi.get("kvm_demand_paging_range.reserved")).isEqualTo(24);
        assertThat(Uapi.get("sizeof(kvm_demand_paging_ranges)")).isEqualTo(16);
        assertThat(Uapi.get("kvm_demand_paging_ranges.nr")).isZero();
        assertThat(Uapi.get("kvm_demand_paging_ranges.flags")).isEqualTo(4);
        assertThat(Uapi.get("kvm_demand_paging_ranges.ranges")).isEqualTo(8);
        assertThat(Uapi.get("sizeof(kvm_present_bitmap)")).isEqualTo(32);
        assertThat(Uapi.get("kvm_present_bitmap.slot")).isZero();
        assertThat(Uapi.get("kvm_present_bitmap.padding")).isEqualTo(4);
        assertThat(Uapi.get("kvm_present_bitmap.bitmap")).isEqualTo(8);
        assertThat(Uapi.get("kvm_present_bitmap.first_page")).isEqualTo(16);
        assertThat(Uapi.get("kvm_present_bitmap.npages")).isEqualTo(24);
        assertThat(Uapi.get("sizeof(kvm_demand_paging_event)")).isEqualTo(16);
        assertThat(Uapi.get("kvm_demand_paging_event.gpa")).isZero();
        assertThat(Uapi.get("kvm_demand_paging_event.flags")).isEqualTo(8);
        assertThat(Uapi.get("KVM_DEMAND_PAGING_EVENT_WRITE")).isEqualTo(1L << 0);
        assertThat(Uapi.get("KVM_DEMAND_PAGING_EVENT_VCPU")).isEqualTo(1L << 1);
    }
}
