// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

/** open(2) flags from the C headers. */
public final class OpenFlags {
    public static final int O_RDONLY = Uapi.getInt("O_RDONLY");
    public static final int O_RDWR = Uapi.getInt("O_RDWR");
    public static final int O_CLOEXEC = Uapi.getInt("O_CLOEXEC");
    public static final int O_NONBLOCK = Uapi.getInt("O_NONBLOCK");

    private OpenFlags() {}
}
