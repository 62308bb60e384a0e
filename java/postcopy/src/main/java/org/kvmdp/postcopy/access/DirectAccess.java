// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.access;

import java.util.Objects;

/**
 * Guest memory as the VMM's mapping holds it, consulting nothing: right only when every page
 * is present (no post-copy, or once a migration has completed). During post-copy it is what
 * goes wrong without a {@link VmmAccessGate}: with KVM demand paging the mapping of a page
 * that has not arrived is simply there, so a read returns zeros and a write is overwritten
 * when the page arrives, silently; with userfaultfd the read blocks the thread in the kernel
 * on a fault that only the engine's handler resolves (a JVM thread stuck so hangs every
 * safepoint).
 */
public final class DirectAccess implements GuestMemoryAccess {
    private final MemoryWindow window;

    public DirectAccess(MemoryWindow window) {
        this.window = Objects.requireNonNull(window, "window");
    }

    @Override
    public byte[] read(long gpa, int length) {
        return window.read(window.offsetOf(gpa, length), length);
    }

    @Override
    public void write(long gpa, byte[] bytes) {
        window.write(window.offsetOf(gpa, bytes.length), bytes);
    }
}
