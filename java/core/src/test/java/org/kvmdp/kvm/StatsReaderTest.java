// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.kvmdp.kvm.KvmStructs.Stats;
import org.kvmdp.nativeio.Mman;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.nativeio.NativeIo;
import org.kvmdp.nativeio.NativeMem;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.nativeio.Uapi;

/** The binary stats parser on a memfd holding a file in KVM's format. */
class StatsReaderTest {
    private static final int NAME_SIZE = 48;

    @Test
    void parsesHeaderIdDescriptorsAndData() {
        int instant = Uapi.getInt("KVM_STATS_TYPE_INSTANT");
        int cumulative = Uapi.getInt("KVM_STATS_TYPE_CUMULATIVE");
        int linearHist = Uapi.getInt("KVM_STATS_TYPE_LINEAR_HIST");
        long descStride = Stats.DESC_SIZE + NAME_SIZE;
        long idOffset = Stats.HEADER_SIZE;
        long descOffset = idOffset + NAME_SIZE;
        long dataOffset = descOffset + 3 * descStride;
        try (OwnedFd fd = new OwnedFd(NativeMem.memfdCreate("stats", Mman.MFD_CLOEXEC), "memfd");
                NativeBuffer file = new NativeBuffer(dataOffset + 6 * 8)) {
            file.putInt(Stats.NAME_SIZE, NAME_SIZE);
            file.putInt(Stats.NUM_DESC, 3);
            file.putInt(Stats.ID_OFFSET, (int) idOffset);
            file.putInt(Stats.DESC_OFFSET, (int) descOffset);
            file.putInt(Stats.DATA_OFFSET, (int) dataOffset);
            putString(file, idOffset, "kvm-1234");
            descriptor(file, descOffset, instant, 1, 0, "pages_4k");
            descriptor(file, descOffset + descStride, cumulative, 1, 8, "exits");
            descriptor(file, descOffset + 2 * descStride, linearHist, 4, 16, "halt_hist");
            for (int i = 0; i < 6; i++) {
                file.putLong(dataOffset + 8L * i, 100 + i);
            }
            assertThat(NativeIo.pwrite(fd.get(), file.address(), file.size(), 0))
                    .isEqualTo(file.size());

            KvmStats stats = StatsReader.read(fd.get());
            assertThat(stats.id()).isEqualTo("kvm-1234");
            assertThat(stats.stats()).containsOnlyKeys("pages_4k", "exits", "halt_hist");
            assertThat(stats.value("pages_4k")).isEqualTo(100);
            assertThat(stats.value("exits")).isEqualTo(101);
            assertThat(stats.stat("exits").type()).isEqualTo(cumulative);
            assertThat(stats.stat("halt_hist").values()).containsExactly(102, 103, 104, 105);
            assertThatThrownBy(() -> stats.value("pages_2m"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("pages_4k");
        }
    }

    @Test
    void truncatedFileIsReportedNotMisread() {
        try (OwnedFd fd = new OwnedFd(NativeMem.memfdCreate("stats", Mman.MFD_CLOEXEC), "memfd")) {
            assertThatThrownBy(() -> StatsReader.read(fd.get()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("stats fd ended");
        }
    }

    private static void descriptor(NativeBuffer file, long at, int flags, int count,
            int valueOffset, String name) {
        file.putInt(at + Stats.DESC_FLAGS, flags);
        file.putShort(at + Stats.DESC_VALUE_COUNT, count);
        file.putInt(at + Stats.DESC_VALUE_OFFSET, valueOffset);
        putString(file, at + Stats.DESC_NAME, name);
    }

    private static void putString(NativeBuffer file, long at, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            file.putByte(at + i, bytes[i]);
        }
    }
}
