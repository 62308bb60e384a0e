// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * One requester's statistics (a vCPU, the notification-fd reader, a userfaultfd handler), got
 * from {@link PostcopyDestination#requester} and used by one thread at a time: the counters
 * are plain words written with opaque stores and the fault-to-install latencies go into a
 * {@link SingleWriterRecorder}, so recording a fault touches no shared cache line and takes no
 * lock. A report merges every requester's numbers when it is asked for.
 *
 * <p>The requesters the String-named calls make ({@link PostcopyDestination#awaitPage(long,
 * String)}) may be used by several threads: those record under their own monitor.
 */
public final class Requester {
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int FAULTS = 0;
    private static final int ALREADY_RECEIVED = 1;
    private static final int MERGED = 2;
    private static final int BLOCKED_NANOS = 3;

    private final String name;
    private final boolean shared;
    private final long[] counts = new long[4];
    private final SingleWriterRecorder latencies = new SingleWriterRecorder(3);
    /** Latencies taken from the recorder so far; only the reporting thread, under stats. */
    private final Histogram reported = new Histogram(3);

    Requester(String name, boolean shared) {
        this.name = name;
        this.shared = shared;
    }

    public String name() {
        return name;
    }

    void fault(PageTracker.Outcome outcome) {
        if (shared) {
            synchronized (this) {
                countFault(outcome);
            }
        } else {
            countFault(outcome);
        }
    }

    private void countFault(PageTracker.Outcome outcome) {
        add(FAULTS, 1);
        if (outcome == PageTracker.Outcome.RECEIVED) {
            add(ALREADY_RECEIVED, 1);
        } else if (outcome == PageTracker.Outcome.MERGED) {
            add(MERGED, 1);
        }
    }

    void blocked(long nanos) {
        if (shared) {
            synchronized (this) {
                add(BLOCKED_NANOS, nanos);
            }
        } else {
            add(BLOCKED_NANOS, nanos);
        }
    }

    void faultToInstall(long nanos) {
        if (shared) {
            synchronized (this) {
                latencies.recordValue(Math.max(0, nanos));
            }
        } else {
            latencies.recordValue(Math.max(0, nanos));
        }
    }

    private void add(int counter, long delta) {
        COUNTS.setOpaque(counts, counter, counts[counter] + delta);
    }

    private long get(int counter) {
        return (long) COUNTS.getOpaque(counts, counter);
    }

    RequesterReport report() {
        return new RequesterReport(get(FAULTS), get(ALREADY_RECEIVED), get(MERGED),
                get(BLOCKED_NANOS));
    }

    /** Everything recorded so far; call under the statistics' lock (one reader at a time). */
    Histogram latencies() {
        reported.add(latencies.getIntervalHistogram());
        return reported;
    }
}
