// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.kvmdp.guest.ExitLoop;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.kvm.Vcpu;
import org.kvmdp.kvm.VcpuExit;

/**
 * Runs a vCPU to its first HLT, recording every exit and answering IN and MMIO-read exits
 * (which need data from userspace) through a callback. A failure message shows the trace.
 */
final class ExitTrace {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    final List<VcpuExit> exits = new ArrayList<>();

    private ExitTrace() {}

    /** Runs to HLT; {@code responder} returns the bytes for each IN or MMIO read. */
    static ExitTrace runToHalt(Vcpu vcpu, Function<VcpuExit, byte[]> responder) {
        ExitTrace trace = new ExitTrace();
        ExitLoop.run(vcpu, TIMEOUT, exit -> {
            trace.exits.add(exit);
            if (exit instanceof VcpuExit.MemoryFault fault) {
                // Resuming would fault again forever; no caller of ExitTrace serves these.
                throw new AssertionError("unexpected memory fault exit " + fault + "; " + trace);
            }
            if (exit instanceof VcpuExit.Io io && io.direction() == VcpuExit.Direction.IN) {
                vcpu.completeIoIn(responder.apply(exit));
            } else if (exit instanceof VcpuExit.Mmio mmio && !mmio.isWrite()) {
                vcpu.completeMmioRead(responder.apply(exit));
            }
            return !(exit instanceof VcpuExit.Hlt) && trace.exits.size() < 100_000;
        });
        return trace;
    }

    /** Runs to HLT where no exit needs data from userspace. */
    static ExitTrace runToHalt(Vcpu vcpu) {
        return runToHalt(vcpu, exit -> {
            throw new AssertionError("unexpected exit needing data: " + exit);
        });
    }

    /** The values of the OUT exits on {@code port}, in order. */
    List<Long> outValues(int port) {
        List<Long> values = new ArrayList<>();
        for (VcpuExit e : exits) {
            if (e instanceof VcpuExit.Io io && io.direction() == VcpuExit.Direction.OUT
                    && io.port() == port) {
                values.add(io.value());
            }
        }
        return values;
    }

    /** All bytes written by OUT exits to {@code port}, concatenated. */
    byte[] outBytes(int port) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (VcpuExit e : exits) {
            if (e instanceof VcpuExit.Io io && io.direction() == VcpuExit.Direction.OUT
                    && io.port() == port) {
                bytes.writeBytes(io.data());
            }
        }
        return bytes.toByteArray();
    }

    /** Whether the program reported PORT_DONE with 0 and then halted. */
    boolean completed() {
        return outValues(GuestAbi.PORT_DONE).equals(List.of(0L))
                && exits.get(exits.size() - 1) instanceof VcpuExit.Hlt;
    }

    @Override
    public String toString() {
        int from = Math.max(0, exits.size() - 12);
        return exits.size() + " exits, last: " + exits.subList(from, exits.size());
    }
}
