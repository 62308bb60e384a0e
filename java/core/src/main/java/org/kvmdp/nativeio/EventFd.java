// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

/** An eventfd(2) counter, e.g. to tell a thread blocked in poll that it should stop. */
public final class EventFd implements AutoCloseable {
    private static final int EFD_CLOEXEC = Uapi.getInt("EFD_CLOEXEC");
    private static final int EFD_NONBLOCK = Uapi.getInt("EFD_NONBLOCK");

    private final OwnedFd fd;

    private EventFd(OwnedFd fd) {
        this.fd = fd;
    }

    /** A non-blocking eventfd starting at 0. */
    public static EventFd create() {
        int rc = NativeIo.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (rc < 0) {
            throw new SyscallException("eventfd", -rc);
        }
        return new EventFd(new OwnedFd(rc, "eventfd"));
    }

    public int fd() {
        return fd.get();
    }

    /** Adds {@code value} (> 0) to the counter, waking pollers. */
    public void signal(long value) {
        if (value <= 0) {
            throw new IllegalArgumentException("eventfd increment must be > 0, got " + value);
        }
        try (NativeBuffer buffer = new NativeBuffer(8)) {
            buffer.putLong(0, value);
            long rc = NativeIo.write(fd.get(), buffer.address(), 8);
            if (rc != 8) {
                throw new SyscallException("write(eventfd)", rc < 0 ? (int) -rc : 0);
            }
        }
    }

    /** Reads and resets the counter; 0 if it was 0 (non-blocking). */
    public long drain() {
        try (NativeBuffer buffer = new NativeBuffer(8)) {
            long rc = NativeIo.read(fd.get(), buffer.address(), 8);
            if (rc == -Errno.EAGAIN.code()) {
                return 0;
            }
            if (rc != 8) {
                throw new SyscallException("read(eventfd)", rc < 0 ? (int) -rc : 0);
            }
            return buffer.getLong(0);
        }
    }

    @Override
    public void close() {
        fd.close();
    }
}
