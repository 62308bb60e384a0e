// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Struct sizes, field offsets and UAPI constants as compiled into libkvmdp.so from the
 * kernel's own headers, looked up by name ("sizeof(kvm_run)", "kvm_run.io.port",
 * "KVM_RUN"; see jni/kvmdp_layout.c for the naming). Callers read each value once into a
 * static final; a missing name fails at class initialisation, never later.
 */
public final class Uapi {
    private static final Map<String, Long> VALUES = load();

    /** The runtime page size (sysconf(_SC_PAGESIZE)). */
    public static final long PAGE_SIZE = NativeLayout.pageSize();

    private Uapi() {}

    /** The value of {@code name}; throws if libkvmdp.so does not export it. */
    public static long get(String name) {
        Long value = VALUES.get(name);
        if (value == null) {
            throw new IllegalStateException("libkvmdp.so exports no UAPI value '" + name
                    + "': add it to jni/kvmdp_layout.c (jar and library out of step?)");
        }
        return value;
    }

    /** {@link #get} for values that fit an int (offsets, sizes, most constants). */
    public static int getInt(String name) {
        return Math.toIntExact(get(name));
    }

    /** Whether libkvmdp.so exports {@code name}. */
    public static boolean has(String name) {
        return VALUES.containsKey(name);
    }

    /** Every exported value, in table order. */
    public static Map<String, Long> all() {
        return VALUES;
    }

    private static Map<String, Long> load() {
        String[] names = NativeLayout.names();
        long[] values = NativeLayout.values();
        if (names.length != values.length) {
            throw new IllegalStateException("libkvmdp.so layout table is inconsistent: "
                    + names.length + " names, " + values.length + " values");
        }
        Map<String, Long> map = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            if (map.put(names[i], values[i]) != null) {
                throw new IllegalStateException("libkvmdp.so exports '" + names[i] + "' twice");
            }
        }
        return Collections.unmodifiableMap(map);
    }
}
