// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.dp;

/**
 * A guest physical range [gpa, gpa + size) as passed to KVM_MARK_PRESENT and friends. Not
 * validated here, so tests can build bad ones; {@link DemandPaging}'s typed methods check it.
 */
public record GpaRange(long gpa, long size) {
    /** One past the last byte (may overflow for bad ranges). */
    public long end() {
        return gpa + size;
    }

    @Override
    public String toString() {
        return "[0x" + Long.toHexString(gpa) + ", +0x" + Long.toHexString(size) + ")";
    }
}
