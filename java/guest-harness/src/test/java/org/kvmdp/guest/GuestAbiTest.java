// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.kvmdp.nativeio.NativeLoader;

/** guest_abi.inc (what the guest programs were assembled with) and GuestAbi agree. */
class GuestAbiTest {
    private static final Pattern SET = Pattern.compile("^\\.set\\s+(\\w+),\\s*(\\w+)", Pattern.MULTILINE);

    @Test
    void everyAssemblerConstantHasTheSameValueInJava() throws Exception {
        Map<String, Long> inc = new LinkedHashMap<>();
        try (InputStream in = NativeLoader.openResource("guest_abi.inc")) {
            Matcher m = SET.matcher(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
            while (m.find()) {
                inc.put(m.group(1), Long.decode(m.group(2)));
            }
        }
        assertThat(inc).containsKeys("PORT_DONE", "TOUCH_WRITE", "ACCESS_KVMCLOCK");
        for (Map.Entry<String, Long> e : inc.entrySet()) {
            Field f = GuestAbi.class.getField(e.getKey());
            assertThat(((Number) f.get(null)).longValue()).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void cmakeLinksTheProgramsAtTheLoadAddress() throws Exception {
        String cmake = Files.readString(Path.of("src/main/guest/CMakeLists.txt"));
        assertThat(cmake).contains("set(KVMDP_GUEST_LOAD_ADDRESS 0x"
                + Long.toHexString(GuestAbi.CODE_GPA) + ")");
    }

    @Test
    void memoryMapFitsTheSystemSlot() {
        assertThat(GuestAbi.stackTop(GuestAbi.MAX_VCPUS - 1)).isLessThanOrEqualTo(GuestAbi.SYSTEM_MEMORY_SIZE);
        assertThat(IdentityPageTables.pageDirectory(GuestAbi.MAPPABLE_LIMIT >> 30))
                .isLessThanOrEqualTo(GuestAbi.CODE_GPA);
        assertThat(GuestAbi.CODE_GPA + GuestAbi.CODE_MAX_SIZE).isLessThanOrEqualTo(GuestAbi.STACKS_GPA);
        assertThat(GuestAbi.MMIO_GPA).isGreaterThan(GuestAbi.SYSTEM_MEMORY_SIZE)
                .isLessThan(GuestAbi.TEST_MEMORY_GPA);
    }

    @Test
    void programsAreFlatBinariesEndingInAHaltLoop() {
        for (GuestProgram p : GuestProgram.values()) {
            byte[] code = p.code();
            assertThat(code.length).as(p.name()).isBetween(16, (int) GuestAbi.CODE_MAX_SIZE);
            // "hlt; jmp hlt" = f4 eb fd closes every program
            assertThat(new byte[] {code[code.length - 3], code[code.length - 2], code[code.length - 1]})
                    .as(p.name()).containsExactly(0xf4, 0xeb, 0xfd);
        }
    }
}
