// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

/** The userfaultfd(2) syscall (jni/kvmdp_uffd.c); returns an fd or {@code -errno}. */
public final class NativeUffd {
    static {
        NativeLoader.ensureLoaded();
    }

    private NativeUffd() {}

    public static native int userfaultfd(int flags);
}
