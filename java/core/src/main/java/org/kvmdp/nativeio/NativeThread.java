// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

/**
 * Kicking a thread out of a blocking syscall (jni/kvmdp_thread.c): a real-time signal whose
 * empty handler is installed without SA_RESTART, so the syscall returns {@code -EINTR}.
 */
public final class NativeThread {
    static {
        NativeLoader.ensureLoaded();
    }

    private NativeThread() {}

    /** Installs the handler (idempotent); returns the signal number or {@code -errno}. */
    public static native int installKickHandler();

    /** The calling thread's kernel thread id. */
    public static native int gettid();

    /** Sends {@code signal} to thread {@code tid} of this process; 0 or {@code -errno}. */
    public static native int tgkill(int tid, int signal);
}
