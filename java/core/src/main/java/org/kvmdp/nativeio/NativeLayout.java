// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

/**
 * The (name, value) table of struct layouts and UAPI numbers compiled into libkvmdp.so
 * (jni/kvmdp_layout.c). Read it through {@link Uapi}.
 */
final class NativeLayout {
    static {
        NativeLoader.ensureLoaded();
    }

    private NativeLayout() {}

    static native String[] names();

    static native long[] values();

    static native long pageSize();
}
