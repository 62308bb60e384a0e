// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.kvmdp.nativeio.Uapi;

/**
 * One snapshot of a VM's or vCPU's binary statistics (KVM_GET_STATS_FD), by name: e.g.
 * "pages_4k", "pages_2m", "pages_1g" for an x86 VM, "exits", "io_exits" for a vCPU.
 */
public record KvmStats(String id, Map<String, Stat> stats) {
    public KvmStats {
        Objects.requireNonNull(id, "id");
        stats = Collections.unmodifiableMap(new LinkedHashMap<>(stats));
    }

    /** One statistic: its descriptor fields and values (one, or one per histogram bucket). */
    public record Stat(String name, int flags, int exponent, int bucketSize, long[] values) {
        private static final int TYPE_MASK = Uapi.getInt("KVM_STATS_TYPE_MASK");
        private static final int UNIT_MASK = Uapi.getInt("KVM_STATS_UNIT_MASK");

        /** KVM_STATS_TYPE_* bits of the flags. */
        public int type() {
            return flags & TYPE_MASK;
        }

        /** KVM_STATS_UNIT_* bits of the flags. */
        public int unit() {
            return flags & UNIT_MASK;
        }

        /** The first (for a scalar, the only) value. */
        public long value() {
            return values[0];
        }
    }

    /** The named statistic; {@link IllegalArgumentException} listing what exists otherwise. */
    public Stat stat(String name) {
        Stat stat = stats.get(name);
        if (stat == null) {
            throw new IllegalArgumentException("no statistic '" + name + "' in " + id + "; have "
                    + stats.keySet());
        }
        return stat;
    }

    /** The value of a scalar statistic. */
    public long value(String name) {
        return stat(name).value();
    }
}
