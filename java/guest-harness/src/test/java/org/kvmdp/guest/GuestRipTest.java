// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestRipTest {
    @TempDir
    Path dir;

    private Path kallsyms(String... lines) throws Exception {
        return Files.write(dir.resolve("kallsyms"), java.util.List.of(lines));
    }

    @Test
    void theCodeRegionIsTheProgramAndItsEdgesAreExact() {
        assertThat(GuestRip.inProgram(GuestAbi.CODE_GPA)).isTrue();
        assertThat(GuestRip.inProgram(GuestAbi.CODE_GPA + GuestAbi.CODE_MAX_SIZE - 1)).isTrue();
        assertThat(GuestRip.inProgram(GuestAbi.CODE_GPA - 1)).isFalse();
        assertThat(GuestRip.inProgram(GuestAbi.CODE_GPA + GuestAbi.CODE_MAX_SIZE)).isFalse();
        assertThat(GuestRip.inProgram(0xfff0)).isFalse();
        assertThat(GuestRip.inProgram(0xffffffff91165ef0L)).as("unsigned compare").isFalse();
    }

    @Test
    void aRipInTheProgramSaysSo() throws Exception {
        assertThat(GuestRip.describe(0x100123, kallsyms()))
                .isEqualTo("rip 0x100123 in the guest program");
    }

    @Test
    void aLowRipOutsideTheProgramIsNamedWithTheRegion() throws Exception {
        assertThat(GuestRip.describe(0xfff0, kallsyms("ffffffff81000000 T _text")))
                .isEqualTo("rip 0xfff0 outside the guest program [0x100000, 0x200000)");
    }

    @Test
    void aKernelRipIsNamedByTheNearestTextSymbolBelowIt() throws Exception {
        Path syms = kallsyms(
                "ffffffff91000000 T _text",
                "ffffffff91165e00 t svm_vcpu_enter_exit\t[kvm_amd]",
                "ffffffff91165ee0 D some_data",
                "ffffffff91166000 T after_it");
        assertThat(GuestRip.describe(0xffffffff91165ef0L, syms))
                .startsWith("rip 0xffffffff91165ef0 " + GuestRip.OUTSIDE_PROGRAM)
                .contains("at host kernel text svm_vcpu_enter_exit+0xf0")
                .endsWith("(an emulator defect)");
    }

    @Test
    void hiddenAddressesOrAFarSymbolNameNothing() throws Exception {
        Path hidden = kallsyms("0000000000000000 T _text", "0000000000000000 T svm_vcpu_run");
        assertThat(GuestRip.describe(0xffffffff91165ef0L, hidden))
                .endsWith("in the kernel half and no host kernel symbol below it");
        Path far = kallsyms("ffffffff81000000 T _text");
        assertThat(GuestRip.hostKernelSymbol(0xffffffff91165ef0L, far)).isEmpty();
        assertThat(GuestRip.hostKernelSymbol(0xffffffff91165ef0L, dir.resolve("none"))).isEmpty();
    }
}
