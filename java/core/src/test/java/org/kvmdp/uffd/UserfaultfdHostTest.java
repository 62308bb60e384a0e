// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.uffd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.kvmdp.memory.Backing;
import org.kvmdp.memory.GuestMemory;
import org.kvmdp.nativeio.Mman;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.nativeio.NativeIo;
import org.kvmdp.nativeio.NativeMem;
import org.kvmdp.nativeio.OwnedFd;

/**
 * userfaultfd on plain host memory: faults from one thread served by a Java handler thread.
 *
 * <p>The faulting accesses are made by the kernel inside pwrite(2) (copy_from_user), never by
 * Java code: a thread blocked on a fault while running Java code cannot reach a safepoint,
 * so the first GC the handler thread needs would hang the whole JVM. (A vCPU faults inside
 * KVM_RUN, which is just as safe.)
 */
class UserfaultfdHostTest {
    private static final long PAGE = 4096;
    private static final int PAGES = 64;

    @Test
    void missingFaultsAreServedByACopyingHandlerThread() throws Exception {
        try (Userfaultfd uffd = Userfaultfd.open();
                GuestMemory target = GuestMemory.allocate(Backing.ANONYMOUS, PAGES * PAGE);
                GuestMemory source = GuestMemory.allocate(Backing.ANONYMOUS, PAGE)) {
            long ioctls = uffd.register(target.address(), target.size(), RegisterMode.MISSING);
            assertThat(ioctls & (1L << org.kvmdp.nativeio.Uapi.get("_UFFDIO_COPY"))).isNotZero();
            Map<Long, Integer> faults = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> handlerFailure = new AtomicReference<>();
            Thread handler = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        Optional<UffdEvent> event = uffd.readEvent(100);
                        if (event.isEmpty()) {
                            continue;
                        }
                        UffdEvent.PageFault fault = (UffdEvent.PageFault) event.get();
                        long page = fault.pageAddress(PAGE);
                        faults.merge(page, 1, Integer::sum);
                        source.putLong(0, page ^ 0xfeed); // content derived from the page
                        long rc = uffd.copyRaw(page, source.address(), PAGE, true);
                        if (rc < 0 && rc != -org.kvmdp.nativeio.Errno.EEXIST.code()) {
                            throw new IllegalStateException("UFFDIO_COPY " + rc);
                        }
                    }
                } catch (Throwable e) {
                    handlerFailure.set(e);
                    uffd.close(); // releases the blocked faulter instead of hanging the test
                }
            }, "uffd-handler");
            handler.start();
            try (OwnedFd sink = new OwnedFd(NativeMem.memfdCreate("sink", Mman.MFD_CLOEXEC),
                    "sink memfd"); NativeBuffer word = new NativeBuffer(8)) {
                for (int i = 0; i < PAGES; i++) {
                    long page = target.address() + i * PAGE;
                    // The kernel's read of the page blocks until the handler has copied it.
                    assertThat(NativeIo.pwrite(sink.get(), page, 8, 0)).isEqualTo(8);
                    assertThat(NativeIo.pread(sink.get(), word.address(), 8, 0)).isEqualTo(8);
                    assertThat(word.getLong(0)).isEqualTo(page ^ 0xfeed);
                }
            } finally {
                stop.set(true);
                handler.join(5000);
            }
            assertThat(handlerFailure.get()).isNull();
            assertThat(faults).hasSize(PAGES);
            assertThat(faults.values()).containsOnly(1);
            // Resolved pages no longer fault.
            assertThat(uffd.readEvent(0)).isEmpty();
        }
    }

    @Test
    void zeropageResolvesAndCopyOverAnExistingPageIsEexist() throws Exception {
        try (Userfaultfd uffd = Userfaultfd.open();
                GuestMemory target = GuestMemory.allocate(Backing.ANONYMOUS, 2 * PAGE);
                GuestMemory source = GuestMemory.allocate(Backing.ANONYMOUS, PAGE)) {
            uffd.register(target.address(), target.size(), RegisterMode.MISSING);
            assertThat(uffd.zeropage(target.address(), PAGE, true)).isEqualTo(PAGE);
            assertThat(target.getLong(0)).isZero();
            assertThat(uffd.copyRaw(target.address(), source.address(), PAGE, true))
                    .isEqualTo(-org.kvmdp.nativeio.Errno.EEXIST.code());
            assertThat(uffd.copy(target.address() + PAGE, source.address(), PAGE, true))
                    .isEqualTo(PAGE);
            uffd.wake(target.address(), target.size());
            uffd.unregister(target.address(), target.size());
        }
    }

    @Test
    void readWithTimeoutReturnsEmptyWhenNothingFaults() {
        try (Userfaultfd uffd = Userfaultfd.open()) {
            long start = System.nanoTime();
            assertThat(uffd.readEvent(50)).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(40));
            assertThat(uffd.features()).isNotNegative();
        }
    }

    @Test
    void badRangesAndClosedHandlesFailBeforeAnySyscall() {
        Userfaultfd uffd = Userfaultfd.open();
        assertThatThrownBy(() -> uffd.register(4097, PAGE, RegisterMode.MISSING))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> uffd.register(PAGE, -PAGE, RegisterMode.MISSING))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> uffd.register(PAGE, PAGE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> uffd.register(PAGE, PAGE, (RegisterMode) null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> uffd.copy(PAGE, 0, PAGE, true))
                .isInstanceOf(IllegalArgumentException.class);
        uffd.close();
        assertThatThrownBy(() -> uffd.readEvent(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> uffd.wake(PAGE, PAGE)).isInstanceOf(IllegalStateException.class);
    }
}
