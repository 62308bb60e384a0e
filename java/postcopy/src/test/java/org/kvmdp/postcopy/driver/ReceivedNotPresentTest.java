// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.kvmdp.postcopy.PageTracker;

class ReceivedNotPresentTest {
    @Test
    void agreesWhenEveryReceivedPageIsPresent() {
        PageTracker tracker = new PageTracker(128);
        receive(tracker, 0, 64);
        assertThat(ReceivedNotPresent.describe(tracker, 128, p -> p < 64, 1L << 32)).isEmpty();
    }

    @Test
    void countsReceivedPagesThatAreNotPresentAndNamesTheFirst() {
        PageTracker tracker = new PageTracker(256);
        receive(tracker, 0, 256);
        Set<Long> missing = Set.of(70L, 134L, 198L);
        assertThat(ReceivedNotPresent.describe(tracker, 256, p -> !missing.contains(p), 1L << 32))
                .hasValue("3 received page(s) that KVM still holds non-present, the first page"
                        + " 70 (gpa 0x100046000)");
    }

    @Test
    void pagesNotYetReceivedDoNotCount() {
        PageTracker tracker = new PageTracker(64);
        receive(tracker, 0, 10);
        assertThat(ReceivedNotPresent.describe(tracker, 64, p -> p < 10, 0)).isEmpty();
    }

    /** As the engine does: a page is claimed (requested) before it is received. */
    private static void receive(PageTracker tracker, long first, int count) {
        for (long p = first; p < first + count; p++) {
            tracker.tryClaim(p);
        }
        tracker.markReceived(first, count);
    }
}
