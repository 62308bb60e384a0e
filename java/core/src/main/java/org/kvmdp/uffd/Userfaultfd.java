// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.uffd;

import static org.kvmdp.uffd.UffdStructs.*;

import java.util.Objects;
import java.util.Optional;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.nativeio.NativeIo;
import org.kvmdp.nativeio.NativeUffd;
import org.kvmdp.nativeio.OpenFlags;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.nativeio.Poll;
import org.kvmdp.nativeio.SyscallException;
import org.kvmdp.nativeio.Uapi;

/**
 * A userfaultfd: register ranges, read fault events, resolve them (copy, zeropage,
 * continue, wake). The fd is non-blocking; {@link #readEvent} polls with a timeout. Errors
 * are {@link SyscallException}s naming the ioctl. Resolving methods may be called from any
 * thread; reading events from one thread at a time.
 */
public final class Userfaultfd implements AutoCloseable {
    private static final long PAGE_SIZE = Uapi.PAGE_SIZE;
    /** The least size of a scratch buffer for the methods that take one. */
    public static final long SCRATCH_BYTES =
            pollOffset() + Poll.POLLFD_BYTES;

    private final OwnedFd fd;
    private final long features;
    private final long ioctls;

    private Userfaultfd(OwnedFd fd, long features, long ioctls) {
        this.fd = fd;
        this.features = features;
        this.ioctls = ioctls;
    }

    /** Opens a userfaultfd and does the UFFDIO_API handshake asking for {@code features}. */
    public static Userfaultfd open(long features) {
        int rc = NativeUffd.userfaultfd(OpenFlags.O_CLOEXEC | OpenFlags.O_NONBLOCK);
        if (rc < 0) {
            throw new SyscallException("userfaultfd", -rc);
        }
        OwnedFd fd = new OwnedFd(rc, "userfaultfd");
        try (NativeBuffer api = new NativeBuffer(API_SIZE)) {
            api.putLong(API_API, UFFD_API);
            api.putLong(API_FEATURES, features);
            long result = NativeIo.ioctl(fd.get(), UFFDIO_API, api.address());
            if (result < 0) {
                throw new SyscallException("UFFDIO_API", (int) -result,
                        "features 0x" + Long.toHexString(features));
            }
            return new Userfaultfd(fd, api.getLong(API_FEATURES), api.getLong(API_IOCTLS));
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** Opens with no optional features (MISSING faults on anonymous memory). */
    public static Userfaultfd open() {
        return open(0);
    }

    public int fd() {
        return fd.get();
    }

    /** The features the kernel granted in UFFDIO_API. */
    public long features() {
        return features;
    }

    /** The UFFDIO_* ioctl bit mask from UFFDIO_API. */
    public long apiIoctls() {
        return ioctls;
    }

    /**
     * See UFFDIO_REGISTER: reports faults of the given modes in [address, address + length)
     * (page aligned). Returns the mask of resolving ioctls (1 << _UFFDIO_COPY etc.).
     */
    public long register(long address, long length, RegisterMode... modes) {
        checkRange(address, length);
        Objects.requireNonNull(modes, "modes");
        if (modes.length == 0) {
            throw new IllegalArgumentException("register needs at least one mode");
        }
        long mode = 0;
        for (RegisterMode m : modes) {
            mode |= Objects.requireNonNull(m, "mode").bit();
        }
        try (NativeBuffer reg = new NativeBuffer(REGISTER_SIZE)) {
            reg.putLong(REGISTER_RANGE + RANGE_START, address);
            reg.putLong(REGISTER_RANGE + RANGE_LEN, length);
            reg.putLong(REGISTER_MODE, mode);
            call("UFFDIO_REGISTER", UFFDIO_REGISTER, reg.address());
            return reg.getLong(REGISTER_IOCTLS);
        }
    }

    /** See UFFDIO_UNREGISTER. */
    public void unregister(long address, long length) {
        checkRange(address, length);
        try (NativeBuffer range = rangeBuffer(address, length)) {
            call("UFFDIO_UNREGISTER", UFFDIO_UNREGISTER, range.address());
        }
    }

    /**
     * See UFFDIO_COPY: atomically fills [dst, dst + length) with bytes from {@code src} and
     * wakes the faulting threads (unless {@code wake} is false). Returns bytes copied.
     * EEXIST (a racing resolution got there first) is thrown like any other error; use
     * {@link #copyRaw} to treat it as benign.
     */
    public long copy(long dst, long src, long length, boolean wake) {
        long rc = copyRaw(dst, src, length, wake);
        if (rc < 0) {
            throw new SyscallException("UFFDIO_COPY", (int) -rc,
                    "dst 0x" + Long.toHexString(dst) + " length " + length);
        }
        return rc;
    }

    /**
     * {@link #copy} returning bytes copied or -errno instead of an exception, so a fault
     * handler can treat EEXIST (a racing resolution got there first) as benign without one
     * ({@code MinimalHandler} does). Allocates its struct per call; a handler that must not
     * allocate keeps a scratch buffer and calls the form that takes it.
     */
    public long copyRaw(long dst, long src, long length, boolean wake) {
        try (NativeBuffer copy = new NativeBuffer(COPY_SIZE)) {
            return copyRaw(dst, src, length, wake, copy);
        }
    }

    /**
     * Allocation-free form for hot paths: {@link #copyRaw(long, long, long, boolean)} building
     * the struct in {@code scratch}, a buffer of at least {@link #SCRATCH_BYTES} that the
     * calling thread owns: a fault handler (the post-copy engine's userfaultfd installer) keeps
     * one, so resolving a fault allocates nothing and EEXIST throws nothing.
     */
    public long copyRaw(long dst, long src, long length, boolean wake, NativeBuffer scratch) {
        checkRange(dst, length);
        if (src == 0) {
            throw new IllegalArgumentException("source address must not be 0");
        }
        scratch.putLong(COPY_DST, dst);
        scratch.putLong(COPY_SRC, src);
        scratch.putLong(COPY_LEN, length);
        scratch.putLong(COPY_MODE, wake ? 0 : COPY_MODE_DONTWAKE);
        scratch.putLong(COPY_COPY, 0);
        long rc = NativeIo.ioctl(fd.get(), UFFDIO_COPY, scratch.address());
        return rc < 0 ? rc : scratch.getLong(COPY_COPY);
    }

    /** See UFFDIO_ZEROPAGE: maps zero pages over [address, address + length); bytes done. */
    public long zeropage(long address, long length, boolean wake) {
        checkRange(address, length);
        try (NativeBuffer zero = new NativeBuffer(ZEROPAGE_SIZE)) {
            zero.putLong(ZEROPAGE_RANGE + RANGE_START, address);
            zero.putLong(ZEROPAGE_RANGE + RANGE_LEN, length);
            zero.putLong(ZEROPAGE_MODE, wake ? 0 : ZEROPAGE_MODE_DONTWAKE);
            call("UFFDIO_ZEROPAGE", UFFDIO_ZEROPAGE, zero.address());
            return zero.getLong(ZEROPAGE_ZEROPAGE);
        }
    }

    /** See UFFDIO_CONTINUE: maps the existing page-cache pages (MINOR faults); bytes done. */
    public long continueRange(long address, long length, boolean wake) {
        long rc = continueRangeRaw(address, length, wake);
        if (rc < 0) {
            throw new SyscallException("UFFDIO_CONTINUE", (int) -rc,
                    "address 0x" + Long.toHexString(address) + " length " + length);
        }
        return rc;
    }

    /** {@link #continueRange} returning bytes mapped or -errno. */
    private long continueRangeRaw(long address, long length, boolean wake) {
        try (NativeBuffer cont = new NativeBuffer(CONTINUE_SIZE)) {
            return continueRangeRaw(address, length, wake, cont);
        }
    }

    /**
     * Allocation-free form for hot paths: UFFDIO_CONTINUE returning bytes mapped or -errno,
     * building the struct in a caller-owned {@code scratch} (see the scratch form of
     * {@code copyRaw}), so a fault handler (the post-copy engine's MINOR installer) allocates
     * nothing and can treat EEXIST (the range was already mapped by a racing resolution) as
     * benign without an exception.
     */
    public long continueRangeRaw(long address, long length, boolean wake, NativeBuffer scratch) {
        checkRange(address, length);
        scratch.putLong(CONTINUE_RANGE + RANGE_START, address);
        scratch.putLong(CONTINUE_RANGE + RANGE_LEN, length);
        scratch.putLong(CONTINUE_MODE, wake ? 0 : CONTINUE_MODE_DONTWAKE);
        scratch.putLong(CONTINUE_MAPPED, 0);
        long rc = NativeIo.ioctl(fd.get(), UFFDIO_CONTINUE, scratch.address());
        return rc < 0 ? rc : scratch.getLong(CONTINUE_MAPPED);
    }

    /** See UFFDIO_WAKE: wakes threads waiting on faults in the range. */
    public void wake(long address, long length) {
        checkRange(address, length);
        try (NativeBuffer range = rangeBuffer(address, length)) {
            call("UFFDIO_WAKE", UFFDIO_WAKE, range.address());
        }
    }

    /**
     * Waits up to {@code timeoutMillis} (-1: forever) for an event and reads it; empty on
     * timeout. A short read is a broken fd and throws.
     */
    public Optional<UffdEvent> readEvent(int timeoutMillis) {
        try (NativeBuffer scratch = new NativeBuffer(SCRATCH_BYTES)) {
            return readEvent(timeoutMillis, scratch);
        }
    }

    /**
     * {@link #readEvent(int)} reading into {@code scratch} (at least {@link #SCRATCH_BYTES},
     * owned by the calling thread): no native allocation per event.
     */
    public Optional<UffdEvent> readEvent(int timeoutMillis, NativeBuffer scratch) {
        int uffd = fd.get();
        long msg = scratch.at(0, MSG_SIZE);
        long pollfd = scratch.at(pollOffset(), Poll.POLLFD_BYTES);
        while (true) {
            long rc = NativeIo.read(uffd, msg, MSG_SIZE);
            if (rc == MSG_SIZE) {
                return Optional.of(decode(scratch));
            }
            if (rc >= 0) {
                throw new IllegalStateException("short userfaultfd read: " + rc + " of "
                        + MSG_SIZE + " bytes");
            }
            if (rc != -Errno.EAGAIN.code() && rc != -Errno.EINTR.code()) {
                throw new SyscallException("read(userfaultfd)", (int) -rc);
            }
            if (rc == -Errno.EAGAIN.code() && !Poll.waitReadable(timeoutMillis, uffd, pollfd)) {
                return Optional.empty();
            }
        }
    }

    @Override
    public void close() {
        fd.close();
    }

    private static UffdEvent decode(NativeBuffer msg) {
        int event = msg.getByte(MSG_EVENT) & 0xff;
        if (event != EVENT_PAGEFAULT) {
            return new UffdEvent.Other(event);
        }
        return new UffdEvent.PageFault(msg.getLong(MSG_FAULT_ADDRESS), msg.getLong(MSG_FAULT_FLAGS),
                msg.getInt(MSG_FAULT_PTID));
    }

    private void call(String name, long request, long arg) {
        long rc = NativeIo.ioctl(fd.get(), request, arg);
        if (rc < 0) {
            throw new SyscallException(name, (int) -rc);
        }
    }

    /** Where a scratch buffer holds the struct pollfd: after the largest struct, 8-aligned. */
    private static long pollOffset() {
        long structs = Math.max(MSG_SIZE, Math.max(COPY_SIZE, CONTINUE_SIZE));
        return (structs + 7) & ~7L;
    }

    private static NativeBuffer rangeBuffer(long address, long length) {
        NativeBuffer range = new NativeBuffer(RANGE_SIZE);
        range.putLong(RANGE_START, address);
        range.putLong(RANGE_LEN, length);
        return range;
    }

    private static void checkRange(long address, long length) {
        if (address <= 0 || address % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(address)
                    + " must be non-zero and page aligned");
        }
        if (length <= 0 || length % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("length " + length
                    + " must be a positive multiple of the page size");
        }
    }
}
