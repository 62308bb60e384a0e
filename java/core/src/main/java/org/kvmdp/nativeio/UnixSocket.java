// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One AF_UNIX stream socket and the right to close it: a listening socket on a path, a
 * connection to one, or one end of a socketpair. Sends and receives bytes with file
 * descriptors attached (SCM_RIGHTS), which Java 17's own UNIX-domain channels cannot.
 * Sends never raise SIGPIPE: a closed peer is {@link Errno#EPIPE}. Received fds are
 * close-on-exec. Failures throw {@link SyscallException} naming the syscall.
 */
public final class UnixSocket implements AutoCloseable {
    private static final int AF_UNIX = Uapi.getInt("AF_UNIX");
    private static final int SOCK_STREAM = Uapi.getInt("SOCK_STREAM");
    private static final int SOCK_CLOEXEC = Uapi.getInt("SOCK_CLOEXEC");
    private static final int SHUT_RDWR = Uapi.getInt("SHUT_RDWR");
    private static final int MSG_NOSIGNAL = Uapi.getInt("MSG_NOSIGNAL");
    private static final int MSG_CMSG_CLOEXEC = Uapi.getInt("MSG_CMSG_CLOEXEC");
    private static final int SOL_SOCKET = Uapi.getInt("SOL_SOCKET");
    private static final int SO_PEERCRED = Uapi.getInt("SO_PEERCRED");
    private static final int UCRED_BYTES = Uapi.getInt("sizeof(ucred)");
    private static final int UCRED_PID = Uapi.getInt("ucred.pid");
    private static final int UCRED_UID = Uapi.getInt("ucred.uid");
    private static final int UCRED_GID = Uapi.getInt("ucred.gid");
    /** sun_path's size, with its terminating NUL. */
    public static final int MAX_PATH_BYTES = Uapi.getInt("sizeof(sockaddr_un.sun_path)") - 1;

    /** Who is at the other end (SO_PEERCRED): as it was when it connected. */
    public record PeerCredentials(int pid, int uid, int gid) {}

    /** What one {@link #receive} got: {@code bytes} bytes (0: the peer closed) and the fds. */
    public record Received(int bytes, List<OwnedFd> fds) {}

    private final OwnedFd fd;

    private UnixSocket(OwnedFd fd) {
        this.fd = fd;
    }

    /** A connected pair (socketpair), e.g. a channel whose one end goes to another process. */
    public static UnixSocket[] pair(String description) {
        Objects.requireNonNull(description, "description");
        long rc = NativeSocket.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (rc < 0) {
            throw new SyscallException("socketpair", (int) -rc);
        }
        return new UnixSocket[] {
            new UnixSocket(new OwnedFd(NativeSocket.firstFd(rc), description + " (end 0)")),
            new UnixSocket(new OwnedFd(NativeSocket.secondFd(rc), description + " (end 1)"))};
    }

    /** A socket listening on {@code path} (which must not exist yet). */
    public static UnixSocket listen(Path path, int backlog) {
        String p = checkedPath(path);
        UnixSocket socket = open("listening on " + p);
        try {
            check("bind", NativeSocket.bind(socket.fd(), p), p);
            check("listen", NativeSocket.listen(socket.fd(), backlog), p);
            return socket;
        } catch (RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** A connection to the socket listening on {@code path}. */
    public static UnixSocket connect(Path path) {
        String p = checkedPath(path);
        UnixSocket socket = open("connected to " + p);
        try {
            check("connect", NativeSocket.connect(socket.fd(), p), p);
            return socket;
        } catch (RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Takes ownership of {@code fd}, a connected AF_UNIX stream socket (one received from
     * another process, say); what is not a socket fails at the first send or receive.
     */
    public static UnixSocket adopt(OwnedFd fd) {
        return new UnixSocket(Objects.requireNonNull(fd, "fd"));
    }

    /** Takes the next connection of a listening socket, blocking until one comes. */
    public UnixSocket accept() {
        int rc;
        do {
            rc = NativeSocket.accept4(fd(), SOCK_CLOEXEC);
        } while (rc == -Errno.EINTR.code());
        check("accept4", rc, fd.description());
        return new UnixSocket(new OwnedFd(rc, "accepted on " + fd.description()));
    }

    /** Whether something can be read (or accepted) within {@code timeoutMillis}. */
    public boolean awaitReadable(int timeoutMillis) {
        return Poll.waitReadable(timeoutMillis, fd()) != 0;
    }

    /** The fd number; {@link IllegalStateException} once closed. */
    public int fd() {
        return fd.get();
    }

    public boolean isClosed() {
        return fd.isClosed();
    }

    /**
     * Sends all of {@code bytes}, with {@code fds} attached to the first of them (they arrive
     * with the first byte). {@link SyscallException} EPIPE or ECONNRESET if the peer is gone.
     */
    public void send(byte[] bytes, int... fds) {
        Objects.requireNonNull(bytes, "bytes");
        if (fds.length > NativeSocket.MAX_FDS) {
            throw new IllegalArgumentException("at most " + NativeSocket.MAX_FDS + " fds, got "
                    + fds.length);
        }
        if (bytes.length == 0 && fds.length > 0) {
            throw new IllegalArgumentException("fds need at least one byte to travel with");
        }
        try (NativeBuffer data = new NativeBuffer(Math.max(1, bytes.length));
                NativeBuffer fdArray = new NativeBuffer(Math.max(1, 4L * fds.length))) {
            NativeMemory.fromArray(bytes, data.address());
            for (int i = 0; i < fds.length; i++) {
                fdArray.putInt(4L * i, fds[i]);
            }
            int sent = 0;
            int nfds = fds.length;
            while (sent < bytes.length) {
                long rc = NativeSocket.sendmsg(fd(), data.address() + sent, bytes.length - sent,
                        fdArray.address(), nfds, MSG_NOSIGNAL);
                if (rc == -Errno.EINTR.code()) {
                    continue;
                }
                if (rc < 0) {
                    throw new SyscallException("sendmsg", (int) -rc, fd.description());
                }
                sent += (int) rc;
                nfds = 0; // the fds went with the first bytes
            }
        }
    }

    /**
     * Receives up to {@code length} bytes into {@code into} at {@code offset} and up to
     * {@code maxFds} fds, blocking until something arrives. More fds than {@code maxFds}
     * (the kernel closed the rest) is an {@link IllegalStateException}, the ones that came
     * closed too: a peer that sends what was not asked for is not trusted.
     */
    public Received receive(byte[] into, int offset, int length, int maxFds) {
        Objects.checkFromIndexSize(offset, length, into.length);
        if (maxFds < 0 || maxFds > NativeSocket.MAX_FDS) {
            throw new IllegalArgumentException("maxFds must be 0.." + NativeSocket.MAX_FDS
                    + ", got " + maxFds);
        }
        try (NativeBuffer data = new NativeBuffer(Math.max(1, length));
                NativeBuffer fdArray = new NativeBuffer(Math.max(4, 4L * maxFds))) {
            long rc;
            do {
                rc = NativeSocket.recvmsg(fd(), data.address(), length, fdArray.address(),
                        maxFds, MSG_CMSG_CLOEXEC);
            } while (rc == -Errno.EINTR.code());
            if (rc < 0) {
                throw new SyscallException("recvmsg", (int) -rc, fd.description());
            }
            List<OwnedFd> fds = new ArrayList<>();
            for (int i = 0; i < NativeSocket.fdCount(rc); i++) {
                fds.add(new OwnedFd(fdArray.getInt(4L * i), "fd received on "
                        + fd.description()));
            }
            if (NativeSocket.fdsDropped(rc)) {
                fds.forEach(OwnedFd::close);
                throw new IllegalStateException("more fds arrived on " + fd.description()
                        + " than the " + maxFds + " expected; all of them closed");
            }
            int bytes = NativeSocket.bytes(rc);
            byte[] got = NativeMemory.toArray(data.address(), bytes);
            System.arraycopy(got, 0, into, offset, bytes);
            return new Received(bytes, List.copyOf(fds));
        }
    }

    /** The peer's pid, uid and gid (SO_PEERCRED), to check who connected. */
    public PeerCredentials peerCredentials() {
        try (NativeBuffer cred = new NativeBuffer(UCRED_BYTES)) {
            int rc = NativeSocket.getsockopt(fd(), SOL_SOCKET, SO_PEERCRED, cred.address(),
                    UCRED_BYTES);
            check("getsockopt(SO_PEERCRED)", rc, fd.description());
            return new PeerCredentials(cred.getInt(UCRED_PID), cred.getInt(UCRED_UID),
                    cred.getInt(UCRED_GID));
        }
    }

    /**
     * Shuts both directions down: a thread blocked in {@link #receive} on this socket wakes
     * with end-of-file (closing alone would not wake it), and the peer sees end-of-file.
     * Does nothing once closed; ENOTCONN (already shut down by the peer) is not an error.
     */
    public void shutdown() {
        if (fd.isClosed()) {
            return;
        }
        int rc = NativeSocket.shutdown(fd.get(), SHUT_RDWR);
        if (rc < 0 && rc != -Errno.ENOTCONN.code()) {
            throw new SyscallException("shutdown", -rc, fd.description());
        }
    }

    /** Closes once; later calls do nothing. */
    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "UNIX socket " + fd;
    }

    private static UnixSocket open(String description) {
        int rc = NativeSocket.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        check("socket", rc, description);
        return new UnixSocket(new OwnedFd(rc, "UNIX socket " + description));
    }

    private static String checkedPath(Path path) {
        String p = Objects.requireNonNull(path, "path").toString();
        if (p.isEmpty() || p.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                > MAX_PATH_BYTES) {
            throw new IllegalArgumentException("a UNIX socket path has 1.." + MAX_PATH_BYTES
                    + " bytes: " + p);
        }
        return p;
    }

    private static void check(String operation, long rc, String detail) {
        if (rc < 0) {
            throw new SyscallException(operation, (int) -rc, detail);
        }
    }
}
