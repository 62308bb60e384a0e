// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import org.kvmdp.nativeio.Uapi;

/** KVM_MEMORY_EXIT_FLAG_* bits of a {@link VcpuExit.MemoryFault}. */
public final class MemoryFaultFlags {
    /** KVM_MEMORY_EXIT_FLAG_PRIVATE: the access was to private memory. */
    public static final long PRIVATE = Uapi.get("KVM_MEMORY_EXIT_FLAG_PRIVATE");
    /** KVM_MEMORY_EXIT_FLAG_NOT_PRESENT: the page was marked non-present (demand paging). */
    public static final long NOT_PRESENT = Uapi.get("KVM_MEMORY_EXIT_FLAG_NOT_PRESENT");
    /**
     * KVM_MEMORY_EXIT_FLAG_POISONED, with {@link #NOT_PRESENT}: the page was marked poisoned
     * (see {@code DemandPaging.poison}); it will not arrive, inject a machine check instead.
     */
    public static final long POISONED = Uapi.get("KVM_MEMORY_EXIT_FLAG_POISONED");

    private MemoryFaultFlags() {}
}
