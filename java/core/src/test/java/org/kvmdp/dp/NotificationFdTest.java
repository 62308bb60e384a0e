// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kvmdp.kvm.FakeKvmHandles;
import org.kvmdp.nativeio.Errno;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.nativeio.NativeIo;

/**
 * {@link NotificationFd}'s waiting and closing, on the host over an eventfd that stands in for
 * the KVM fd (never readable while its counter is 0): timeouts, non-blocking reads, and a
 * close from another thread that ends a blocked read.
 */
class NotificationFdTest {
    private FakeKvmHandles fake;
    private NotificationFd fd;
    private DemandPagingEvents events;

    @BeforeEach
    void open() {
        fake = new FakeKvmHandles();
        fd = NotificationFd.adopt(FakeKvmHandles.eventfd("stand-in demand paging fd"), fake.vm());
        fake.vm().closeFirstOnClose(fd);
        events = new DemandPagingEvents();
    }

    @AfterEach
    void close() {
        fake.close();
        events.close();
    }

    @Test
    void nothingPendingTimesOutAndNonBlockingReadsSayEagain() {
        long start = System.nanoTime();
        assertThat(fd.poll(50)).isFalse();
        assertThat(fd.read(events, 50)).isZero();
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(fd.poll(0)).isFalse();
        assertThat(fd.read(events, 0)).isZero();
        assertThat(events.count()).isZero();
        try (NativeBuffer b = new NativeBuffer(16)) {
            assertThat(NativeIo.read(fd.fd(), b.address(), 16)).as("the fd was made non-blocking")
                    .isEqualTo(-Errno.EAGAIN.code());
        }
    }

    @Test
    void closeFromAnotherThreadEndsABlockedRead() {
        CompletableFuture<Integer> reader = CompletableFuture.supplyAsync(() -> fd.read(events, -1));
        CompletableFuture<Boolean> poller = CompletableFuture.supplyAsync(() -> fd.poll(-1));
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2))
                .until(() -> !reader.isDone() && !poller.isDone());
        fd.close();
        assertThat(reader).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(-1);
        assertThat(poller).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(false);
        assertThat(fd.isClosed()).isTrue();
        assertThat(fd.read(events, -1)).as("reads after close").isEqualTo(-1);
        assertThatThrownBy(fd::fd).isInstanceOf(IllegalStateException.class);
        fd.close(); // idempotent
    }

    @Test
    void closingTheVmClosesTheFdFirst() {
        fake.vm().close();
        assertThat(fd.isClosed()).isTrue();
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> fd.read(null, 0)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> fd.read(events, -2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout");
        assertThatThrownBy(() -> new DemandPagingEvents(65))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 64]");
        assertThatThrownBy(() -> events.gpa(0)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
