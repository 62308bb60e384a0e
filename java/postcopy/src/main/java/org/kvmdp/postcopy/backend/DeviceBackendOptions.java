// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where the migrate destination's block device runs: in the VMM ({@link #inProcess}, the
 * default) or in a device-backend process the VMM starts ({@link #process}).
 *
 * @param launcher the command that runs a main taking {@code device-backend --socket PATH}
 *     (and the fault injection below), which the VMM appends: the CLI's
 *     ({@code org.kvmdp.cli.Main}), or a test's; the engine does not know the CLI
 * @param stallAfterPages fault injection, -1 off: the backend stops after that many answered
 *     page requests, in the middle of a device request, until killed
 * @param holdPagesAfter fault injection, -1 off: the VMM leaves the backend's page requests
 *     after that many unanswered, so the backend is known to be waiting
 */
public record DeviceBackendOptions(Mode mode, List<String> launcher, long stallAfterPages,
        long holdPagesAfter) {
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

    public DeviceBackendOptions {
        Objects.requireNonNull(mode, "mode");
        launcher = List.copyOf(launcher);
        if (mode == Mode.PROCESS && launcher.isEmpty()) {
            throw new IllegalArgumentException("a device-backend process needs a launcher");
        }
        if (stallAfterPages < -1 || stallAfterPages == 0 || holdPagesAfter < -1) {
            throw new IllegalArgumentException("stallAfterPages is -1 or >= 1, holdPagesAfter"
                    + " -1 or >= 0; got " + stallAfterPages + ", " + holdPagesAfter);
        }
    }

    /** The block device in the VMM's own process. */
    public static DeviceBackendOptions inProcess() {
        return new DeviceBackendOptions(Mode.IN_PROCESS, List.of(), -1, -1);
    }

    /** The block device in a process started with {@code launcher}. */
    public static DeviceBackendOptions process(List<String> launcher) {
        return new DeviceBackendOptions(Mode.PROCESS, launcher, -1, -1);
    }

    public DeviceBackendOptions withStallAfterPages(long pages) {
        return new DeviceBackendOptions(mode, launcher, pages, holdPagesAfter);
    }

    public DeviceBackendOptions withHoldPagesAfter(long pages) {
        return new DeviceBackendOptions(mode, launcher, stallAfterPages, pages);
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

    /** The full command for a backend connecting to {@code socket}. */
    List<String> command(String socket) {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of("device-backend", "--socket", socket));
        if (stallAfterPages >= 0) {
            command.addAll(List.of("--stall-after-pages", String.valueOf(stallAfterPages)));
        }
        return command;
    }
}
