// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** AF_UNIX sockets with SCM_RIGHTS: bytes, fds, peers that go away, bad arguments. */
@Timeout(30)
class UnixSocketTest {
    @TempDir
    Path dir;

    @Test
    void aPassedMemfdIsTheSameMemoryOnBothSides() {
        UnixSocket[] pair = UnixSocket.pair("test");
        int rc = NativeMem.memfdCreate("kvmdp-socket-test", Mman.MFD_CLOEXEC);
        assertThat(rc).isNotNegative();
        try (OwnedFd memfd = new OwnedFd(rc, "memfd"); UnixSocket a = pair[0];
                UnixSocket b = pair[1]) {
            assertThat(NativeMem.ftruncate(memfd.get(), 8192)).isZero();
            a.send("memfd".getBytes(StandardCharsets.US_ASCII), memfd.get());

            byte[] into = new byte[16];
            UnixSocket.Received got = b.receive(into, 0, into.length, 4);
            assertThat(got.bytes()).isEqualTo(5);
            assertThat(new String(into, 0, 5, StandardCharsets.US_ASCII)).isEqualTo("memfd");
            assertThat(got.fds()).hasSize(1);
            try (OwnedFd received = got.fds().get(0)) {
                assertThat(received.get()).isNotEqualTo(memfd.get());
                long mine = Mman.mmap(0, 8192, Mman.PROT_READ | Mman.PROT_WRITE,
                        Mman.MAP_SHARED, memfd.get(), 0);
                long theirs = Mman.mmap(0, 8192, Mman.PROT_READ | Mman.PROT_WRITE,
                        Mman.MAP_SHARED, received.get(), 0);
                try {
                    NativeMemory.putLong(mine + 4096, 0x600dcafe_f00dL);
                    assertThat(NativeMemory.getLong(theirs + 4096)).isEqualTo(0x600dcafe_f00dL);
                    NativeMemory.putLong(theirs, 42);
                    assertThat(NativeMemory.getLong(mine)).isEqualTo(42);
                } finally {
                    Mman.munmap(mine, 8192);
                    Mman.munmap(theirs, 8192);
                }
            }
        }
    }

    @Test
    void severalFdsTravelTogetherAndArriveCloseOnExec() {
        UnixSocket[] pair = UnixSocket.pair("test");
        UnixSocket[] other = UnixSocket.pair("passed");
        try (UnixSocket a = pair[0]; UnixSocket b = pair[1]; UnixSocket c = other[0];
                UnixSocket d = other[1]; EventFd event = EventFd.create()) {
            a.send(new byte[] {1, 2, 3}, event.fd(), c.fd());
            UnixSocket.Received got = b.receive(new byte[3], 0, 3, 2);
            assertThat(got.fds()).hasSize(2);
            assertThat(NativeIo.fcntl(got.fds().get(0).get(), Uapi.getInt("F_GETFD"), 0))
                    .isEqualTo(Uapi.getInt("FD_CLOEXEC"));
            // The passed socket end works: bytes written on it arrive at its peer.
            try (OwnedFd passedSocket = got.fds().get(1); OwnedFd passedEvent = got.fds().get(0);
                    NativeBuffer buffer = new NativeBuffer(8)) {
                buffer.putLong(0, 7);
                assertThat(NativeIo.write(passedSocket.get(), buffer.address(), 1)).isEqualTo(1);
                assertThat(d.receive(new byte[1], 0, 1, 0).bytes()).isEqualTo(1);
                assertThat(NativeIo.write(passedEvent.get(), buffer.address(), 8)).isEqualTo(8);
                assertThat(event.drain()).isEqualTo(7);
            }
        }
    }

    @Test
    void moreFdsThanExpectedAreAllClosedAndRefused() {
        UnixSocket[] pair = UnixSocket.pair("test");
        try (UnixSocket a = pair[0]; UnixSocket b = pair[1]; EventFd e1 = EventFd.create();
                EventFd e2 = EventFd.create()) {
            a.send(new byte[] {9}, e1.fd(), e2.fd());
            assertThatThrownBy(() -> b.receive(new byte[1], 0, 1, 1))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("than the 1 expected");
        }
    }

    @Test
    void aClosedPeerIsEndOfFileForTheReaderAndEpipeForTheWriter() {
        UnixSocket[] pair = UnixSocket.pair("test");
        try (UnixSocket a = pair[0]) {
            pair[1].close();
            assertThat(a.receive(new byte[4], 0, 4, 0).bytes()).isZero();
            assertThatThrownBy(() -> a.send(new byte[] {1}))
                    .isInstanceOfSatisfying(SyscallException.class,
                            e -> assertThat(e.is(Errno.EPIPE)).as(e.getMessage()).isTrue());
        }
    }

    @Test
    void shutdownWakesABlockedReader() throws Exception {
        UnixSocket[] pair = UnixSocket.pair("test");
        try (UnixSocket a = pair[0]; UnixSocket b = pair[1]) {
            CompletableFuture<Integer> reader = CompletableFuture.supplyAsync(() ->
                    a.receive(new byte[4], 0, 4, 0).bytes());
            a.shutdown();
            assertThat(reader.get(20, TimeUnit.SECONDS)).isZero();
            a.shutdown(); // twice is fine
        }
    }

    @Test
    void listenAcceptConnectOnAPathAndTheAcceptorSeesWhoConnected() {
        Path path = dir.resolve("vmm.sock");
        try (UnixSocket listening = UnixSocket.listen(path, 1)) {
            assertThat(Files.exists(path)).isTrue();
            assertThat(listening.awaitReadable(0)).isFalse();
            try (UnixSocket client = UnixSocket.connect(path)) {
                assertThat(listening.awaitReadable(10_000)).isTrue();
                try (UnixSocket server = listening.accept()) {
                    UnixSocket.PeerCredentials peer = server.peerCredentials();
                    assertThat(peer.pid()).isEqualTo((int) ProcessHandle.current().pid());
                    client.send("hello".getBytes(StandardCharsets.US_ASCII));
                    byte[] into = new byte[8];
                    assertThat(server.receive(into, 0, 8, 0).bytes()).isEqualTo(5);
                }
            }
            assertThatThrownBy(() -> UnixSocket.listen(path, 1))
                    .isInstanceOfSatisfying(SyscallException.class,
                            e -> assertThat(e.is(Errno.EADDRINUSE)).isTrue());
        }
    }

    @Test
    void badPathsAndSocketsFailBeforeOrAtTheSyscall() {
        assertThatThrownBy(() -> UnixSocket.connect(dir.resolve("nobody-listens")))
                .isInstanceOfSatisfying(SyscallException.class,
                        e -> assertThat(e.is(Errno.ENOENT)).isTrue());
        Path tooLong = dir.resolve("x".repeat(UnixSocket.MAX_PATH_BYTES));
        assertThatThrownBy(() -> UnixSocket.connect(tooLong))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..");
        assertThat(NativeSocket.connect(0, "/" + "y".repeat(200)))
                .isEqualTo(-Errno.ENAMETOOLONG.code());
        try (EventFd notASocket = EventFd.create(); NativeBuffer b = new NativeBuffer(16)) {
            assertThat(NativeSocket.sendmsg(notASocket.fd(), b.address(), 1, b.address(), 0, 0))
                    .isEqualTo(-Errno.ENOTSOCK.code());
            assertThat(NativeSocket.sendmsg(notASocket.fd(), b.address(), 1, b.address(),
                    NativeSocket.MAX_FDS + 1, 0)).isEqualTo(-Errno.EINVAL.code());
            assertThat(NativeSocket.recvmsg(1_000_000, b.address(), 1, b.address(), 0, 0))
                    .isEqualTo(-Errno.EBADF.code());
        }
        UnixSocket[] pair = UnixSocket.pair("test");
        pair[0].close();
        pair[1].close();
        assertThatThrownBy(() -> pair[0].send(new byte[1]))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> pair[1].send(new byte[0], 3))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
