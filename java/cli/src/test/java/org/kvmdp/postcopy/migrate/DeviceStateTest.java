// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kvmdp.kvm.Register;
import org.kvmdp.kvm.Regs;

class DeviceStateTest {
    private static Regs regs(long base) {
        Regs regs = new Regs();
        for (Register r : Register.values()) {
            regs.set(r, base + r.ordinal());
        }
        return regs;
    }

    private static final DeviceState STATE = new DeviceState(1L << 32, 8L << 20, 0xfeedL, 1,
            List.of(regs(100), regs(-7)));

    @Test
    void roundTripsEveryField() {
        DeviceState back = DeviceState.decode(STATE.encode());
        assertThat(back.regionGpa()).isEqualTo(1L << 32);
        assertThat(back.regionBytes()).isEqualTo(8L << 20);
        assertThat(back.seed()).isEqualTo(0xfeedL);
        assertThat(back.flags()).isEqualTo(1);
        assertThat(back.vcpus()).hasSize(2);
        for (Register r : Register.values()) {
            assertThat(back.vcpus().get(0).get(r)).as(r.name()).isEqualTo(100 + r.ordinal());
            assertThat(back.vcpus().get(1).get(r)).as(r.name()).isEqualTo(-7 + r.ordinal());
        }
    }

    @Test
    void foreignOrDamagedBytesAreRejectedNamingTheProblem() {
        byte[] good = STATE.encode();
        byte[] magic = good.clone();
        magic[0] = 0;
        assertThatThrownBy(() -> DeviceState.decode(magic))
                .hasMessageContaining("not a kvmdp migrate source's");
        byte[] version = good.clone();
        ByteBuffer.wrap(version).putInt(4, 99);
        assertThatThrownBy(() -> DeviceState.decode(version))
                .hasMessageContaining("device state version 99, this destination reads 1");
        assertThatThrownBy(() -> DeviceState.decode(Arrays.copyOf(good, good.length - 8)))
                .hasMessageContaining("device state for 2 vCPUs has " + (good.length - 8)
                        + " bytes, expected " + good.length);
        assertThatThrownBy(() -> DeviceState.decode(Arrays.copyOf(good, 10)))
                .hasMessageContaining("truncated at 10 bytes");
        byte[] noVcpus = Arrays.copyOf(good, 40);
        ByteBuffer.wrap(noVcpus).putInt(36, 0);
        assertThatThrownBy(() -> DeviceState.decode(noVcpus))
                .hasMessageContaining("device state for 0 vCPUs");
    }
}
