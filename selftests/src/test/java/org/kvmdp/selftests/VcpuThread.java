// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.kvmdp.nativeio.NativeThread;

/**
 * Work on a vCPU in its own thread whose kernel state the test can watch: a thread waiting
 * for a non-present page inside KVM_RUN sleeps killably, which /proc shows as state D.
 */
final class VcpuThread<T> {
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final Thread thread;
    private volatile int tid;

    private VcpuThread(String name, Supplier<T> body) {
        thread = new Thread(() -> {
            tid = NativeThread.gettid();
            started.countDown();
            try {
                result.complete(body.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, name);
        thread.setDaemon(true);
    }

    /** Starts {@code body} on a new thread named {@code name}; returns once it runs. */
    static <T> VcpuThread<T> start(String name, Supplier<T> body) {
        VcpuThread<T> t = new VcpuThread<>(name, body);
        t.thread.start();
        try {
            t.started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return t;
    }

    CompletableFuture<T> result() {
        return result;
    }

    boolean isDone() {
        return result.isDone();
    }

    /** Whether the thread sleeps uninterruptibly or killably in the kernel (state D). */
    boolean isWaitingInKernel() {
        return !isDone() && kernelState().startsWith("D");
    }

    /** "state wchan" from /proc, e.g. "D __kvm_slot_wait_present", for messages. */
    String kernelState() {
        Path task = Path.of("/proc/self/task/" + tid);
        try {
            String stat = Files.readString(task.resolve("stat"));
            String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
            String wchan = Files.readString(task.resolve("wchan")).trim();
            return state + " " + wchan;
        } catch (IOException e) {
            return "gone (" + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return thread.getName() + " tid " + tid + " " + (isDone() ? "done" : kernelState());
    }
}
