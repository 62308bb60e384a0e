// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kvmdp.dp.DemandPaging;
import org.kvmdp.dp.DemandPagingErrno;
import org.kvmdp.dp.GpaRange;
import org.kvmdp.dp.NotificationFd;
import org.kvmdp.dp.PresentBitmap;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.memory.Backing;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.NativeBuffer;

/**
 * KVM_CAP_DEMAND_PAGING's ioctls without running a guest: discovery, enable/disable, every
 * refused input with its errno (and the present bitmap read back to prove nothing changed),
 * the notification fd's one-per-VM rule, batched against single marking, the mark counters.
 */
class DemandPagingApiTest {
    private static final long PAGE = 4096;
    private static final long SLOT_SIZE = 2L << 20;

    private GuestVm guest;
    private MemoryRegion region;
    private MemoryRegion second;
    private DemandPaging dp;

    @BeforeEach
    void createGuest() {
        guest = GuestVm.create(GuestProgram.TOUCH_PAGES);
        region = guest.addMemory(Backing.ANONYMOUS, SLOT_SIZE);
        second = guest.addMemory(Backing.ANONYMOUS, SLOT_SIZE); // 1 GiB further: a hole between
        dp = DemandPaging.of(guest.vm());
        assumeTrue(dp.isSupported(), "kernel without KVM_CAP_DEMAND_PAGING");
    }

    @AfterEach
    void closeGuest() {
        guest.close();
    }

    @Test
    void checkExtensionReportsTheEnableFlag() {
        assertThat(dp.supportedFlags()).isEqualTo(1L);
    }

    @Test
    void enableDisableAndEnableAgain() {
        dp.enable();
        assertThat(bitmap().presentCount()).as("enabling makes every page present")
                .isEqualTo(SLOT_SIZE / PAGE);
        dp.markNonPresent(region.gpa() + 3 * PAGE, 2 * PAGE);
        assertThat(bitmap().nonPresentCount()).isEqualTo(2);
        dp.disable();
        assertThat(DemandPagingErrno.presentBitmap(dp, region.slot(), 0, 0))
                .isEqualTo(-Errno.ENXIO.code());
        dp.enable();
        assertThat(bitmap().nonPresentCount()).as("disable made everything present").isZero();
        MemoryRegion later = guest.addMemory(Backing.ANONYMOUS, SLOT_SIZE);
        assertThat(dp.presentBitmap(later.slot(), later.size()).nonPresentCount())
                .as("a memslot created while enabled").isZero();
    }

    @Test
    void enablingTwiceIsEexistAndDisablingTwiceIsEnxio() {
        assertThat(DemandPagingErrno.disable(dp)).as("disable before enable")
                .isEqualTo(-Errno.ENXIO.code());
        assertThat(DemandPagingErrno.enable(dp)).isZero();
        assertThat(DemandPagingErrno.enable(dp)).isEqualTo(-Errno.EEXIST.code());
        assertThat(DemandPagingErrno.disable(dp)).isZero();
        assertThat(DemandPagingErrno.disable(dp)).isEqualTo(-Errno.ENXIO.code());
    }

    @Test
    void enableCapRefusesUnknownFlagsAndArguments() {
        int einval = -Errno.EINVAL.code();
        assertThat(DemandPagingErrno.enableCap(dp, 0, 2, 0, 0, 0)).as("unknown bit in args[0]")
                .isEqualTo(einval);
        assertThat(DemandPagingErrno.enableCap(dp, 0, 1, 1, 0, 0)).as("args[1]").isEqualTo(einval);
        assertThat(DemandPagingErrno.enableCap(dp, 0, 1, 0, 0, 1)).as("args[3]").isEqualTo(einval);
        assertThat(DemandPagingErrno.enableCap(dp, 1, 1, 0, 0, 0)).as("flags").isEqualTo(einval);
        assertThat(dp.markPresentRaw(region.gpa(), PAGE, 0, 0)).as("still disabled")
                .isEqualTo(-Errno.ENXIO.code());
    }

    @Test
    void everyCallBeforeEnableIsEnxio() {
        int enxio = -Errno.ENXIO.code();
        assertThat(dp.markPresentRaw(region.gpa(), PAGE, 0, 0)).isEqualTo(enxio);
        assertThat(DemandPagingErrno.markNonPresent(dp, region.gpa(), PAGE, 0, 0)).isEqualTo(enxio);
        assertThat(DemandPagingErrno.markPresentRanges(dp, List.of(new GpaRange(region.gpa(), PAGE)),
                0))
                .isEqualTo(enxio);
        try (NativeBuffer b = new NativeBuffer(SLOT_SIZE / PAGE / 8)) {
            assertThat(DemandPagingErrno.presentBitmap(dp, region.slot(), 0, b.address()))
                        .isEqualTo(enxio);
        }
    }

    static Stream<Arguments> refusedCalls() {
        return Stream.of(
                refused("unaligned gpa", Errno.EINVAL, t -> t.dp.markPresentRaw(t.region.gpa() + 8, PAGE, 0, 0)),
                refused("unaligned size", Errno.EINVAL,
                        t -> DemandPagingErrno.markNonPresent(t.dp, t.region.gpa(), PAGE + 1, 0, 0)),
                refused("zero size", Errno.EINVAL,
                        t -> DemandPagingErrno.markNonPresent(t.dp, t.region.gpa(), 0, 0, 0)),
                refused("gpa + size overflows", Errno.EINVAL,
                        t -> DemandPagingErrno.markNonPresent(t.dp, -PAGE, 2 * PAGE, 0, 0)),
                // Bit 0 is KVM_DEMAND_PAGING_POISON; bit 1 is defined for neither ioctl.
                refused("unknown flags", Errno.EINVAL,
                        t -> DemandPagingErrno.markNonPresent(t.dp, t.region.gpa(), PAGE, 1L << 1, 0)),
                refused("poison flag on mark present", Errno.EINVAL, t -> t.dp.markPresentRaw(t.region.gpa(), PAGE, 1, 0)),
                refused("reserved non-zero", Errno.EINVAL, t -> t.dp.markPresentRaw(t.region.gpa(), PAGE, 0, 1)),
                refused("no memslot there", Errno.ENOENT,
                        t -> DemandPagingErrno.markNonPresent(t.dp, t.region.endGpa(), PAGE, 0, 0)),
                refused("past the memslot's end", Errno.ENOENT,
                        t -> DemandPagingErrno.markNonPresent(t.dp, t.region.endGpa() - PAGE, 2 * PAGE, 0, 0)),
                refused("spanning the hole between memslots", Errno.ENOENT,
                        t -> DemandPagingErrno.markNonPresent(t.dp, t.region.gpa(), t.second.endGpa() - t.region.gpa(), 0, 0)),
                refused("batch of 1025 ranges", Errno.E2BIG,
                        t -> DemandPagingErrno.markPresentRanges(t.dp, t.pages(1025), 0)),
                refused("batch flags", Errno.EINVAL,
                        t -> DemandPagingErrno.markPresentRanges(t.dp, t.pages(2), 1)),
                refused("batch with one unaligned range", Errno.EINVAL,
                        t -> DemandPagingErrno.markPresentRanges(t.dp, t.withLast(new GpaRange(t.region.gpa(), 100)), 0)),
                refused("batch with one uncovered range", Errno.ENOENT,
                        t -> DemandPagingErrno.markPresentRanges(t.dp, t.withLast(new GpaRange(t.region.endGpa(), PAGE)), 0)),
                refused("bitmap padding", Errno.EINVAL, t -> t.bitmapRaw(t.region.slot(), 1)),
                refused("bitmap of a slot that does not exist", Errno.ENOENT, t -> t.bitmapRaw(7, 0)),
                refused("bitmap of an impossible slot id", Errno.EINVAL, t -> t.bitmapRaw(40000, 0)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("refusedCalls")
    void refusedCallsChangeNothing(String what, Errno errno, RawCall call) {
        dp.enable();
        dp.markNonPresent(region.gpa() + 10 * PAGE, 6 * PAGE); // not all present: visible change
        PresentBitmap before = bitmap();
        PresentBitmap secondBefore = dp.presentBitmap(second.slot(), second.size());
        assertThat(call.call(this)).as(what).isEqualTo(-errno.code());
        assertThat(bitmap()).as("bitmap after refused " + what).isEqualTo(before);
        assertThat(dp.presentBitmap(second.slot(), second.size())).isEqualTo(secondBefore);
    }

    @Test
    void notificationFdIsOnePerVm() {
        dp.enable();
        NotificationFd fd = dp.openNotificationFd();
        assertThat(DemandPagingErrno.createNotificationFd(dp)).isEqualTo(-Errno.EBUSY.code());
        fd.close();
        dp.openNotificationFd().close();
    }

    @Test
    void batchedMarkingEqualsSingleMarkingAndCountsPages() {
        dp.enable();
        long pages = SLOT_SIZE / PAGE; // 512
        List<GpaRange> ranges = new ArrayList<>();
        for (long p = 0; p < pages; p += 3) {
            ranges.add(new GpaRange(region.gpa() + p * PAGE, PAGE));
            ranges.add(new GpaRange(second.gpa() + p * PAGE, p % 2 == 0 ? PAGE : 2 * PAGE));
        }
        long marked = ranges.stream().mapToLong(r -> r.size() / PAGE).sum();
        List<GpaRange> thrice = new ArrayList<>(ranges);
        thrice.addAll(ranges);
        thrice.addAll(ranges); // more than 1024 ranges: markPresent(List) splits it
        assertThat(thrice).hasSizeGreaterThan(DemandPaging.MAX_RANGES_PER_CALL);

        long presentBefore = vmStat(DemandPaging.STAT_PAGES_MARKED_PRESENT);
        long nonPresentBefore = vmStat(DemandPaging.STAT_PAGES_MARKED_NON_PRESENT);
        markAllNonPresent();
        dp.markPresent(thrice);
        PresentBitmap[] batched = {bitmap(), dp.presentBitmap(second.slot(), second.size())};
        markAllNonPresent();
        for (GpaRange r : ranges) {
            dp.markPresent(r.gpa(), r.size());
        }
        PresentBitmap[] single = {bitmap(), dp.presentBitmap(second.slot(), second.size())};
        assertThat(batched).containsExactly(single);
        assertThat(batched[0].presentCount() + batched[1].presentCount()).isEqualTo(marked);
        assertThat(vmStat(DemandPaging.STAT_PAGES_MARKED_PRESENT) - presentBefore)
                .isEqualTo(4 * marked);
        assertThat(vmStat(DemandPaging.STAT_PAGES_MARKED_NON_PRESENT) - nonPresentBefore)
                .isEqualTo(4 * pages);
    }

    /** One raw call of the table; runs against this test instance's VM. */
    @FunctionalInterface
    interface RawCall {
        int call(DemandPagingApiTest t);
    }

    private static Arguments refused(String what, Errno errno, RawCall call) {
        return Arguments.of(what, errno, call);
    }

    private List<GpaRange> pages(int n) {
        List<GpaRange> ranges = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ranges.add(new GpaRange(region.gpa() + (i % (SLOT_SIZE / PAGE)) * PAGE, PAGE));
        }
        return ranges;
    }

    private List<GpaRange> withLast(GpaRange bad) {
        List<GpaRange> ranges = pages(16);
        ranges.add(bad);
        return ranges;
    }

    private int bitmapRaw(int slot, int padding) {
        try (NativeBuffer b = new NativeBuffer(SLOT_SIZE / PAGE / 8)) {
            return DemandPagingErrno.presentBitmap(dp, slot, padding, b.address());
        }
    }

    @Test
    void aPartOfTheBitmapIsThatPartOfTheWholeAndNothingMore() {
        dp.enable();
        long pages = SLOT_SIZE / PAGE; // 512
        for (long page : new long[] {3, 64, 130, 200, 511}) {
            dp.markNonPresent(region.gpa() + page * PAGE, PAGE);
        }
        PresentBitmap whole = bitmap();
        PresentBitmap part = dp.presentBitmap(region.slot(), 128, 100); // pages 128-227
        assertThat(part.pages()).isEqualTo(100);
        for (long i = 0; i < 100; i++) {
            assertThat(part.isPresent(i)).as("page %d", 128 + i).isEqualTo(whole.isPresent(128 + i));
        }
        assertThat(part.nonPresentCount()).as("pages 130 and 200").isEqualTo(2);
        assertThat(part.words()[1] >>> 36).as("bits past the range").isZero();
        assertThat(dp.presentBitmap(region.slot(), 448, 64).isPresent(63)).as("page 511").isFalse();
        assertThat(dp.presentBitmap(region.slot(), 0, pages)).isEqualTo(whole);
        try (NativeBuffer b = new NativeBuffer(64)) {
            assertThat(DemandPagingErrno.presentBitmap(dp, region.slot(), 0, b.address(), 448, 65))
                    .as("past the end").isEqualTo(-Errno.EINVAL.code());
            assertThat(DemandPagingErrno.presentBitmap(dp, region.slot(), 0, b.address(), 512, 0))
                    .as("first page at the end").isEqualTo(-Errno.EINVAL.code());
            assertThat(DemandPagingErrno.presentBitmap(dp, region.slot(), 0, b.address(), 65, 1))
                    .as("first page not a multiple of 64").isEqualTo(-Errno.EINVAL.code());
        }
        assertThat(bitmap()).as("refused reads change nothing").isEqualTo(whole);
    }

    private void markAllNonPresent() {
        dp.markNonPresent(region.gpa(), region.size());
        dp.markNonPresent(second.gpa(), second.size());
    }

    private PresentBitmap bitmap() {
        return dp.presentBitmap(region.slot(), region.size());
    }

    private long vmStat(String name) {
        return guest.vm().getStats().value(name);
    }
}
