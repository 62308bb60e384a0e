// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.RuntimeMXBean;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.kvmdp.bench.Wire;

/**
 * How a bench run measured, printed with its results: the engine, warm-up runs, repetitions
 * and their order, and the JVM with the JIT and GC flags it was started with (read from the
 * JVM itself, not from what a script meant to pass).
 *
 * @param runOrder the mechanisms of each measured repetition, in the order they ran
 * @param wire the wire model every fetch crossed, described ({@link Wire#describe})
 * @param jvmFlags the -X and -XX input arguments of this JVM (heap, JIT, GC), in order
 * @param collectors the garbage collectors in use, by the JVM's names
 */
record BenchMethod(String engine, int warmup, int repeats, List<List<String>> runOrder,
        String wire, String jvm, List<String> jvmFlags, List<String> collectors, String compiler) {
    BenchMethod {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(wire, "wire");
        runOrder = runOrder.stream().map(List::copyOf).toList();
        Objects.requireNonNull(jvm, "jvm");
        jvmFlags = List.copyOf(jvmFlags);
        collectors = List.copyOf(collectors);
        Objects.requireNonNull(compiler, "compiler");
    }

    /** The method of {@code plan} run with {@code engine} in this JVM. */
    static <M> BenchMethod of(Engine engine, BenchPlan<M> plan,
            java.util.function.Function<M, String> label, Wire wire) {
        RuntimeMXBean runtime = ManagementFactory.getRuntimeMXBean();
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        List<List<String>> order = new java.util.ArrayList<>();
        for (int r = 0; r < plan.repeats(); r++) {
            order.add(plan.order(r).stream().map(label).toList());
        }
        return new BenchMethod(engine.label(), plan.warmup(), plan.repeats(), order,
                wire.describe(), runtime.getVmName() + " " + runtime.getVmVersion(),
                jitAndGcFlags(runtime.getInputArguments()),
                ManagementFactory.getGarbageCollectorMXBeans().stream()
                        .map(GarbageCollectorMXBean::getName).toList(),
                jit == null ? "none (interpreter only)" : jit.getName());
    }

    /**
     * The arguments that choose heap, JIT and GC: every -X and -XX option. System properties
     * (-D, e.g. a test's class path), agents and the like are left out.
     */
    static List<String> jitAndGcFlags(List<String> inputArguments) {
        return inputArguments.stream().filter(a -> a.startsWith("-X")).toList();
    }

    /** The order as text: mechanisms of a repetition separated by spaces, repetitions by " | ". */
    String runOrderText() {
        return runOrder.stream().map(r -> String.join(" ", r)).collect(Collectors.joining(" | "));
    }

    /** The "# ..." lines the table ends with. */
    List<String> describe() {
        String flags = jvmFlags.isEmpty() ? "none (JVM defaults)" : String.join(" ", jvmFlags);
        return List.of(
                "# method: engine " + engine + " (" + (engine.equals(Engine.MINIMAL.label())
                        ? "minimal handlers: copy and publish, nothing else"
                        : "the post-copy engine: tracker, source, checksums, statistics")
                        + "); " + warmup + " warm-up run(s) per mechanism, untimed; " + repeats
                        + " measured repetition(s), mechanisms in rotated order: "
                        + runOrderText() + "; every run on a fresh VM in this one JVM; wire "
                        + (wire.equals("none") ? "none (pages as fast as the source gives them)"
                                : wire + ", for every source and mechanism alike"),
                "# JVM: " + jvm + "; heap/JIT/GC flags: " + flags + "; collectors: "
                        + String.join(", ", collectors) + "; compiler: " + compiler,
                "# pages/s: median of the repetitions, range: min-max across them; p50/p99/p99.9"
                        + " and stall: median over the repetitions of each run's percentile, max:"
                        + " the largest of any run; stall p50: per first touch that faulted, the"
                        + " time the vCPU could not run (KVM: serving its exit; userfaultfd: the"
                        + " handler from reading the event to waking the vCPU, a lower bound)");
    }
}
