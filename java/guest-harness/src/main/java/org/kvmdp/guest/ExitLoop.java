// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.kvmdp.kvm.Register;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.kvm.VcpuExit;

/**
 * Runs a vCPU exit after exit through a handler, with a deadline: a watchdog kicks the vCPU
 * when it passes, and the loop then fails with the last exits seen and what the kernel said
 * the vCPU's thread was doing at the deadline ({@link KernelThreadState}), so a stuck guest
 * fails a test, with what is needed to tell why, instead of hanging the suite.
 * A vCPU that has not exited for {@link #PROBE_INTERVAL} is kicked once to read its RIP: one
 * outside the guest program ({@link GuestRip}) can never finish, and the loop fails at once
 * with {@link GuestStateLostException} rather than at the deadline.
 * Interruptions before the deadline are not passed to the handler (they can only be stale
 * kicks); use {@link Vcpu#run} directly to see them.
 */
public final class ExitLoop {
    private static final int REMEMBERED_EXITS = 8;
    /** Longer than any exit-free stretch of a working guest program here, even on debug. */
    public static final Duration PROBE_INTERVAL = Duration.ofSeconds(60);
    /** How long a kicked vCPU may take to leave KVM_RUN before the watchdog reports it. */
    private static final Duration KICK_ANSWER = Duration.ofSeconds(30);
    private static final ScheduledExecutorService WATCHDOG =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "kvmdp-vcpu-watchdog");
                t.setDaemon(true);
                return t;
            });

    /** Decides what to do with one exit: true to run again, false to stop. */
    @FunctionalInterface
    public interface Handler {
        boolean handle(VcpuExit exit);
    }

    private ExitLoop() {}

    /**
     * Runs {@code vcpu} until {@code handler} returns false; returns the last exit. Throws
     * {@link GuestTimeoutException} if {@code timeout} passes first.
     */
    public static VcpuExit run(Vcpu vcpu, Duration timeout, Handler handler) {
        return run(vcpu, timeout, () -> false, handler);
    }

    /**
     * Like {@link #run(Vcpu, Duration, Handler)}; also stops with {@link CancelledException}
     * at the first interruption (a {@link Vcpu#kick}) after {@code cancelled} became true.
     */
    public static VcpuExit run(Vcpu vcpu, Duration timeout, BooleanSupplier cancelled,
            Handler handler) {
        return run(vcpu, timeout, PROBE_INTERVAL, cancelled, handler);
    }

    /**
     * Like {@link #run(Vcpu, Duration, BooleanSupplier, Handler)}, probing the RIP of a vCPU
     * that made no exit for {@code probeInterval} instead of {@link #PROBE_INTERVAL}.
     */
    public static VcpuExit run(Vcpu vcpu, Duration timeout, Duration probeInterval,
            BooleanSupplier cancelled, Handler handler) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Deque<VcpuExit> recent = new ArrayDeque<>();
        // At the deadline: note what the vCPU's thread is doing in the kernel, then kick it.
        AtomicReference<String> stuck = new AtomicReference<>("");
        AtomicBoolean ended = new AtomicBoolean();
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
            stuck.set(KernelThreadState.describe(vcpu.runningThreadId()));
            vcpu.kick();
            // A vCPU that does not return from KVM_RUN even when kicked cannot report its own
            // timeout: say so from here, where the run's owner can still see it.
            WATCHDOG.schedule(() -> {
                if (!ended.get()) {
                    System.err.println("kvmdp: vCPU " + vcpu.id() + " has not come back from"
                            + " KVM_RUN " + KICK_ANSWER + " after its deadline kick; at the"
                            + " deadline: " + stuck.get() + "; now: "
                            + KernelThreadState.describe(vcpu.runningThreadId()));
                }
            }, KICK_ANSWER.toNanos(), TimeUnit.NANOSECONDS);
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        AtomicLong exits = new AtomicLong();
        AtomicBoolean probing = new AtomicBoolean();
        ScheduledFuture<?> probe = WATCHDOG.scheduleWithFixedDelay(new Runnable() {
            private long seen = -1;

            @Override
            public void run() {
                long n = exits.get();
                if (n == seen && vcpu.runningThreadId() != 0) {
                    probing.set(true);
                    vcpu.kick();
                }
                seen = n;
            }
        }, probeInterval.toNanos(), probeInterval.toNanos(), TimeUnit.NANOSECONDS);
        try {
            while (true) {
                VcpuExit exit = vcpu.run();
                exits.incrementAndGet();
                if (recent.size() == REMEMBERED_EXITS) {
                    recent.removeFirst();
                }
                recent.addLast(exit);
                if (exit instanceof VcpuExit.Interrupted) {
                    if (cancelled.getAsBoolean()) {
                        throw new CancelledException("vCPU " + vcpu.id() + " stopped: its run"
                                + " was cancelled; last exits " + recent);
                    }
                    if (System.nanoTime() - deadline >= 0) {
                        throw new GuestTimeoutException("vCPU " + vcpu.id()
                                + " still running after " + timeout + "; last exits " + recent
                                + "; at the deadline: " + stuck.get() + "; then "
                                + ripNow(vcpu));
                    }
                    if (probing.getAndSet(false)) {
                        long rip = vcpu.getRegs().get(Register.RIP);
                        if (!GuestRip.inProgram(rip)) {
                            throw new GuestStateLostException("vCPU " + vcpu.id() + " made no"
                                    + " exit for " + probeInterval + " and its "
                                    + GuestRip.describe(rip) + "; last exits " + recent);
                        }
                    }
                    continue; // a late kick from an earlier loop's watchdog: not ours
                }
                if (!handler.handle(exit)) {
                    return exit;
                }
            }
        } finally {
            ended.set(true);
            watchdog.cancel(false);
            probe.cancel(false);
        }
    }

    private static String ripNow(Vcpu vcpu) {
        try {
            return GuestRip.describe(vcpu.getRegs().get(Register.RIP));
        } catch (RuntimeException e) {
            return "its registers cannot be read: " + e.getMessage();
        }
    }

    /** The run was cancelled from outside (e.g. a failed migration stops the vCPUs). */
    public static final class CancelledException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CancelledException(String message) {
            super(message);
        }
    }

    /**
     * The vCPU's RIP left the guest program ({@link GuestRip#OUTSIDE_PROGRAM}): the guest cannot
     * go on. Seen only as an emulator defect (README, "The test VM").
     */
    public static final class GuestStateLostException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        GuestStateLostException(String message) {
            super(message);
        }
    }

    /** A guest did not finish in time. */
    public static final class GuestTimeoutException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        GuestTimeoutException(String message) {
            super(message);
        }
    }
}
