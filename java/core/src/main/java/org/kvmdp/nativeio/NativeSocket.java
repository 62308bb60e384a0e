// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

/**
 * AF_UNIX socket syscalls (jni/kvmdp_socket.c), for passing file descriptors between
 * processes (SCM_RIGHTS), which Java 17's UNIX-domain channels cannot. Every method returns
 * its result or {@code -errno} and never throws. Addresses are raw native addresses the
 * caller owns, valid for the given length; fd arrays are native int arrays.
 */
public final class NativeSocket {
    static {
        NativeLoader.ensureLoaded();
    }

    /** The most fds one {@link #sendmsg}/{@link #recvmsg} carries. */
    public static final int MAX_FDS = 16;

    private NativeSocket() {}

    public static native int socket(int domain, int type, int protocol);

    /** Both fds in one long: {@link #firstFd} and {@link #secondFd}; or -errno. */
    public static native long socketpair(int domain, int type, int protocol);

    /** Binds to a filesystem path; -ENAMETOOLONG if it does not fit sun_path. */
    public static native int bind(int fd, String path);

    /** Connects to a filesystem path; -ENAMETOOLONG if it does not fit sun_path. */
    public static native int connect(int fd, String path);

    public static native int listen(int fd, int backlog);

    public static native int accept4(int fd, int flags);

    public static native int shutdown(int fd, int how);

    /** Writes the option's bytes at {@code address}; returns their length. */
    public static native int getsockopt(int fd, int level, int name, long address, int length);

    /**
     * Sends {@code length} bytes at {@code address}, with {@code nfds} (0..{@link #MAX_FDS})
     * fds from the int array at {@code fds} as one SCM_RIGHTS message. Returns bytes sent.
     */
    public static native long sendmsg(int fd, long address, long length, long fds, int nfds,
            int flags);

    /**
     * Receives up to {@code length} bytes at {@code address} and up to {@code maxFds} fds
     * into the int array at {@code fds} (unused slots -1). Returns the packed result
     * ({@link #bytes}, {@link #fdCount}, {@link #fdsDropped}) or -errno.
     */
    public static native long recvmsg(int fd, long address, long length, long fds, int maxFds,
            int flags);

    public static int firstFd(long pair) {
        return (int) pair;
    }

    public static int secondFd(long pair) {
        return (int) (pair >>> 32);
    }

    /** Bytes a {@link #recvmsg} result says arrived (0: the peer closed). */
    public static int bytes(long received) {
        return (int) received;
    }

    /** Fds a {@link #recvmsg} result says arrived. */
    public static int fdCount(long received) {
        return (int) (received >>> 32) & 0xff;
    }

    /** Whether fds came that did not fit (MSG_CTRUNC): the kernel closed those. */
    public static boolean fdsDropped(long received) {
        return (received & (1L << 40)) != 0;
    }
}
