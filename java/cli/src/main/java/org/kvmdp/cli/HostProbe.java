// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.kvmdp.kvm.Capability;
import org.kvmdp.kvm.Kvm;
import org.kvmdp.kvm.Vm;
import org.kvmdp.memory.Backing;

/**
 * What this host offers for demand paging, as "name: value" lines. Every probe catches its
 * own failure and reports it as the value: info must work on hosts without KVM, with a fake
 * /dev/kvm, or without the native library.
 */
final class HostProbe {
    private static final Path OS_RELEASE = Path.of("/proc/sys/kernel/osrelease");
    private static final Path HUGEPAGES = Path.of("/sys/kernel/mm/hugepages");
    /** The first words of the line that says this host's KVM offers demand paging. */
    static final String CAP_SUPPORTED_LINE = "KVM_CAP_DEMAND_PAGING (system): supported";
    /** How to get a kernel that has the capability: the README's VM runner command. */
    static final String HINT = "hint: no KVM_CAP_DEMAND_PAGING here; to run kvmdp on the patched"
            + " kernel, from a checkout (as root): selftests/vm/run-in-vm.sh -- scripts/kvmdp info"
            + " (builds the kernel the first time and boots it in the QEMU test VM; README, The test VM)";
    /** KVM_CAP_DEMAND_PAGING in the series (provisional, see jni/kvmdp_uapi.h). */
    private static final int CAP_DEMAND_PAGING_PROVISIONAL = 300;

    private HostProbe() {}

    static List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("kernel: " + kernelRelease());
        boolean present = Files.exists(Path.of(Kvm.DEFAULT_PATH));
        out.add(Kvm.DEFAULT_PATH + ": " + (present ? "present" : "absent"));
        if (present) {
            kvm(out);
        }
        hugePages(out);
        for (Backing b : Backing.values()) {
            out.add("backing " + Converters.label(b) + ": "
                    + b.unavailabilityReason().map(r -> "unavailable (" + r + ")").orElse("available"));
        }
        hint(out).ifPresent(out::add);
        return out;
    }

    /**
     * The hint for a host whose probe lines do not say the capability is supported (no
     * /dev/kvm, KVM unopenable, or a kernel without the series): how to get such a kernel.
     */
    static Optional<String> hint(List<String> probeLines) {
        boolean supported = probeLines.stream().anyMatch(l -> l.startsWith(CAP_SUPPORTED_LINE));
        return supported ? Optional.empty() : Optional.of(HINT);
    }

    static String kernelRelease() {
        try {
            return Files.readString(OS_RELEASE).trim();
        } catch (IOException e) {
            return System.getProperty("os.version") + " (" + OS_RELEASE + " unreadable)";
        }
    }

    private static void kvm(List<String> out) {
        try (Kvm kvm = Kvm.open()) {
            out.add("KVM API version: " + attempt(() -> String.valueOf(kvm.getApiVersion())));
            out.add("KVM_CAP_DEMAND_PAGING (system): "
                    + attempt(() -> supported(kvm.checkExtension(demandPagingCap()))));
            List<String> vmLines = new ArrayList<>();
            out.add("KVM_CREATE_VM: " + attempt(() -> {
                try (Vm vm = kvm.createVm()) {
                    vmLines.add("KVM_CAP_DEMAND_PAGING (VM): "
                            + attempt(() -> supported(vm.checkExtension(demandPagingCapability()))));
                    return "ok";
                }
            }));
            out.addAll(vmLines);
        } catch (RuntimeException | LinkageError e) {
            out.add("KVM: cannot open " + Kvm.DEFAULT_PATH + ": " + describe(e));
        }
    }

    /** The cap number from the native layer if it knows it, else the series' number. */
    private static int demandPagingCap() {
        try {
            return demandPagingCapability().number();
        } catch (IllegalArgumentException e) {
            return CAP_DEMAND_PAGING_PROVISIONAL;
        }
    }

    private static Capability demandPagingCapability() {
        return Capability.valueOf("DEMAND_PAGING");
    }

    private static String supported(int value) {
        return value > 0 ? "supported (" + value + ")" : "not supported";
    }

    private static void hugePages(List<String> out) {
        try (Stream<Path> pools = Files.list(HUGEPAGES)) {
            pools.sorted().forEach(pool -> out.add("hugepages " + pool.getFileName() + ": "
                    + read(pool.resolve("nr_hugepages")) + " reserved, "
                    + read(pool.resolve("free_hugepages")) + " free"));
        } catch (IOException e) {
            out.add("hugepages: none (" + HUGEPAGES + " unreadable)");
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    interface Probe {
        String run();
    }

    private static String attempt(Probe probe) {
        try {
            return probe.run();
        } catch (RuntimeException | LinkageError e) {
            return "failed: " + describe(e);
        }
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getMessage() == null) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.toString();
    }
}
