// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GuestProgramTest {
    @Test
    void everyProgramShipsInThisModulesJarAndFitsItsCodeRegion() {
        for (GuestProgram program : GuestProgram.values()) {
            assertThat(program.code()).as(program.resource()).isNotEmpty()
                    .hasSizeLessThanOrEqualTo((int) GuestAbi.CODE_MAX_SIZE);
        }
    }
}
