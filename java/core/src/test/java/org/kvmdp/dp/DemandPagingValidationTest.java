// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kvmdp.kvm.FakeKvmHandles;
import org.kvmdp.kvm.KvmException;
import org.kvmdp.nativeio.Errno;

/**
 * Argument checks of {@link DemandPaging}, run without KVM over a fake VM fd (an eventfd, on
 * which every KVM ioctl fails with ENOTTY): IllegalArgumentException means "refused before
 * any syscall", ENOTTY means "reached the kernel".
 */
class DemandPagingValidationTest {
    private static final int ENOTTY = Errno.ENOTTY.code();
    private static final long PAGE = 4096;

    private FakeKvmHandles fake;
    private DemandPaging dp;

    @BeforeEach
    void fakeVm() {
        fake = new FakeKvmHandles();
        dp = DemandPaging.of(fake.vm());
    }

    @AfterEach
    void close() {
        fake.close();
    }

    @Test
    void wellFormedCallsReachTheKernel() {
        assertThatThrownBy(() -> dp.markPresent(0, PAGE)).isInstanceOfSatisfying(
                KvmException.class, e -> assertThat(e.is(Errno.ENOTTY)).isTrue())
                .hasMessageContaining("KVM_MARK_PRESENT failed: ENOTTY")
                .hasMessageContaining("[0x0, +0x1000)");
        assertThatThrownBy(() -> dp.markNonPresent(1L << 32, 2 * PAGE))
                .isInstanceOf(KvmException.class).hasMessageContaining("KVM_MARK_NON_PRESENT");
        assertThatThrownBy(() -> dp.markPresent(List.of(new GpaRange(0, PAGE))))
                .isInstanceOf(KvmException.class).hasMessageContaining("KVM_MARK_PRESENT_RANGES");
        assertThatThrownBy(() -> dp.presentBitmap(1, PAGE))
                .isInstanceOf(KvmException.class).hasMessageContaining("KVM_GET_PRESENT_BITMAP");
        assertThatThrownBy(dp::enable).isInstanceOf(KvmException.class)
                .hasMessageContaining("KVM_ENABLE_CAP");
        assertThatThrownBy(dp::openNotificationFd).isInstanceOf(KvmException.class)
                .hasMessageContaining("KVM_CREATE_DEMAND_PAGING_FD");
    }

    @Test
    void rawVariantsPassBadFieldsToTheKernel() {
        assertThat(dp.markPresentRaw(1, 0, 1, 1)).isEqualTo(-ENOTTY);
        assertThat(DemandPagingErrno.markNonPresent(dp, -1, -1, 0, 0)).isEqualTo(-ENOTTY);
        assertThat(DemandPagingErrno.markPresentRanges(dp, List.of(new GpaRange(3, 5)), 1))
                .isEqualTo(-ENOTTY);
        assertThat(DemandPagingErrno.presentBitmap(dp, -1, 7, 0)).isEqualTo(-ENOTTY);
        assertThat(DemandPagingErrno.enableCap(dp, 1, 2, 3, 4, 5)).isEqualTo(-ENOTTY);
        assertThat(DemandPagingErrno.createNotificationFd(dp)).isEqualTo(-ENOTTY);
    }

    @Test
    void batchesLargerThanOneCallAreAllowedRawForE2bigProbes() {
        List<GpaRange> many = new ArrayList<>();
        for (int i = 0; i <= DemandPaging.MAX_RANGES_PER_CALL; i++) {
            many.add(new GpaRange(i * PAGE, PAGE));
        }
        assertThat(DemandPaging.MAX_RANGES_PER_CALL).isEqualTo(1024);
        assertThat(DemandPagingErrno.markPresentRanges(dp, many, 0)).isEqualTo(-ENOTTY);
    }

    @Test
    void badRangesAreRefusedBeforeAnySyscall() {
        assertRefused(() -> dp.markPresent(-PAGE, PAGE), "gpa must be >= 0");
        assertRefused(() -> dp.markPresent(0, 0), "size must be > 0");
        assertRefused(() -> dp.markPresent(0, -PAGE), "size must be > 0");
        assertRefused(() -> dp.markPresent(1, PAGE), "not aligned to 4 KiB");
        assertRefused(() -> dp.markPresent(0, PAGE + 1), "not aligned to 4 KiB");
        assertRefused(() -> dp.markNonPresent(Long.MAX_VALUE, PAGE),
                "not aligned");
        assertRefused(() -> dp.markNonPresent(0x7fff_ffff_ffff_f000L, 2 * PAGE), "overflows");
        assertRefused(() -> dp.markPresent(Arrays.asList(new GpaRange(0, PAGE),
                new GpaRange(PAGE, 3))), "not aligned");
        assertRefused(() -> dp.presentBitmap(-1, PAGE), "memslot id");
        assertRefused(() -> dp.presentBitmap(1, 100), "multiple of 4096");
        assertRefused(() -> dp.presentBitmap(1, 32, 64), "multiple of 64");
        assertRefused(() -> dp.presentBitmap(1, -64, 64), "multiple of 64");
        assertRefused(() -> dp.presentBitmap(1, 64, 0), "page count must be > 0");
        assertThatThrownBy(() -> dp.markPresent((List<GpaRange>) null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("ranges");
        assertThatThrownBy(() -> dp.markPresent(Arrays.asList(new GpaRange(0, PAGE), null)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("ranges[1]");
        assertThatThrownBy(() -> DemandPaging.of(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void aClosedVmIsRefusedBeforeAnySyscall() {
        fake.vm().close();
        assertThatThrownBy(() -> dp.markPresent(0, PAGE)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> dp.markPresentRaw(0, PAGE, 0, 0))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> dp.markPresent(List.of(new GpaRange(0, PAGE))))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(dp::enable).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void presentBitmapDecodesLsbFirstWords() {
        PresentBitmap bitmap = new PresentBitmap(70, new long[] {~0L ^ 0b1010, 0b11});
        assertThat(bitmap.isPresent(0)).isTrue();
        assertThat(bitmap.isPresent(1)).isFalse();
        assertThat(bitmap.isPresent(3)).isFalse();
        assertThat(bitmap.isPresent(65)).isTrue();
        assertThat(bitmap.isPresent(66)).isFalse();
        assertThat(bitmap.presentCount()).isEqualTo(64);
        assertThat(bitmap.nonPresentCount()).isEqualTo(6);
        assertThat(bitmap.toString()).contains("70 pages", "6 non-present", ": 1,3,66");
        assertThat(bitmap).isEqualTo(new PresentBitmap(70, new long[] {~0L ^ 0b1010, 0b11}))
                .isNotEqualTo(new PresentBitmap(70, new long[] {~0L, 0b11}));
        assertThatThrownBy(() -> bitmap.isPresent(70)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    private static void assertRefused(Runnable call, String message) {
        assertThatThrownBy(call::run).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
