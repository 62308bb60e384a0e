// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class EmulatorDefectTest {
    @Test
    void aGuestStateLostAnywhereInTheCausesIsTheDefect() {
        RuntimeException lost = new ExitLoop.GuestStateLostException("vCPU 0 made no exit");
        assertThat(EmulatorDefect.is(lost)).isTrue();
        assertThat(EmulatorDefect.is(new CompletionException(new IllegalStateException(
                "vCPU 1 failed", lost)))).isTrue();
    }

    @Test
    void aShutdownAtTheResetRipIsTheDefectAndAnyOtherShutdownIsNot() {
        assertThat(EmulatorDefect.is(new IllegalStateException("vCPU 0 phase 2: unexpected exit"
                + " Shutdown[] at Regs[rax=0x0 rip=0xfff0 rflags=0x2]"))).isTrue();
        assertThat(EmulatorDefect.is(new IllegalStateException("vCPU 0 phase 2: unexpected exit"
                + " Shutdown[] at Regs[rax=0x0 rip=0xfff03 rflags=0x2]"))).isFalse();
        assertThat(EmulatorDefect.is(new IllegalStateException("vCPU 0 phase 2: unexpected exit"
                + " Shutdown[] at Regs[rax=0x0 rip=0x100042 rflags=0x2]"))).isFalse();
    }

    @Test
    void aTimeoutOrAnyOtherFailureIsNot() {
        assertThat(EmulatorDefect.is(new ExitLoop.GuestTimeoutException("vCPU 0 still running"
                + " after PT10M; then rip 0x100020 in the guest program"))).isFalse();
        assertThat(EmulatorDefect.is(new IllegalStateException((String) null))).isFalse();
    }
}
