// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.kvmdp.kvm.Sregs;
import org.kvmdp.memory.Backing;
import org.kvmdp.memory.GuestMemory;

class IdentityPageTablesTest {
    @Test
    void mapsOnlyRequestedTwoMegabytePagesOneToOne() {
        try (GuestMemory system = GuestMemory.allocate(Backing.ANONYMOUS, GuestAbi.SYSTEM_MEMORY_SIZE)) {
            IdentityPageTables tables = new IdentityPageTables(system);
            long flags = IdentityPageTables.PRESENT | IdentityPageTables.WRITABLE;
            assertThat(system.getLong(GuestAbi.PML4_GPA)).isEqualTo(GuestAbi.PDPT_GPA | flags);
            assertThat(system.getLong(GuestAbi.PDPT_GPA + 4 * 8))
                    .isEqualTo(IdentityPageTables.pageDirectory(4) | flags);

            tables.map(GuestAbi.TEST_MEMORY_GPA + 4096, 3L << 20); // rounds out to 2 pages
            long huge = flags | IdentityPageTables.PAGE_SIZE_BIT;
            assertThat(tables.entry(GuestAbi.TEST_MEMORY_GPA)).isEqualTo(GuestAbi.TEST_MEMORY_GPA | huge);
            assertThat(tables.entry(GuestAbi.TEST_MEMORY_GPA + (2L << 20)))
                    .isEqualTo((GuestAbi.TEST_MEMORY_GPA + (2L << 20)) | huge);
            assertThat(tables.entry(GuestAbi.TEST_MEMORY_GPA + (4L << 20))).isZero();
            assertThat(tables.entry(0)).isZero();

            assertThatThrownBy(() -> tables.map(GuestAbi.MAPPABLE_LIMIT, 4096))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> tables.map(0, 0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void longModeStateMatchesTheGdt() {
        try (GuestMemory system = GuestMemory.allocate(Backing.ANONYMOUS, GuestAbi.SYSTEM_MEMORY_SIZE)) {
            LongMode.writeGdt(system);
            Sregs sregs = LongMode.apply(new Sregs());
            long code = system.getLong(GuestAbi.GDT_GPA + sregs.cs.selector());
            assertThat((code >>> 53) & 1).as("GDT code L bit").isEqualTo(1);
            assertThat(sregs.cs.l()).isTrue();
            assertThat(sregs.cs.db()).isFalse();
            assertThat(sregs.cr0 & LongMode.CR0_PG).isNotZero();
            assertThat(sregs.cr4 & LongMode.CR4_PAE).isNotZero();
            assertThat(sregs.efer).isEqualTo(LongMode.EFER_LME | LongMode.EFER_LMA);
            assertThat(sregs.cr3).isEqualTo(GuestAbi.PML4_GPA);
            assertThat(sregs.idt.limit()).isZero();
            assertThat(sregs.gdt.limit() + 1).isEqualTo(5 * 8);
        }
    }

    @Test
    void touchParamsRejectNonsense() {
        assertThatThrownBy(() -> new TouchPages.Params(0, true, 4096, 0, 0, java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TouchPages.Params(1, true, 0, 0, 0, java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TouchPages.Params(1, true, 4096, 0, -1, java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TouchPages.Params(1, true, 4096, 0, 0, null))
                .isInstanceOf(NullPointerException.class);
        assertThat(TouchPages.expectedValue(0x1000, 0xff)).isEqualTo(0x10ff);
    }
}
