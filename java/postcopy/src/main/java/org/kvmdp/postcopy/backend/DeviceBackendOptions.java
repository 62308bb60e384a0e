// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where the migrate destination's block device runs: in the VMM ({@link #inProcess}, the
 * default) or in a device-backend process the VMM starts ({@link #process}).
 *
 * <p>Fault injection for tests is not part of it: a fixture in this package's test-jar
 * ({@code BackendFaults}) reaches the package-private {@link #withInjectedFaults}.
 */
public final class DeviceBackendOptions {
    public enum Mode {
        IN_PROCESS("in-process"), PROCESS("process");

        private final String label;

        Mode(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final Mode mode;
    private final List<String> launcher;
    private final List<String> backendArguments;
    private final long holdPagesAfter;

    private DeviceBackendOptions(Mode mode, List<String> launcher, List<String> backendArguments,
            long holdPagesAfter) {
        this.mode = Objects.requireNonNull(mode, "mode");
        this.launcher = List.copyOf(launcher);
        this.backendArguments = List.copyOf(backendArguments);
        this.holdPagesAfter = holdPagesAfter;
        if (mode == Mode.PROCESS && this.launcher.isEmpty()) {
            throw new IllegalArgumentException("a device-backend process needs a launcher");
        }
    }

    /** The block device in the VMM's own process. */
    public static DeviceBackendOptions inProcess() {
        return new DeviceBackendOptions(Mode.IN_PROCESS, List.of(), List.of(), -1);
    }

    /**
     * The block device in a process started with {@code launcher}: the command that runs a
     * main taking {@code device-backend --socket PATH}, which the VMM appends (the CLI's
     * {@code org.kvmdp.cli.Main}, or a test's; the engine does not know the CLI).
     */
    public static DeviceBackendOptions process(List<String> launcher) {
        return new DeviceBackendOptions(Mode.PROCESS, launcher, List.of(), -1);
    }

    /**
     * For test fixtures: {@code backendArguments} go after {@code --socket PATH} on the
     * backend's command line; with {@code holdPagesAfter} >= 0 the VMM leaves the backend's
     * page requests after that many unanswered (-1: answers all).
     */
    DeviceBackendOptions withInjectedFaults(List<String> backendArguments, long holdPagesAfter) {
        if (mode != Mode.PROCESS || holdPagesAfter < -1) {
            throw new IllegalArgumentException("faults are for a device-backend process, with"
                    + " holdPagesAfter -1 or >= 0; got " + mode.label() + ", " + holdPagesAfter);
        }
        return new DeviceBackendOptions(mode, launcher, backendArguments, holdPagesAfter);
    }

    public Mode mode() {
        return mode;
    }

    public List<String> launcher() {
        return launcher;
    }

    long holdPagesAfter() {
        return holdPagesAfter;
    }

    public boolean isProcess() {
        return mode == Mode.PROCESS;
    }

    /**
     * A launcher for a JVM like this one running {@code mainClass} on {@code classPath}: small
     * heap, C1 only, serial GC (a device backend does little work; under emulation JIT
     * threads only get in the way).
     */
    public static List<String> javaLauncher(String classPath, String mainClass) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of("-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", Objects.requireNonNull(classPath, "classPath"),
                Objects.requireNonNull(mainClass, "mainClass")));
        return command;
    }

    @Override
    public String toString() {
        return "DeviceBackendOptions[" + mode.label() + (launcher.isEmpty() ? "" : ", " + launcher)
                + (backendArguments.isEmpty() ? "" : ", backend arguments " + backendArguments)
                + (holdPagesAfter < 0 ? "" : ", hold pages after " + holdPagesAfter) + "]";
    }

    /** The full command for a backend connecting to {@code socket}. */
    List<String> command(String socket) {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of("device-backend", "--socket", socket));
        command.addAll(backendArguments);
        return command;
    }
}
