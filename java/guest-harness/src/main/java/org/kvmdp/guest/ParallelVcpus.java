// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Runs one body per vCPU, each on its own thread named "vcpu-N": all threads are started and
 * waiting before the clock starts, and the first failure on any of them is rethrown on the
 * caller's thread once all have ended (or the deadline passed).
 */
public final class ParallelVcpus {
    /** What every body returned, in vCPU order, and the time from the common start to the last end. */
    public record Outcome<R>(List<R> results, long elapsedNanos) {}

    /** Extra time to join the threads after {@code timeout}: their own watchdogs fire first. */
    private static final long JOIN_GRACE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private ParallelVcpus() {}

    /**
     * Runs {@code body.apply(i)} for i in [0, count) in parallel. {@code timeout} bounds the
     * bodies (they should enforce it themselves, e.g. with {@link ExitLoop}); a thread still
     * alive after it and a grace period fails the run.
     */
    public static <R> Outcome<R> run(int count, Duration timeout, IntFunction<R> body) {
        CountDownLatch ready = new CountDownLatch(count);
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Object[] results = new Object[count];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int index = i;
            Thread t = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                    results[index] = body.apply(index);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "vcpu-" + i);
            t.start();
            threads.add(t);
        }
        try {
            ready.await();
            long startNanos = System.nanoTime();
            go.countDown();
            long joinDeadline = System.nanoTime() + timeout.toNanos() + JOIN_GRACE_NANOS;
            for (Thread t : threads) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinDeadline - System.nanoTime())));
                if (t.isAlive()) {
                    throw new IllegalStateException(t.getName() + " did not finish");
                }
            }
            long elapsed = System.nanoTime() - startNanos;
            if (failure.get() != null) {
                throw new IllegalStateException("vCPU thread failed: " + failure.get(),
                        failure.get());
            }
            @SuppressWarnings("unchecked")
            List<R> list = (List<R>) Arrays.asList(results);
            return new Outcome<>(List.copyOf(list), elapsed);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for vCPU threads", e);
        }
    }
}
