// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.util.BitSet;
import java.util.concurrent.atomic.LongAdder;
import org.kvmdp.postcopy.PageRun;

/** What a page server sent: totals, and pages sent more than once (a destination bug). */
public final class ServerStats {
    private final LongAdder pagesServed = new LongAdder();
    private final LongAdder urgentRequests = new LongAdder();
    private final LongAdder backgroundRequests = new LongAdder();
    private final BitSet served = new BitSet();
    private long pagesServedAgain;

    void request(boolean urgent) {
        (urgent ? urgentRequests : backgroundRequests).increment();
    }

    void served(PageRun run) {
        pagesServed.add(run.count());
        synchronized (served) {
            int from = (int) run.first();
            int to = (int) run.end();
            int before = served.get(from, to).cardinality();
            pagesServedAgain += before;
            served.set(from, to);
        }
    }

    public long pagesServed() {
        return pagesServed.sum();
    }

    /** Pages sent that had been sent before; 0 when every page is fetched once. */
    public long pagesServedAgain() {
        synchronized (served) {
            return pagesServedAgain;
        }
    }

    public long urgentRequests() {
        return urgentRequests.sum();
    }

    public long backgroundRequests() {
        return backgroundRequests.sum();
    }
}
