// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvmdp.nativeio.EventFd;
import org.kvmdp.nativeio.UnixSocket;

/** Frames in and out, and every way a peer can send a broken one. */
@Timeout(30)
class FrameChannelTest {
    private static byte[] header(int code, int tag, int length) {
        return ByteBuffer.allocate(BackendProtocol.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(code).putInt(tag).putInt(length).array();
    }

    @Test
    void framesRoundTripWithTheirTagsAndFds() {
        UnixSocket[] pair = UnixSocket.pair("test");
        try (FrameChannel a = new FrameChannel(pair[0], "a"); FrameChannel b =
                new FrameChannel(pair[1], "b"); EventFd passed = EventFd.create()) {
            a.send(MessageKind.KICK, 7, new byte[] {1, 0, 0, 0});
            byte[] setup = new byte[BackendSetup.BYTES];
            a.send(MessageKind.SETUP, 8, setup, passed.fd(), passed.fd(), passed.fd());
            a.send(MessageKind.GOODBYE, 9);

            Frame kick = b.receive().orElseThrow();
            assertThat(kick.kind()).isEqualTo(MessageKind.KICK);
            assertThat(kick.tag()).isEqualTo(7);
            assertThat(kick.bodyBuffer().getInt()).isEqualTo(1);
            Frame s = b.receive().orElseThrow();
            assertThat(s.kind()).isEqualTo(MessageKind.SETUP);
            assertThat(s.fds()).hasSize(3);
            s.fds().forEach(fd -> fd.close());
            assertThat(b.receive().orElseThrow().kind()).isEqualTo(MessageKind.GOODBYE);
            a.close();
            assertThat(b.receive()).isEmpty();
        }
    }

    @Test
    void aFrameCutOffInItsHeaderOrBodyIsAProtocolViolation() {
        UnixSocket[] pair = UnixSocket.pair("test");
        try (UnixSocket raw = pair[0]; FrameChannel b = new FrameChannel(pair[1], "page channel")) {
            raw.send(Arrays.copyOf(header(MessageKind.NEED.code(), 1, 16), 5));
            raw.close();
            assertThatThrownBy(b::receive).isInstanceOf(BackendProtocolException.class)
                    .hasMessageContaining("closed after 5 of 12 bytes");
        }
        pair = UnixSocket.pair("test");
        try (UnixSocket raw = pair[0]; FrameChannel b = new FrameChannel(pair[1], "page channel")) {
            raw.send(header(MessageKind.NEED.code(), 1, 16));
            raw.send(new byte[10]);
            raw.close();
            assertThatThrownBy(b::receive).isInstanceOf(BackendProtocolException.class)
                    .hasMessageContaining("closed after 22 of 28 bytes")
                    .hasMessageContaining("NEED body");
        }
    }

    @Test
    void unknownKindsAndLengthsTheKindDoesNotAllowAreRefusedBeforeTheBody() {
        UnixSocket[] pair = UnixSocket.pair("test");
        try (UnixSocket raw = pair[0]; FrameChannel b = new FrameChannel(pair[1], "c")) {
            raw.send(header(99, 1, 0));
            assertThatThrownBy(b::receive).isInstanceOf(BackendProtocolException.class)
                    .hasMessageContaining("unknown message 99");
            raw.send(header(MessageKind.NEED.code(), 1, -1)); // 4 GiB - 1: never allocated
            assertThatThrownBy(b::receive).isInstanceOf(BackendProtocolException.class)
                    .hasMessageContaining("NEED with a body of 4294967295 bytes");
        }
    }

    @Test
    void fdsOnAMessageThatCarriesNoneAreClosedAndRefused() {
        UnixSocket[] pair = UnixSocket.pair("test");
        try (UnixSocket raw = pair[0]; FrameChannel b = new FrameChannel(pair[1], "c");
                EventFd smuggled = EventFd.create()) {
            byte[] frame = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                    .put(header(MessageKind.KICK.code(), 1, 4)).putInt(5).array();
            raw.send(frame, smuggled.fd());
            assertThatThrownBy(b::receive).isInstanceOf(BackendProtocolException.class)
                    .hasMessageContaining("KICK with 1 fds");
            assertThatThrownBy(() -> new FrameChannel(pair[0], "x").send(MessageKind.KICK, 1,
                    new byte[4], smuggled.fd())).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void sendingToAPeerThatIsGoneSaysSo() {
        UnixSocket[] pair = UnixSocket.pair("test");
        try (FrameChannel a = new FrameChannel(pair[0], "control socket")) {
            pair[1].close();
            assertThatThrownBy(() -> a.send(MessageKind.GOODBYE, 1))
                    .isInstanceOf(PeerGoneException.class)
                    .hasMessageContaining("other end of the control socket is gone");
            assertThat(a.receive()).isEqualTo(Optional.empty());
        }
    }
}
