// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.util.Optional;
import java.util.function.LongPredicate;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.Pages;

/**
 * The pages the engine's tracker has received that KVM still holds non-present. With KVM
 * demand paging a vCPU exits on such a page for ever, as nothing fetches a received page
 * again; a failed migration reports them, so such a stall names its pages.
 */
final class ReceivedNotPresent {
    private ReceivedNotPresent() {}

    /**
     * Compares the first {@code pages} pages; {@code present} answers for page i of the
     * region at {@code baseGpa}. Empty if every received page is present.
     */
    static Optional<String> describe(PageTracker tracker, long pages, LongPredicate present,
            long baseGpa) {
        long count = 0;
        long first = -1;
        long limit = Math.min(pages, tracker.pageCount());
        for (long p = 0; p < limit; p++) {
            if (tracker.isReceived(p) && !present.test(p)) {
                if (first < 0) {
                    first = p;
                }
                count++;
            }
        }
        if (count == 0) {
            return Optional.empty();
        }
        return Optional.of(count + " received page(s) that KVM still holds non-present, the"
                + " first page " + first + " (gpa 0x" + Long.toHexString(baseGpa
                        + Pages.offset(first)) + ")");
    }
}
