// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.dp;

import static org.kvmdp.dp.DemandPagingUapi.*;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.kvmdp.kvm.Capability;
import org.kvmdp.kvm.KvmException;
import org.kvmdp.kvm.Vm;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.nativeio.NativeKvm;
import org.kvmdp.nativeio.NativeMemory;
import org.kvmdp.nativeio.OpenFlags;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.nativeio.Uapi;

/**
 * KVM demand paging of one {@link Vm} (KVM_CAP_DEMAND_PAGING, api.rst 4.144-4.147 and 7.37):
 * enable/disable, mark guest pages present or non-present, read a memslot's present bitmap,
 * open the notification fd for KVM-internal accesses. Typed methods check their arguments
 * (negative, unaligned, zero-sized, overflowing ranges, nulls, a closed VM) before any syscall
 * and throw {@link KvmException} when the kernel refuses. {@link #markPresentRaw} is the one
 * {@code -errno} form here, for fault paths that must not allocate or throw; the tests reach
 * the other (package-private) {@code -errno} forms through their DemandPagingErrno fixture.
 *
 * <p>Thread-safe: {@link #markPresent(long, long)} is meant to be called by many vCPU threads
 * at once and builds its struct on the C stack (one JNI crossing, no allocation); the batched
 * {@link #markPresent(List)} shares one native buffer under a lock.
 */
public final class DemandPaging {
    /** VM statistic: pages named by successful KVM_MARK_PRESENT(_RANGES) calls. */
    public static final String STAT_PAGES_MARKED_PRESENT = "pages_marked_present";
    /** VM statistic: pages named by successful KVM_MARK_NON_PRESENT calls. */
    public static final String STAT_PAGES_MARKED_NON_PRESENT = "pages_marked_non_present";
    /** VM statistic: KVM-internal accesses that waited for a page, from any context. */
    public static final String STAT_TOTAL_WAITS = "demand_paging_total_waits";
    /** vCPU statistic: exits with KVM_MEMORY_EXIT_FLAG_NOT_PRESENT. */
    public static final String STAT_VCPU_EXITS = "demand_paging_exits";
    /** vCPU statistic: KVM-internal accesses of this vCPU that waited for a page. */
    public static final String STAT_VCPU_WAITS = "demand_paging_waits";
    /** vCPU statistic: log2 histogram of wait times in ns. */
    public static final String STAT_VCPU_WAIT_HIST = "demand_paging_wait_hist";

    /** KVM_DEMAND_PAGING_MAX_RANGES: ranges per KVM_MARK_PRESENT_RANGES call. */
    public static final int MAX_RANGES_PER_CALL = DemandPagingUapi.MAX_RANGES;
    /** Demand paging tracks 4 KiB pages whatever the backing's page size. */
    public static final long PAGE_SIZE = 4096;

    private final Vm vm;
    private final ReentrantLock batchLock = new ReentrantLock();
    private NativeBuffer batch; // struct kvm_demand_paging_ranges, then range[MAX_RANGES]

    private DemandPaging(Vm vm) {
        this.vm = vm;
    }

    /** The demand-paging handle of {@code vm} (no syscall; cheap, may be made many times). */
    public static DemandPaging of(Vm vm) {
        Objects.requireNonNull(vm, "vm");
        if (Uapi.PAGE_SIZE != PAGE_SIZE) {
            throw new IllegalStateException("demand paging needs 4 KiB host pages, have "
                    + Uapi.PAGE_SIZE);
        }
        return new DemandPaging(vm);
    }

    public Vm vm() {
        return vm;
    }

    /** KVM_CHECK_EXTENSION(KVM_CAP_DEMAND_PAGING): the enable flags KVM accepts, 0 if none. */
    public long supportedFlags() {
        return vm.checkExtension(Capability.DEMAND_PAGING);
    }

    /** Whether this kernel offers demand paging for this VM. */
    public boolean isSupported() {
        return (supportedFlags() & ENABLE) != 0;
    }

    /**
     * See KVM_CAP_DEMAND_PAGING: every user memslot gets a present bitmap (all present).
     * EEXIST if already enabled.
     */
    public void enable() {
        vm.enableCap(Capability.DEMAND_PAGING, ENABLE);
    }

    /**
     * See KVM_CAP_DEMAND_PAGING: every page becomes present and waiters proceed. ENXIO if not
     * enabled.
     */
    public void disable() {
        vm.enableCap(Capability.DEMAND_PAGING, 0);
    }

    /**
     * See KVM_MARK_PRESENT: the caller has installed the contents of [gpa, gpa + size) (page
     * aligned, inside memslots) and lets the guest map them; wakes waiters. Marking a present
     * page again is not an error.
     */
    public void markPresent(long gpa, long size) {
        checkRange(gpa, size);
        check("KVM_MARK_PRESENT", markPresentRaw(gpa, size, 0, 0), range(gpa, size));
    }

    /**
     * Allocation-free form for hot paths: KVM_MARK_PRESENT with every field as given, 0 or
     * {@code -errno} instead of an exception, so a caller builds its error text only on failure
     * (the post-copy engine's KVM installer marks every fetched run with it). One JNI call, the
     * struct on the C stack.
     */
    public int markPresentRaw(long gpa, long size, long flags, long reserved) {
        return NativeKvm.demandPagingRange(vm.fd(), MARK_PRESENT, gpa, size, flags, reserved);
    }

    /**
     * See KVM_MARK_NON_PRESENT: KVM unmaps [gpa, gpa + size) from the guest; the next guest
     * access exits (or, for KVM-internal accesses, waits). The host mapping is not touched.
     */
    public void markNonPresent(long gpa, long size) {
        checkRange(gpa, size);
        check("KVM_MARK_NON_PRESENT", markNonPresentRaw(gpa, size, 0, 0), range(gpa, size));
    }

    /**
     * See KVM_MARK_NON_PRESENT with KVM_DEMAND_PAGING_POISON (memory poisoning emulation): as
     * {@link #markNonPresent}, and the pages will not arrive. A guest access exits with
     * {@code MemoryFaultFlags.POISONED}, upon which the VMM injects a machine check
     * ({@code MachineCheck.poisonConsumed}); KVM's own accesses fail instead of waiting.
     * {@link #markPresent} after installing fresh contents unpoisons.
     */
    public void poison(long gpa, long size) {
        checkRange(gpa, size);
        check("KVM_MARK_NON_PRESENT(POISON)", markNonPresentRaw(gpa, size, POISON, 0),
                range(gpa, size));
    }

    /** KVM_MARK_NON_PRESENT with every field as given: 0 or -errno. */
    int markNonPresentRaw(long gpa, long size, long flags, long reserved) {
        return NativeKvm.demandPagingRange(vm.fd(), MARK_NON_PRESENT, gpa, size, flags, reserved);
    }

    /**
     * See KVM_MARK_PRESENT_RANGES: marks every range present, in calls of at most
     * {@link #MAX_RANGES_PER_CALL} ranges (one syscall each). All ranges are checked first;
     * if the kernel refuses a call, the calls before it have taken effect.
     */
    public void markPresent(List<GpaRange> ranges) {
        Objects.requireNonNull(ranges, "ranges");
        for (int i = 0; i < ranges.size(); i++) {
            GpaRange r = Objects.requireNonNull(ranges.get(i), "ranges[" + i + "]");
            checkRange(r.gpa(), r.size());
        }
        for (int from = 0; from < ranges.size(); from += MAX_RANGES_PER_CALL) {
            int to = Math.min(ranges.size(), from + MAX_RANGES_PER_CALL);
            check("KVM_MARK_PRESENT_RANGES", markPresentRangesRaw(ranges.subList(from, to), 0),
                    (to - from) + " ranges from " + ranges.get(from));
        }
    }

    /**
     * One KVM_MARK_PRESENT_RANGES call over all of {@code ranges} (no splitting, so more than
     * {@link #MAX_RANGES_PER_CALL} gives E2BIG) with {@code flags}: 0 or -errno.
     */
    int markPresentRangesRaw(List<GpaRange> ranges, int flags) {
        Objects.requireNonNull(ranges, "ranges");
        if (ranges.size() > MAX_RANGES_PER_CALL) {
            // Larger than the shared buffer: only tests do this, to see E2BIG.
            try (NativeBuffer b = new NativeBuffer(RANGES_SIZE
                    + (long) RANGE_SIZE * ranges.size())) {
                return fillAndMark(b, ranges, flags);
            }
        }
        batchLock.lock();
        try {
            if (batch == null) {
                batch = new NativeBuffer(RANGES_SIZE + (long) RANGE_SIZE * MAX_RANGES_PER_CALL);
            }
            return fillAndMark(batch, ranges, flags);
        } finally {
            batchLock.unlock();
        }
    }

    /**
     * See KVM_GET_PRESENT_BITMAP: a copy of memslot {@code slot}'s present bitmap;
     * {@code slotSize} is the memslot's size in bytes (a multiple of 4 KiB). EINVAL if the
     * memslot is smaller.
     */
    public PresentBitmap presentBitmap(int slot, long slotSize) {
        if (slotSize <= 0 || slotSize % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("memslot size must be a positive multiple of "
                    + PAGE_SIZE + ", got " + slotSize);
        }
        return presentBitmap(slot, 0, slotSize / PAGE_SIZE);
    }

    /**
     * See KVM_GET_PRESENT_BITMAP: the present bits of {@code pageCount} pages of memslot
     * {@code slot} from page {@code firstPage} on (a multiple of 64); page i of the result is
     * page {@code firstPage + i} of the memslot. Reads a large memslot in pieces. EINVAL if
     * the range is not inside the memslot.
     */
    public PresentBitmap presentBitmap(int slot, long firstPage, long pageCount) {
        if (slot < 0) {
            throw new IllegalArgumentException("memslot id must be >= 0, got " + slot);
        }
        if (firstPage < 0 || firstPage % 64 != 0) {
            throw new IllegalArgumentException("first page must be a multiple of 64, got "
                    + firstPage);
        }
        if (pageCount <= 0) {
            throw new IllegalArgumentException("page count must be > 0, got " + pageCount);
        }
        int words = Math.toIntExact((pageCount + 63) / 64);
        try (NativeBuffer b = new NativeBuffer(8L * words)) {
            check("KVM_GET_PRESENT_BITMAP",
                    presentBitmapRaw(slot, 0, b.address(), firstPage, pageCount),
                    "slot " + slot + " pages [" + firstPage + ", +" + pageCount + ")");
            long[] bits = new long[words];
            for (int i = 0; i < words; i++) {
                bits[i] = b.getLong(8L * i);
            }
            return new PresentBitmap(pageCount, bits);
        }
    }

    /**
     * KVM_GET_PRESENT_BITMAP of the whole memslot with every field as given;
     * {@code bitmapAddress} must have room for the slot's bitmap. 0 or -errno.
     */
    int presentBitmapRaw(int slot, int padding, long bitmapAddress) {
        return presentBitmapRaw(slot, padding, bitmapAddress, 0, 0);
    }

    /**
     * KVM_GET_PRESENT_BITMAP with every field as given ({@code pageCount} 0: to the end of the
     * memslot); {@code bitmapAddress} must have room for the bits asked for. 0 or -errno.
     */
    int presentBitmapRaw(int slot, int padding, long bitmapAddress, long firstPage,
            long pageCount) {
        try (NativeBuffer b = new NativeBuffer(BITMAP_SIZE)) {
            b.putInt(BITMAP_SLOT, slot);
            b.putInt(BITMAP_PADDING, padding);
            b.putLong(BITMAP_ADDRESS, bitmapAddress);
            b.putLong(BITMAP_FIRST_PAGE, firstPage);
            b.putLong(BITMAP_NPAGES, pageCount);
            return (int) vm.ioctlRaw(GET_PRESENT_BITMAP, b.address());
        }
    }

    /**
     * See KVM_CREATE_DEMAND_PAGING_FD: the notification fd on which KVM posts pages that its
     * own accesses wait for. Closed by the VM's close before its vCPUs (so waiting vCPUs leave
     * KVM_RUN) unless closed earlier. EBUSY while another one is open.
     */
    public NotificationFd openNotificationFd() {
        int rc = createNotificationFdRaw();
        check("KVM_CREATE_DEMAND_PAGING_FD", rc, null);
        NotificationFd fd = NotificationFd.adopt(new OwnedFd(rc, "demand paging fd"), vm);
        vm.closeFirstOnClose(fd);
        return fd;
    }

    /** KVM_CREATE_DEMAND_PAGING_FD(O_CLOEXEC): the new fd (the caller owns it) or -errno. */
    int createNotificationFdRaw() {
        return (int) vm.ioctlRaw(CREATE_DEMAND_PAGING_FD, OpenFlags.O_CLOEXEC);
    }

    private int fillAndMark(NativeBuffer b, List<GpaRange> ranges, int flags) {
        long array = b.at(RANGES_SIZE, (long) RANGE_SIZE * ranges.size());
        for (int i = 0; i < ranges.size(); i++) {
            GpaRange r = ranges.get(i);
            long at = array + (long) RANGE_SIZE * i;
            NativeMemory.putLong(at + RANGE_GPA, r.gpa());
            NativeMemory.putLong(at + RANGE_LENGTH, r.size());
            NativeMemory.putLong(at + RANGE_FLAGS, 0);
            NativeMemory.putLong(at + RANGE_RESERVED, 0);
        }
        b.putInt(RANGES_NR, ranges.size());
        b.putInt(RANGES_FLAGS, flags);
        b.putLong(RANGES_ARRAY, array);
        return (int) vm.ioctlRaw(MARK_PRESENT_RANGES, b.address());
    }

    private static void checkRange(long gpa, long size) {
        if (gpa < 0) {
            throw new IllegalArgumentException("gpa must be >= 0, got 0x" + Long.toHexString(gpa));
        }
        if (size <= 0) {
            throw new IllegalArgumentException("size must be > 0, got " + size);
        }
        if (gpa % PAGE_SIZE != 0 || size % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("range " + range(gpa, size)
                    + " is not aligned to 4 KiB pages");
        }
        if (gpa > Long.MAX_VALUE - size) {
            throw new IllegalArgumentException("range " + range(gpa, size)
                    + " overflows the guest physical address space");
        }
    }

    private static void check(String ioctl, int rc, String detail) {
        if (rc < 0) {
            throw new KvmException(ioctl, -rc, detail);
        }
    }

    private static String range(long gpa, long size) {
        return new GpaRange(gpa, size).toString();
    }
}
