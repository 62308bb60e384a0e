// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The errno values this project meets, numbered from the C library (never hand-copied). */
public enum Errno {
    EPERM, ENOENT, ESRCH, EINTR, EIO, ENXIO, E2BIG, EBADF, EAGAIN, ENOMEM, EACCES, EFAULT,
    EBUSY, EEXIST, ENODEV, EINVAL, ENFILE, EMFILE, ENOTTY, EFBIG, ENOSPC, ESPIPE, EROFS, ERANGE,
    ENOSYS, EOPNOTSUPP, ETIMEDOUT, EHWPOISON, EOVERFLOW, EPIPE, ECONNRESET, ECONNREFUSED,
    ENAMETOOLONG, EADDRINUSE, ENOTSOCK, ENOTCONN;

    private static final Map<Integer, Errno> BY_CODE = new HashMap<>();

    static {
        for (Errno e : values()) {
            BY_CODE.putIfAbsent(e.code, e);
        }
    }

    private final int code;

    Errno() {
        this.code = Uapi.getInt(name());
    }

    /** The positive errno number. */
    public int code() {
        return code;
    }

    /** The C library's text for this errno (strerror). */
    public String description() {
        return NativeIo.strerror(code);
    }

    /** The constant for a positive errno number, if it is one of ours. */
    public static Optional<Errno> of(int code) {
        return Optional.ofNullable(BY_CODE.get(code));
    }

    /** "EEXIST (File exists)", or "errno 123 (...)" for numbers without a constant here. */
    public static String describe(int code) {
        String name = of(code).map(Enum::name).orElse("errno " + code);
        return name + " (" + NativeIo.strerror(code) + ")";
    }
}
