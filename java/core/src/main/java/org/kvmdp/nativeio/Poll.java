// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

/** poll(2) for readability on a few fds, with the struct pollfd layout from the C headers. */
public final class Poll {
    public static final short POLLIN = (short) Uapi.getInt("POLLIN");
    public static final short POLLERR = (short) Uapi.getInt("POLLERR");
    public static final short POLLHUP = (short) Uapi.getInt("POLLHUP");
    public static final short POLLNVAL = (short) Uapi.getInt("POLLNVAL");
    private static final int SIZE = Uapi.getInt("sizeof(pollfd)");
    private static final int FD = Uapi.getInt("pollfd.fd");
    private static final int EVENTS = Uapi.getInt("pollfd.events");
    private static final int REVENTS = Uapi.getInt("pollfd.revents");

    /** sizeof(struct pollfd), for {@link #waitReadable(int, int, long)}'s buffer. */
    public static final int POLLFD_BYTES = SIZE;

    private Poll() {}

    /**
     * {@link #waitReadable(int, int...)} for one fd, building the struct pollfd at
     * {@code pollfd} ({@link #POLLFD_BYTES} writable bytes the caller owns): nothing allocated.
     * True if readable (or in error), false on timeout.
     */
    public static boolean waitReadable(int timeoutMillis, int fd, long pollfd) {
        NativeMemory.putInt(pollfd + FD, fd);
        NativeMemory.putShort(pollfd + EVENTS, POLLIN);
        NativeMemory.putShort(pollfd + REVENTS, (short) 0);
        int rc;
        do {
            rc = NativeIo.poll(pollfd, 1, timeoutMillis);
        } while (rc == -Errno.EINTR.code());
        if (rc < 0) {
            throw new SyscallException("poll", -rc);
        }
        return NativeMemory.getShort(pollfd + REVENTS) != 0;
    }

    /**
     * Waits until one of {@code fds} is readable (or in error) or {@code timeoutMillis} passes
     * (-1: forever). Returns a bit mask of the ready fds by index (bit i for fds[i]), 0 on
     * timeout. EINTR is retried with the full timeout. Throws {@link SyscallException}.
     */
    public static long waitReadable(int timeoutMillis, int... fds) {
        if (fds.length == 0 || fds.length > 64) {
            throw new IllegalArgumentException("need 1..64 fds, got " + fds.length);
        }
        try (NativeBuffer pollfds = new NativeBuffer((long) SIZE * fds.length)) {
            for (int i = 0; i < fds.length; i++) {
                pollfds.putInt((long) i * SIZE + FD, fds[i]);
                pollfds.putShort((long) i * SIZE + EVENTS, POLLIN);
            }
            int rc;
            do {
                rc = NativeIo.poll(pollfds.address(), fds.length, timeoutMillis);
            } while (rc == -Errno.EINTR.code());
            if (rc < 0) {
                throw new SyscallException("poll", -rc);
            }
            long ready = 0;
            for (int i = 0; i < fds.length; i++) {
                if (pollfds.getShort((long) i * SIZE + REVENTS) != 0) {
                    ready |= 1L << i;
                }
            }
            return ready;
        }
    }
}
