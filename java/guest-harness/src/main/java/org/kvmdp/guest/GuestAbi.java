// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

/**
 * The contract between the guest programs and the host: IO ports, modes and MSRs (mirroring
 * java/guest-harness/src/main/guest/guest_abi.inc, checked by a test) and the guest physical memory map the
 * harness builds.
 *
 * <p>Guest physical memory map (identity-mapped with 2 MiB pages):
 * <pre>
 *   0x0000_0000  system memslot 0, {@value #SYSTEM_MEMORY_SIZE} bytes, anonymous:
 *     0x1000     GDT (null, code64, data, 64-bit TSS)
 *     0x2000     PML4, 0x3000 PDPT, 0x10000.. one page directory per GiB
 *     0x10_0000  program code (loaded at {@link #CODE_GPA})
 *     0x20_0000  vCPU stacks, {@value #STACK_SIZE} bytes each
 *   0xC000_0000  {@link #MMIO_GPA}: mapped in the page tables, no memslot (MMIO exits)
 *   0x1_0000_0000 and up: test memory slots, 1 GiB aligned
 * </pre>
 */
public final class GuestAbi {
    public static final int PORT_PROGRESS = 0x10;
    public static final int PORT_TOUCHED = 0x11;
    public static final int PORT_DONE = 0x12;
    public static final int PORT_VALUE = 0x13;
    public static final int PORT_DATA = 0x14;
    /** The demo block device's doorbell: a descriptor's gpa / 32. */
    public static final int PORT_BLOCK_NOTIFY = 0x15;
    /** migrate_workload's check of what the block device did: 0, or BLOCK_CHECK_* bits. */
    public static final int PORT_BLOCK_CHECK = 0x16;
    /** kvm_access's #MC handler: MC0_ADDR, low then high half; then PORT_DONE. */
    public static final int PORT_MC_ADDR = 0x17;

    public static final int TOUCH_READ = 0;
    public static final int TOUCH_WRITE = 1;

    public static final int ACCESS_OUTSB = 0;
    public static final int ACCESS_OUTSL = 1;
    public static final int ACCESS_INSB = 2;
    public static final int ACCESS_MOVSB_TO_MMIO = 3;
    public static final int ACCESS_MMIO_READ = 4;
    public static final int ACCESS_MMIO_WRITE = 5;
    public static final int ACCESS_KVMCLOCK = 6;
    public static final int ACCESS_STEAL_TIME = 7;
    public static final int ACCESS_UD2 = 8;
    public static final int ACCESS_JUMP = 9;
    public static final int ACCESS_SPIN = 10;
    /** Installs an #MC handler (reports MC0_ADDR on PORT_MC_ADDR), then loads [rsi]. */
    public static final int ACCESS_MC_READ = 11;
    /** Installs the #MC handler, then as {@link #ACCESS_OUTSB}. */
    public static final int ACCESS_MC_OUTSB = 12;

    /** migrate_workload flag: phase 2 makes KVM touch two pages before checking. */
    public static final int MIGRATE_INTERNAL = 1;
    /** migrate_workload: the kvmclock area starts this many bytes before the slice end. */
    public static final int PVCLOCK_FROM_END = 64;
    /**
     * migrate_workload flag: phase 1 leaves two block requests in the slice's first page,
     * phase 2 rings the block device for them and checks the result (slices of 5+ pages).
     */
    public static final int MIGRATE_DEVICE = 2;
    /** migrate_workload: where in the slice's first page the two descriptors lie. */
    public static final int BLOCK_QUEUE_OFFSET = 3072;
    /** migrate_workload: bytes of each block request. */
    public static final int BLOCK_DEVICE_BYTES = 1024;
    public static final int BLOCK_CHECK_STATUS = 1;
    public static final int BLOCK_CHECK_DATA = 2;

    public static final int BLOCK_DESC_OP = 0;
    public static final int BLOCK_DESC_LENGTH = 4;
    public static final int BLOCK_DESC_SECTOR = 8;
    public static final int BLOCK_DESC_BUFFER = 16;
    public static final int BLOCK_DESC_STATUS = 24;
    public static final int BLOCK_DESC_SIZE = 32;
    public static final int BLOCK_OP_READ = 1;
    public static final int BLOCK_OP_WRITE = 2;
    public static final int BLOCK_STATUS_OK = 0;
    public static final int BLOCK_STATUS_BAD_REQUEST = 1;
    /** The device could not serve the request: its backend process is gone. */
    public static final int BLOCK_STATUS_IO_ERROR = 2;
    public static final int BLOCK_STATUS_PENDING = 0xff;

    public static final int MSR_KVM_SYSTEM_TIME_NEW = 0x4b564d01;
    public static final int MSR_KVM_STEAL_TIME = 0x4b564d03;
    public static final int KVM_MSR_ENABLED = 1;

    public static final long GDT_GPA = 0x1000;
    public static final long PML4_GPA = 0x2000;
    public static final long PDPT_GPA = 0x3000;
    public static final long PAGE_DIRECTORIES_GPA = 0x10000;
    /** Where programs are loaded and entered; also the link address in guest CMakeLists.txt. */
    public static final long CODE_GPA = 0x100000;
    public static final long CODE_MAX_SIZE = 0x100000;
    public static final long STACKS_GPA = 0x200000;
    public static final long STACK_SIZE = 0x4000;
    public static final int MAX_VCPUS = 128;
    public static final int SYSTEM_SLOT = 0;
    public static final long SYSTEM_MEMORY_SIZE = 0x400000;
    public static final long MMIO_GPA = 0xC000_0000L;
    public static final long TEST_MEMORY_GPA = 1L << 32;
    /** Guest physical addresses below this can be mapped (one page directory per GiB). */
    public static final long MAPPABLE_LIMIT = 64L << 30;
    public static final long GUEST_PAGE_SIZE = 2L << 20;

    private GuestAbi() {}

    /** The top of vCPU {@code id}'s stack. */
    public static long stackTop(int id) {
        return STACKS_GPA + STACK_SIZE * (id + 1L);
    }
}
