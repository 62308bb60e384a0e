// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.memory.Backing;

/**
 * Guest program touch_pages (the demand_paging_test workload) on every backing with 1 and 2
 * vCPUs: in write mode the host then finds the guest's value in every page; in read mode the
 * guest finds the host's value in every page.
 */
class TouchPagesTest {
    static final long PAGE = 4096;
    static final long SEED = 0x6b766d6470L; // "kvmdp"
    static final Duration TIMEOUT = Duration.ofMinutes(3);

    /** Access mode of touch_pages. */
    enum Mode { WRITE, READ }

    static Stream<Arguments> backingsVcpusAndModes() {
        return Arrays.stream(Backing.values()).flatMap(b -> Stream.of(1, 2).flatMap(
                n -> Arrays.stream(Mode.values()).map(m -> Arguments.of(b, n, m))));
    }

    /** 16 MiB, or one page of the backing if that is bigger. */
    static long regionSize(Backing backing) {
        return Math.max(16L << 20, backing.pageSize());
    }

    @ParameterizedTest(name = "{0}, {1} vCPU(s), {2}")
    @MethodSource("backingsVcpusAndModes")
    void everyPageIsTouched(Backing backing, int vcpus, Mode mode) {
        boolean write = mode == Mode.WRITE;
        long size = regionSize(backing);
        assumeTrue(backing.unavailabilityReason(size).isEmpty(),
                () -> backing + " unavailable: " + backing.unavailabilityReason(size).get());
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(backing, size);
            long pages = size / PAGE;
            if (write) {
                assertThat(TouchPages.countMismatches(region, PAGE, SEED)).as("fresh memory")
                        .isEqualTo(pages);
            } else {
                TouchPages.fill(region, PAGE, SEED);
            }
            TouchPages.Result result = TouchPages.run(guest, region,
                    new TouchPages.Params(vcpus, write, PAGE, SEED, 1024, TIMEOUT));
            assertThat(result.touched()).isEqualTo(pages);
            assertThat(result.mismatches()).as("pages where the guest saw another value").isZero();
            assertThat(result.vcpus()).allSatisfy(v -> {
                assertThat(v.touched()).isEqualTo(pages / vcpus);
                assertThat(v.progressReports()).isEqualTo(pages / vcpus / 1024);
            });
            assertThat(TouchPages.countMismatches(region, PAGE, SEED))
                    .as("pages where the host sees another value").isZero();
        }
    }

    @Test
    void readModeCountsAPageTheHostCorrupted() {
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(Backing.ANONYMOUS, 2L << 20);
            TouchPages.fill(region, PAGE, SEED);
            region.memory().putLong(17 * PAGE, 0);
            TouchPages.Result result = TouchPages.run(guest, region,
                    new TouchPages.Params(1, false, PAGE, SEED, 0, TIMEOUT));
            assertThat(result.mismatches()).isEqualTo(1);
        }
    }
}
