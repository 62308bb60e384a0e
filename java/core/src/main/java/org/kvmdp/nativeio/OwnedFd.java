// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

import java.util.Objects;

/**
 * One file descriptor and the right to close it. {@link #get} refuses after {@link #close},
 * so a closed handle fails with {@link IllegalStateException} before any syscall instead of
 * hitting whatever file reused the number.
 */
public final class OwnedFd implements AutoCloseable {
    private final int fd;
    private final String description;
    private volatile boolean closed;

    /** Takes ownership of {@code fd} (must be >= 0); {@code description} names it in errors. */
    public OwnedFd(int fd, String description) {
        if (fd < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + fd);
        }
        this.fd = fd;
        this.description = Objects.requireNonNull(description, "description");
    }

    /** Opens {@code path}; throws {@link SyscallException} ("open") on failure. */
    public static OwnedFd open(String path, int flags) {
        Objects.requireNonNull(path, "path");
        int rc = NativeIo.open(path, flags | OpenFlags.O_CLOEXEC, 0);
        if (rc < 0) {
            throw new SyscallException("open", -rc, path);
        }
        return new OwnedFd(rc, path);
    }

    /** The fd number; {@link IllegalStateException} once closed. */
    public int get() {
        if (closed) {
            throw new IllegalStateException(description + " is closed");
        }
        return fd;
    }

    public boolean isClosed() {
        return closed;
    }

    public String description() {
        return description;
    }

    /** Closes once; later calls do nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        int rc = NativeIo.close(fd);
        if (rc < 0 && rc != -Errno.EINTR.code()) {
            throw new SyscallException("close", -rc, description);
        }
    }

    @Override
    public String toString() {
        return description + " (fd " + fd + (closed ? ", closed)" : ")");
    }
}
