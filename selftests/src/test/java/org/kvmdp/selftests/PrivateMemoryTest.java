// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.kvm.Vm;
import org.kvmdp.kvm.VmType;
import org.kvmdp.memory.Backing;
import org.kvmdp.memory.GuestMemory;
import org.kvmdp.nativeio.OwnedFd;

/**
 * guest_memfd on a KVM_X86_SW_PROTECTED_VM: the same guest physical page reads the host's
 * shared memory while shared and guest_memfd's (zeroed) page once marked private.
 */
class PrivateMemoryTest {
    private static final long SIZE = 2L << 20;
    private static final long PAGE = 4096;
    private static final long SEED = 0x9a9e;

    @Test
    void privatePagesComeFromGuestMemfdSharedOnesFromTheHostMapping() {
        long gpa = 8L << 30;
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES, VmType.SW_PROTECTED);
                GuestMemory shared = GuestMemory.allocate(Backing.SHMEM, SIZE);
                OwnedFd gmem = guest.vm().createGuestMemfd(SIZE, 0)) {
            guest.pageTables().map(gpa, SIZE);
            guest.vm().setUserMemoryRegion2(7, Vm.MEM_GUEST_MEMFD, gpa, SIZE, shared.address(),
                    gmem.get(), 0);
            for (long offset = 0; offset < SIZE; offset += PAGE) {
                shared.putLong(offset, TouchPages.expectedValue(gpa + offset, SEED));
            }
            TouchPages.Params readAll = new TouchPages.Params(1, false, PAGE, SEED, 0,
                    Duration.ofMinutes(1));
            var region = new org.kvmdp.guest.MemoryRegion(7, gpa, shared);

            assertThat(TouchPages.run(guest, region, readAll).mismatches()).as("all shared")
                    .isZero();

            guest.vm().setMemoryAttributes(gpa, 16 * PAGE, Vm.MEMORY_ATTRIBUTE_PRIVATE);
            assertThat(TouchPages.run(guest, region, readAll).mismatches())
                    .as("the 16 private pages read guest_memfd's zeros").isEqualTo(16);

            guest.vm().setMemoryAttributes(gpa, 16 * PAGE, 0);
            guest.vm().deleteUserMemoryRegion(7);
        }
    }
}
