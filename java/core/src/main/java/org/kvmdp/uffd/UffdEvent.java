// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.uffd;

import org.kvmdp.nativeio.Uapi;

/** One struct uffd_msg read from a {@link Userfaultfd}. */
public sealed interface UffdEvent {

    /** UFFD_EVENT_PAGEFAULT at {@code address}; {@code threadId} is 0 without THREAD_ID. */
    record PageFault(long address, long flags, int threadId) implements UffdEvent {
        private static final long WRITE = Uapi.get("UFFD_PAGEFAULT_FLAG_WRITE");
        private static final long MINOR = Uapi.get("UFFD_PAGEFAULT_FLAG_MINOR");
        private static final long WP = Uapi.get("UFFD_PAGEFAULT_FLAG_WP");

        public boolean isWrite() {
            return (flags & WRITE) != 0;
        }

        public boolean isMinor() {
            return (flags & MINOR) != 0;
        }

        public boolean isWriteProtect() {
            return (flags & WP) != 0;
        }

        /** The address rounded down to a {@code pageSize} boundary (a power of two). */
        public long pageAddress(long pageSize) {
            return address & -pageSize;
        }

        @Override
        public String toString() {
            return "PageFault[address=0x" + Long.toHexString(address) + " flags=0x"
                    + Long.toHexString(flags) + " tid=" + threadId + "]";
        }
    }

    /** Any other event type (fork, remap, remove, unmap), undecoded. */
    record Other(int event) implements UffdEvent {}
}
