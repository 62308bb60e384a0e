// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GuestMemoryTest {
    @ParameterizedTest
    @EnumSource(Backing.class)
    void everyAvailableBackingMapsReadsWritesAndUnmaps(Backing backing) throws IOException {
        long size = backing.pageSize() * 2;
        assumeTrue(backing.unavailabilityReason(size).isEmpty(),
                () -> backing + " unavailable: " + backing.unavailabilityReason(size).get());
        long address;
        try (GuestMemory memory = GuestMemory.allocate(backing, size)) {
            address = memory.address();
            assertThat(address % backing.pageSize()).as("aligned to the backing's page").isZero();
            memory.putLong(0, 42);
            memory.putLong(size - 8, -1);
            assertThat(memory.getLong(0)).isEqualTo(42);
            assertThat(memory.getLong(size - 8)).isEqualTo(-1);
            assertThat(memory.getLong(4096)).isZero();
            assertThat(mapped(address)).isTrue();
            if (backing.isShared()) {
                assertThat(memory.memfd()).isNotNegative();
            } else {
                assertThatThrownBy(memory::memfd).isInstanceOf(IllegalStateException.class);
            }
        }
        assertThat(mapped(address)).as("unmapped on close").isFalse();
    }

    /** populate() leaves no page of the mapping to be allocated by a later write. */
    @ParameterizedTest
    @EnumSource(value = Backing.class, names = {"ANONYMOUS", "SHMEM"})
    void populateAllocatesEveryPageAndKeepsThemZero(Backing backing) throws IOException {
        long size = 64 * backing.pageSize();
        try (GuestMemory memory = GuestMemory.allocate(backing, size)) {
            assertThat(residentKib(memory)).as("resident before populate").isZero();
            memory.populate();
            assertThat(residentKib(memory) * 1024).as("resident after populate")
                    .isEqualTo(size);
            for (long offset = 0; offset < size; offset += backing.pageSize()) {
                assertThat(memory.getLong(offset)).as("page at %d", offset).isZero();
            }
        }
        try (GuestMemory closed = GuestMemory.allocate(backing, size)) {
            closed.close();
            assertThatThrownBy(closed::populate).isInstanceOf(IllegalStateException.class);
        }
    }

    /** The Rss of {@code memory}'s mapping. */
    private static long residentKib(GuestMemory memory) throws IOException {
        return Long.parseLong(smapsField(memory, "Rss").replace("kB", "").trim());
    }

    /** What follows "{@code field}:" in the /proc/self/smaps entry of {@code memory}'s mapping. */
    private static String smapsField(GuestMemory memory, String field) throws IOException {
        String smaps = Files.readString(Path.of("/proc/self/smaps"));
        int at = smaps.indexOf("\n" + Long.toHexString(memory.address()) + "-");
        assertThat(at).as("mapping listed in smaps").isNotNegative();
        int line = smaps.indexOf("\n" + field + ":", at) + 1;
        assertThat(line).as("%s in the mapping's entry", field).isPositive();
        return smaps.substring(line + field.length() + 1, smaps.indexOf('\n', line));
    }

    @Test
    void transparentHugePagesAreAdvisedHuge() throws IOException {
        assumeTrue(Backing.THP.isAvailable(), () -> Backing.THP.unavailabilityReason().get());
        try (GuestMemory memory = GuestMemory.allocate(Backing.THP, 4L << 20)) {
            assertThat(smapsField(memory, "VmFlags")).contains(" hg");
        }
    }

    @Test
    void badArgumentsAreRefusedBeforeAnySyscall() {
        assertThatThrownBy(() -> GuestMemory.allocate(null, 4096))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> GuestMemory.allocate(Backing.ANONYMOUS, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GuestMemory.allocate(Backing.ANONYMOUS, -4096))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GuestMemory.allocate(Backing.THP, 4096))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("page size");
    }

    @Test
    void accessOutsideOrAfterCloseFails() {
        GuestMemory memory = GuestMemory.allocate(Backing.ANONYMOUS, 4096);
        assertThatThrownBy(() -> memory.getLong(4090)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> memory.putLong(-8, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        memory.close();
        memory.close();
        assertThatThrownBy(memory::address).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> memory.getLong(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void unavailableHugetlbSaysHowToGetPages() {
        long size = 1L << 30;
        long free = HugePages.free(size);
        assumeTrue(free == 0 || free == -1, "this machine has free 1 GiB pages");
        assertThat(Backing.HUGETLB_1G.unavailabilityReason(size)).get().asString()
                .containsAnyOf("hugepages=N", "no 1 GiB hugetlb pool");
        assertThatThrownBy(() -> GuestMemory.allocate(Backing.HUGETLB_1G, size))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("HUGETLB_1G memory unavailable");
    }

    private static boolean mapped(long address) throws IOException {
        String prefix = Long.toHexString(address) + "-";
        return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .anyMatch(line -> line.startsWith(prefix));
    }
}
