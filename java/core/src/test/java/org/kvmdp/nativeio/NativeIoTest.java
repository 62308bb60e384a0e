// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The raw natives: results or -errno, never exceptions. */
class NativeIoTest {
    @Test
    void failuresComeBackAsNegativeErrno() {
        assertThat(NativeIo.open("/no/such/file", OpenFlags.O_RDONLY, 0))
                .isEqualTo(-Errno.ENOENT.code());
        assertThat(NativeIo.close(1_000_000)).isEqualTo(-Errno.EBADF.code());
        assertThat(NativeIo.ioctl(1_000_000, Uapi.get("KVM_GET_API_VERSION"), 0))
                .isEqualTo(-Errno.EBADF.code());
        assertThat(NativeMem.munmap(4097, 4096)).isEqualTo(-Errno.EINVAL.code());
    }

    @Test
    void ioctlOnAnFdOfTheWrongKindIsEnotty() {
        try (EventFd eventFd = EventFd.create()) {
            assertThat(NativeIo.ioctl(eventFd.fd(), Uapi.get("KVM_GET_API_VERSION"), 0))
                    .isEqualTo(-Errno.ENOTTY.code());
        }
    }

    @Test
    void memfdReadWriteAndPreadPwriteRoundTrip() {
        int fd = NativeMem.memfdCreate("kvmdp-test", Mman.MFD_CLOEXEC);
        assertThat(fd).isNotNegative();
        try (OwnedFd owned = new OwnedFd(fd, "memfd"); NativeBuffer buf = new NativeBuffer(16)) {
            assertThat(NativeMem.ftruncate(fd, 8192)).isZero();
            buf.putLong(0, 0x1122334455667788L);
            assertThat(NativeIo.pwrite(fd, buf.address(), 8, 4096)).isEqualTo(8);
            assertThat(NativeIo.write(fd, buf.address(), 8)).isEqualTo(8);
            buf.putLong(8, 0);
            assertThat(NativeIo.pread(fd, buf.address() + 8, 8, 4096)).isEqualTo(8);
            assertThat(buf.getLong(8)).isEqualTo(0x1122334455667788L);
            assertThat(NativeIo.read(fd, buf.address(), 8)).isEqualTo(8); // offset 8 now: zeros
            assertThat(buf.getLong(0)).isZero();
            assertThat(owned.get()).isEqualTo(fd);
        }
    }

    @Test
    void eventfdWakesPollAndTimesOutWhenQuiet() {
        try (EventFd eventFd = EventFd.create()) {
            assertThat(Poll.waitReadable(0, eventFd.fd())).isZero();
            eventFd.signal(3);
            assertThat(Poll.waitReadable(1000, eventFd.fd())).isEqualTo(1);
            assertThat(eventFd.drain()).isEqualTo(3);
            assertThat(eventFd.drain()).isZero();
            assertThatThrownBy(() -> eventFd.signal(0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void dup3AndCloseTrackOwnership() {
        try (EventFd eventFd = EventFd.create()) {
            int copy = NativeIo.dup3(eventFd.fd(), 900, OpenFlags.O_CLOEXEC);
            assertThat(copy).isEqualTo(900);
            OwnedFd owned = new OwnedFd(copy, "dup");
            owned.close();
            owned.close(); // idempotent
            assertThat(NativeIo.close(900)).isEqualTo(-Errno.EBADF.code());
            assertThatThrownBy(owned::get).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("dup is closed");
        }
    }

    @Test
    void nativeBufferChecksBoundsAndUseAfterFree() {
        NativeBuffer buffer = new NativeBuffer(8);
        assertThat(buffer.getLong(0)).isZero();
        assertThatThrownBy(() -> buffer.getLong(1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> buffer.putInt(-1, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        buffer.close();
        buffer.close();
        assertThatThrownBy(buffer::address).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new NativeBuffer(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
