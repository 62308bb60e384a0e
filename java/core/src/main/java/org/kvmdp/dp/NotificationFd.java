// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.dp;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.kvmdp.kvm.Vm;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.EventFd;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.nativeio.NativeIo;
import org.kvmdp.nativeio.OpenFlags;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.nativeio.SyscallException;
import org.kvmdp.nativeio.Uapi;

/**
 * The demand-paging notification fd (KVM_CREATE_DEMAND_PAGING_FD): KVM posts here each page
 * that one of its own accesses (emulator, PV features, page-table walks) waits for; the thread
 * waits until the page is marked present. Each pending page is reported once.
 *
 * <p>{@link #read} and {@link #poll} wait with a timeout ({@code -1} forever, {@code 0} not
 * at all) and allocate nothing; one thread reads at a time (others queue). {@link #close} may
 * come from any thread: it wakes a blocked reader (through an eventfd polled beside the fd),
 * waits for it to leave, then closes the fd, which makes KVM's waiters give up.
 */
public final class NotificationFd implements AutoCloseable {
    private static final int EAGAIN = Errno.EAGAIN.code();
    private static final int EINTR = Errno.EINTR.code();
    private static final int F_GETFL = Uapi.getInt("F_GETFL");
    private static final int F_SETFL = Uapi.getInt("F_SETFL");
    private static final short POLLIN = (short) Uapi.getInt("POLLIN");
    private static final int POLLFD_SIZE = Uapi.getInt("sizeof(pollfd)");
    private static final int POLLFD_FD = Uapi.getInt("pollfd.fd");
    private static final int POLLFD_EVENTS = Uapi.getInt("pollfd.events");
    private static final int POLLFD_REVENTS = Uapi.getInt("pollfd.revents");

    private final OwnedFd fd;
    private final EventFd closeSignal;
    private final Vm vm;
    private final NativeBuffer pollfds; // [0] the notification fd, [1] closeSignal
    private final ReentrantLock readLock = new ReentrantLock();
    private volatile boolean closing;

    private NotificationFd(OwnedFd fd, EventFd closeSignal, Vm vm) {
        this.fd = fd;
        this.closeSignal = closeSignal;
        this.vm = vm;
        this.pollfds = new NativeBuffer(2L * POLLFD_SIZE);
        pollfds.putInt(POLLFD_FD, fd.get());
        pollfds.putShort(POLLFD_EVENTS, POLLIN);
        pollfds.putInt(POLLFD_SIZE + POLLFD_FD, closeSignal.fd());
        pollfds.putShort(POLLFD_SIZE + POLLFD_EVENTS, POLLIN);
    }

    /** Takes ownership of a fresh notification fd of {@code vm} and makes it non-blocking. */
    static NotificationFd adopt(OwnedFd fd, Vm vm) {
        EventFd closeSignal = null;
        try {
            int flags = NativeIo.fcntl(fd.get(), F_GETFL, 0);
            if (flags < 0) {
                throw new SyscallException("fcntl(F_GETFL)", -flags, fd.toString());
            }
            int rc = NativeIo.fcntl(fd.get(), F_SETFL, flags | OpenFlags.O_NONBLOCK);
            if (rc < 0) {
                throw new SyscallException("fcntl(F_SETFL)", -rc, fd.toString());
            }
            closeSignal = EventFd.create();
            return new NotificationFd(fd, closeSignal, vm);
        } catch (RuntimeException e) {
            fd.close();
            if (closeSignal != null) {
                closeSignal.close();
            }
            throw e;
        }
    }

    /** The fd number (for poll/epoll elsewhere); {@link IllegalStateException} once closed. */
    public int fd() {
        return fd.get();
    }

    public boolean isClosed() {
        return closing;
    }

    /**
     * Waits up to {@code timeoutMillis} until a request is pending: true then, false on
     * timeout or once {@link #close} was called.
     */
    public boolean poll(int timeoutMillis) {
        checkTimeout(timeoutMillis);
        readLock.lock();
        try {
            return pollLocked(deadline(timeoutMillis), timeoutMillis) > 0;
        } finally {
            readLock.unlock();
        }
    }

    /**
     * Reads pending requests into {@code events}, waiting up to {@code timeoutMillis} for the
     * first. Returns how many were read (also in {@link DemandPagingEvents#count}), 0 on
     * timeout, -1 once {@link #close} was called.
     */
    public int read(DemandPagingEvents events, int timeoutMillis) {
        Objects.requireNonNull(events, "events");
        checkTimeout(timeoutMillis);
        events.setCount(0);
        readLock.lock();
        try {
            long deadline = deadline(timeoutMillis);
            while (true) {
                if (closing) {
                    return -1;
                }
                long rc = NativeIo.read(fd.get(), events.address(), events.byteCapacity());
                if (rc > 0) {
                    if (rc % DemandPagingUapi.EVENT_SIZE != 0) {
                        throw new IllegalStateException("demand paging fd returned " + rc
                                + " bytes, not whole events");
                    }
                    int n = (int) (rc / DemandPagingUapi.EVENT_SIZE);
                    events.setCount(n);
                    return n;
                }
                if (rc != -EAGAIN && rc != -EINTR) {
                    throw new SyscallException("read(demand paging fd)", (int) -rc);
                }
                int ready = pollLocked(deadline, timeoutMillis);
                if (ready <= 0) {
                    return ready;
                }
            }
        } finally {
            readLock.unlock();
        }
    }

    /**
     * Wakes a blocked reader, waits for it to return, closes the fd (KVM's waiters give up,
     * their accesses fail) and the eventfd. Idempotent; any thread.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        closeSignal.signal(1); // never drained: every later poll returns at once
        readLock.lock();
        try {
            fd.close();
            closeSignal.close();
            pollfds.close();
        } finally {
            readLock.unlock();
            vm.forgetOnClose(this);
        }
    }

    @Override
    public String toString() {
        return "NotificationFd[" + fd + "]";
    }

    /** 1 if requests are pending, 0 on timeout, -1 if closing. Holds readLock. */
    private int pollLocked(long deadline, int timeoutMillis) {
        while (true) {
            if (closing) {
                return -1;
            }
            int wait = timeoutMillis < 0 ? -1 : (int) Math.max(0,
                    TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime() + 999_999));
            pollfds.putShort(POLLFD_REVENTS, (short) 0);
            pollfds.putShort(POLLFD_SIZE + POLLFD_REVENTS, (short) 0);
            int rc = NativeIo.poll(pollfds.address(), 2, wait);
            if (rc == -EINTR) {
                continue;
            }
            if (rc < 0) {
                throw new SyscallException("poll(demand paging fd)", -rc);
            }
            if (pollfds.getShort(POLLFD_SIZE + POLLFD_REVENTS) != 0) {
                return -1;
            }
            if (pollfds.getShort(POLLFD_REVENTS) != 0) {
                return 1;
            }
            if (timeoutMillis >= 0 && deadline - System.nanoTime() <= 0) {
                return 0;
            }
        }
    }

    private static long deadline(int timeoutMillis) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis));
    }

    private static void checkTimeout(int timeoutMillis) {
        if (timeoutMillis < -1) {
            throw new IllegalArgumentException("timeout must be -1 (forever) or >= 0 ms, got "
                    + timeoutMillis);
        }
    }
}
