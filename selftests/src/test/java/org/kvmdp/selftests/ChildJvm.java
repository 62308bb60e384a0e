// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A child JVM on the suite's class path (optionally inside a network namespace), its stdout
 * and stderr merged and collected line by line, so a test can wait for a line it expects and
 * see everything the child said when it fails.
 */
final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;

    private ChildJvm(List<String> command) throws IOException {
        this.process = new ProcessBuilder(command).redirectErrorStream(true).start();
        this.reader = new Thread(this::collect, "child-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Runs {@code mainClass args} in a new JVM; in network namespace {@code netns} if given. */
    static ChildJvm start(Optional<String> netns, String mainClass, String... args)
            throws IOException {
        List<String> command = new ArrayList<>();
        netns.ifPresent(ns -> command.addAll(List.of("ip", "netns", "exec", ns)));
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", testClasspath(), mainClass));
        command.addAll(List.of(args));
        return new ChildJvm(command);
    }

    /** run-vm-suite.sh passes the suite's class path; Surefire puts it in java.class.path. */
    static String testClasspath() {
        String cp = System.getProperty("kvmdp.testClasspath");
        if (cp == null || cp.isEmpty()) {
            cp = System.getProperty("java.class.path");
        }
        assertThat(cp).as("class path for the child JVM").contains(File.separator);
        return cp;
    }

    private void collect() {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(
                process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
            }
        } catch (IOException e) {
            synchronized (lines) {
                lines.add("(reading the child's output failed: " + e + ")");
            }
        } finally {
            synchronized (lines) {
                lines.notifyAll();
            }
        }
    }

    /**
     * The first line matching {@code wanted}, waiting for it at most {@code limit}; empty if
     * the child ended (its output closed) or the limit passed without one. A hang guard, not a
     * measurement: limits are minutes.
     */
    Optional<String> awaitLine(Predicate<String> wanted, Duration limit)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        synchronized (lines) {
            int seen = 0;
            while (true) {
                for (; seen < lines.size(); seen++) {
                    if (wanted.test(lines.get(seen))) {
                        return Optional.of(lines.get(seen));
                    }
                }
                long left = deadline - System.nanoTime();
                if (!reader.isAlive() || left <= 0) {
                    return Optional.empty();
                }
                lines.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** Waits for the child to exit (at most {@code limit}) and its output to be read; the exit code. */
    int awaitExit(Duration limit) throws InterruptedException {
        boolean ended = process.waitFor(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        assertThat(ended).as("child still running after %s; it said:%n%s", limit, output()).isTrue();
        reader.join(10_000);
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The child's pid (to signal it without closing its output, as {@link #kill} does). */
    long pid() {
        return process.pid();
    }

    /** SIGKILL. */
    void kill() {
        process.destroyForcibly();
    }

    String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /**
     * For a failure message: what the child said and, if it still runs, where it is: a JVM
     * thread dump (SIGQUIT, waited for at most 15 s) and each thread's kernel state, wait
     * channel and kernel stack from /proc, so a child stuck in a syscall shows which.
     */
    String outputWithState() throws InterruptedException {
        if (!process.isAlive()) {
            return output();
        }
        StringBuilder kernel = new StringBuilder();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(
                Path.of("/proc", String.valueOf(process.pid()), "task"))) {
            for (Path task : tasks) {
                String stat = readOrSay(task.resolve("stat"));
                kernel.append(String.format("thread %s (%s) state %s wchan %s%n%s%n",
                        task.getFileName(), readOrSay(task.resolve("comm")).strip(),
                        stat.substring(stat.lastIndexOf(')') + 1).strip().split(" ")[0],
                        readOrSay(task.resolve("wchan")).strip(),
                        readOrSay(task.resolve("stack")).strip()));
            }
        } catch (IOException | RuntimeException e) {
            kernel.append("(reading /proc failed: ").append(e).append(')');
        }
        try {
            new ProcessBuilder("kill", "-QUIT", String.valueOf(process.pid())).start()
                    .waitFor();
            awaitLine(l -> l.startsWith("JNI global refs"), Duration.ofSeconds(15));
        } catch (IOException e) {
            kernel.append("(no thread dump: ").append(e).append(')');
        }
        return output() + "\n--- the child's threads in the kernel:\n" + kernel;
    }

    private static String readOrSay(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
