// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.kvm.KvmStats;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.memory.Backing;
import org.kvmdp.nativeio.Uapi;

/** KVM binary stats (KVM_GET_STATS_FD) of a VM and a vCPU after a real run. */
class StatsTest {
    private static final long PAGE = 4096;

    @Test
    void vmStatsCountMappedPagesBySize() {
        long size = 16L << 20;
        assumeTrue(Backing.HUGETLB_2M.unavailabilityReason(size).isEmpty(),
                () -> Backing.HUGETLB_2M.unavailabilityReason(size).get());
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(Backing.HUGETLB_2M, size);
            KvmStats before = guest.vm().getStats();
            assertThat(before.stats()).containsKeys("pages_4k", "pages_2m", "pages_1g");
            assertThat(before.value("pages_2m")).isZero();
            assertThat(before.stat("pages_2m").type()).isEqualTo(Uapi.getInt("KVM_STATS_TYPE_INSTANT"));
            TouchPages.run(guest, region, new TouchPages.Params(1, true, PAGE, 1, 0,
                    Duration.ofMinutes(1)));
            KvmStats after = guest.vm().getStats();
            assertThat(after.id()).startsWith("kvm-");
            assertThat(after.value("pages_2m")).as("2 MiB NPT mappings of hugetlb memory")
                    .isGreaterThanOrEqualTo(size / (2L << 20));
            assertThat(after.value("pages_4k")).as("the system slot").isPositive();
        }
    }

    @Test
    void vcpuStatsCountExits() {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, 2L << 20);
            TouchPages.Result result = TouchPages.run(guest, region, new TouchPages.Params(1,
                    true, PAGE, 1, 64, Duration.ofMinutes(1)));
            Vcpu vcpu = guest.vcpus().get(0);
            KvmStats stats = vcpu.getStats();
            assertThat(stats.id()).endsWith("/vcpu-0");
            long ioExits = result.vcpus().get(0).progressReports() + 2; // + touched + done
            assertThat(stats.value("io_exits")).isGreaterThanOrEqualTo(ioExits);
            assertThat(stats.value("halt_exits")).isGreaterThanOrEqualTo(1);
            assertThat(stats.value("exits")).isGreaterThan(stats.value("io_exits"));
        }
    }
}
