// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.TestImages;

/**
 * What goes wrong when the VMM touches guest memory during post-copy without the gate, as
 * with KVM demand paging, where the mapping of a page that has not arrived is simply there:
 * reads see zeros, and writes are overwritten when the page arrives. Both silently. (With
 * userfaultfd the read would instead block the thread in the kernel; not shown, as it hangs.)
 * {@link VmmAccessGateTest} has the same accesses through the gate, right.
 */
@Timeout(60)
class UngatedAccessTest {
    private static final int PAGES = 16;
    private static final byte[] IMAGE = TestImages.random(PAGES, 13);

    @Test
    void aDirectReadOfAMissingPageSeesZerosNotTheGuestsData() {
        try (PostcopyRig rig = new PostcopyRig(IMAGE)) {
            byte[] read = new DirectAccess(rig.window).read(PostcopyRig.gpa(5, 0), 64);

            assertThat(read).containsOnly(0);
            assertThat(read).isNotEqualTo(Arrays.copyOfRange(IMAGE, 5 * Pages.SIZE,
                    5 * Pages.SIZE + 64));
            assertThat(rig.tracker.isRequested(5)).as("nothing asked for the page").isFalse();
        }
    }

    @Test
    void aDirectWriteBeforeThePageArrivesIsLostWhenItDoes() {
        byte[] update = "the device's status".getBytes();
        try (PostcopyRig rig = new PostcopyRig(IMAGE)) {
            new DirectAccess(rig.window).write(PostcopyRig.gpa(7, 10), update);
            rig.finish();

            byte[] now = Arrays.copyOfRange(rig.installer.memory(), 7 * Pages.SIZE + 10,
                    7 * Pages.SIZE + 10 + update.length);
            assertThat(now).isNotEqualTo(update).isEqualTo(Arrays.copyOfRange(IMAGE,
                    7 * Pages.SIZE + 10, 7 * Pages.SIZE + 10 + update.length));
        }
    }

    @Test
    void directAccessIsRightOnceEveryPageHasArrived() {
        byte[] update = {9, 8, 7};
        try (PostcopyRig rig = new PostcopyRig(IMAGE)) {
            rig.finish();
            DirectAccess direct = new DirectAccess(rig.window);
            direct.write(PostcopyRig.gpa(3, 0), update);
            assertThat(direct.read(PostcopyRig.gpa(3, 0), 3)).isEqualTo(update);
            assertThat(direct.read(PostcopyRig.gpa(4, 0), 16)).isEqualTo(Arrays.copyOfRange(
                    IMAGE, 4 * Pages.SIZE, 4 * Pages.SIZE + 16));
        }
    }
}
