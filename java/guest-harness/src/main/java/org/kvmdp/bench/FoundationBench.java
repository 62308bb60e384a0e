// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.bench;

import java.time.Duration;
import java.util.Locale;
import org.kvmdp.guest.GuestProgram;
import org.kvmdp.guest.GuestVm;
import org.kvmdp.guest.MemoryRegion;
import org.kvmdp.guest.TouchPages;
import org.kvmdp.kvm.Capability;
import org.kvmdp.kvm.Kvm;
import org.kvmdp.kvm.KvmIoctls;
import org.kvmdp.memory.Backing;
import org.kvmdp.nativeio.NativeIo;

/**
 * Foundation numbers (a benchmark, not a test; needs a usable /dev/kvm): the cost of one
 * ioctl through the JNI layer, and the touch_pages rate per backing, first touch (KVM and
 * host faults) and second touch (mapped). Prints one labelled line per number.
 *
 * <pre>
 * usage: FoundationBench [--ioctls N] [--size BYTES[K|M|G]] [--vcpus N]
 *   --ioctls  ioctl loop iterations, after as many warm-up ones (default 2000000)
 *   --size    test memory per backing (default 64M; rounded up to the backing's page)
 *   --vcpus   vCPUs for the touch rate (default 1)
 * </pre>
 */
public final class FoundationBench {
    private FoundationBench() {}

    public static void main(String[] args) {
        long ioctls = 2_000_000;
        long size = 64L << 20;
        int vcpus = 1;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--ioctls" -> ioctls = Long.parseLong(required("--ioctls", value));
                case "--size" -> size = parseSize("--size", required("--size", value));
                case "--vcpus" -> vcpus = Integer.parseInt(required("--vcpus", value));
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (use --ioctls, --size, --vcpus)");
            }
            i++;
        }
        ioctlCost(ioctls);
        for (Backing backing : Backing.values()) {
            touchRate(backing, size, vcpus);
        }
    }

    private static void ioctlCost(long iterations) {
        try (Kvm kvm = Kvm.open()) {
            int fd = kvm.fd();
            long cap = Capability.USER_MEMORY.number();
            long sink = 0;
            for (int round = 0; round < 2; round++) { // round 0 warms up the JIT
                long start = System.nanoTime();
                for (long i = 0; i < iterations; i++) {
                    sink += NativeIo.ioctl(fd, KvmIoctls.KVM_CHECK_EXTENSION, cap);
                }
                long elapsed = System.nanoTime() - start;
                if (round == 1) {
                    report("ioctl.KVM_CHECK_EXTENSION.raw_jni", elapsed / (double) iterations, "ns/op");
                }
            }
            long start = System.nanoTime();
            for (long i = 0; i < iterations; i++) {
                sink += kvm.checkExtension(Capability.USER_MEMORY);
            }
            report("ioctl.KVM_CHECK_EXTENSION.typed_api",
                    (System.nanoTime() - start) / (double) iterations, "ns/op");
            if (sink != 2 * iterations + iterations) {
                throw new IllegalStateException("KVM_CHECK_EXTENSION(USER_MEMORY) was not always 1");
            }
        }
    }

    private static void touchRate(Backing backing, long requestedSize, int vcpus) {
        long page = backing.pageSize();
        long size = (requestedSize + page - 1) / page * page;
        String label = "touch." + backing.name().toLowerCase(Locale.ROOT) + "." + vcpus + "vcpu";
        var missing = backing.unavailabilityReason(size);
        if (missing.isPresent()) {
            System.out.println(label + " skipped: " + missing.get());
            return;
        }
        try (GuestVm guest = GuestVm.create(GuestProgram.TOUCH_PAGES)) {
            MemoryRegion region = guest.addMemory(backing, size);
            TouchPages.Params params = new TouchPages.Params(vcpus, true, 4096, 0x5eed, 0,
                    Duration.ofMinutes(5));
            TouchPages.Result first = TouchPages.run(guest, region, params);
            TouchPages.Result second = TouchPages.run(guest, region, params);
            if (first.mismatches() != 0 || TouchPages.countMismatches(region, 4096, 0x5eed) != 0) {
                throw new IllegalStateException(label + ": guest writes not visible to the host");
            }
            report(label + ".first_touch", first.touchesPerSecond(), "pages/s");
            report(label + ".second_touch", second.touchesPerSecond(), "pages/s");
            report(label + ".pages", first.touched(), "pages");
        }
    }

    private static void report(String label, double value, String unit) {
        System.out.printf(Locale.ROOT, "%s = %.1f %s%n", label, value, unit);
    }

    private static String required(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    static long parseSize(String option, String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
        if (last == 'K' || last == 'M' || last == 'G') {
            unit = last == 'K' ? 1L << 10 : last == 'M' ? 1L << 20 : 1L << 30;
            t = t.substring(0, t.length() - 1);
        }
        try {
            long value = Long.parseLong(t);
            if (value <= 0) {
                throw new NumberFormatException("not positive");
            }
            return Math.multiplyExact(value, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(option + ": bad size '" + text
                    + "' (use e.g. 64M, 1G)", e);
        }
    }
}
