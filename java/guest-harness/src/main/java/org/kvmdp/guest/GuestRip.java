// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Says where a guest's instruction pointer is. Every guest program of this harness runs from
 * its code region at {@link GuestAbi#CODE_GPA}, identity-mapped, so a RIP outside it is a
 * state the guest cannot reach by itself: under QEMU's nested SVM with multi-threaded TCG the
 * nested guest has been seen resuming with its host's RIP (an address in the test VM's own
 * kernel, named here from /proc/kallsyms). Such a vCPU can never finish; saying so tells an
 * emulator defect from a paging bug.
 */
public final class GuestRip {
    /** The words every report of a RIP outside the program carries (the demo greps them). */
    public static final String OUTSIDE_PROGRAM = "outside the guest program";
    private static final Path KALLSYMS = Path.of("/proc/kallsyms");
    private static final long KERNEL_HALF = 0xffff_8000_0000_0000L;
    /** Farther than this above a symbol, an address is not in that symbol's function. */
    private static final long MAX_SYMBOL_OFFSET = 0x10_0000;

    private GuestRip() {}

    /** Whether {@code rip} lies in the guest program's code region. */
    public static boolean inProgram(long rip) {
        return Long.compareUnsigned(rip, GuestAbi.CODE_GPA) >= 0
                && Long.compareUnsigned(rip, GuestAbi.CODE_GPA + GuestAbi.CODE_MAX_SIZE) < 0;
    }

    /** One phrase about {@code rip}, naming the host kernel symbol if it is one. */
    public static String describe(long rip) {
        return describe(rip, KALLSYMS);
    }

    static String describe(long rip, Path kallsyms) {
        String hex = "0x" + Long.toHexString(rip);
        if (inProgram(rip)) {
            return "rip " + hex + " in the guest program";
        }
        String s = String.format(Locale.ROOT, "rip %s %s [0x%x, 0x%x)", hex, OUTSIDE_PROGRAM,
                GuestAbi.CODE_GPA, GuestAbi.CODE_GPA + GuestAbi.CODE_MAX_SIZE);
        if (Long.compareUnsigned(rip, KERNEL_HALF) < 0) {
            return s;
        }
        String symbol = hostKernelSymbol(rip, kallsyms);
        return symbol.isEmpty() ? s + ", in the kernel half and no host kernel symbol below it"
                : s + ", at host kernel text " + symbol
                        + ": the nested guest resumed with its host's state (an emulator defect)";
    }

    /**
     * The text symbol at or below {@code address} as "name+0xoff" from a kallsyms file, or ""
     * if there is none or the file cannot be read or hides its addresses (not root).
     */
    static String hostKernelSymbol(long address, Path kallsyms) {
        long best = 0;
        String bestName = "";
        try (BufferedReader in = Files.newBufferedReader(kallsyms, StandardCharsets.US_ASCII)) {
            for (String line; (line = in.readLine()) != null;) {
                String[] f = line.split("\\s+", 4);
                if (f.length < 3 || (f[1].charAt(0) | 0x20) != 't') {
                    continue;
                }
                long a = Long.parseUnsignedLong(f[0], 16);
                if (a != 0 && Long.compareUnsigned(a, address) <= 0
                        && Long.compareUnsigned(a, best) > 0) {
                    best = a;
                    bestName = f[2];
                }
            }
        } catch (IOException | RuntimeException e) {
            return "";
        }
        long offset = address - best;
        return bestName.isEmpty() || offset > MAX_SYMBOL_OFFSET ? ""
                : bestName + "+0x" + Long.toHexString(offset);
    }
}
