// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.TestImages;

/** The STATE exchange and the server's end-of-migration signal. */
@Timeout(60)
class DeviceStateExchangeTest {
    private static final byte[] IMAGE = TestImages.random(16, 3);

    @Test
    void theDestinationGetsTheStateTheSourceStartedWith() throws Exception {
        byte[] state = TestImages.random(1, 9);
        try (PageSource image = MemoryPageSource.copyOf(IMAGE);
                PageServer server = PageServer.start(image, state, TcpEndToEndTest.LOOPBACK)) {
            try (TcpPageSource source = TcpPageSource.connect(server.address(),
                    TcpOptions.defaults())) {
                assertThat(source.deviceState()).isEqualTo(state);
                assertThat(server.awaitClientsGone(Duration.ofMillis(50)))
                        .as("a client is still connected").isFalse();
            }
            assertThat(server.awaitClientsGone(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void withoutStateTheAnswerIsEmptyAndNobodyConnectingIsNotDone() throws Exception {
        try (PageSource image = MemoryPageSource.copyOf(IMAGE);
                PageServer server = PageServer.start(image, TcpEndToEndTest.LOOPBACK)) {
            assertThat(server.awaitClientsGone(Duration.ofMillis(50))).isFalse();
            try (TcpPageSource source = TcpPageSource.connect(server.address(),
                    TcpOptions.defaults())) {
                assertThat(source.deviceState()).isEmpty();
            }
        }
    }

    @Test
    void aStateLargerThanTheProtocolCarriesIsRefusedAtStart() {
        try (PageSource image = MemoryPageSource.copyOf(IMAGE)) {
            assertThatThrownBy(() -> PageServer.start(image, new byte[Wire.MAX_STATE_BYTES + 1],
                    TcpEndToEndTest.LOOPBACK))
                    .hasMessageContaining("the protocol carries at most " + Wire.MAX_STATE_BYTES);
        }
    }

    @Test
    void aStateWhoseLengthDisagreesWithItsFrameIsNamed() throws Exception {
        try (ScriptedServer bad = new ScriptedServer((channel, in, out) -> {
            ScriptedServer.welcome(out, Wire.MAGIC, Wire.VERSION, IMAGE.length);
            if (channel == Wire.CHANNEL_BACKGROUND) {
                in.readNBytes(Wire.FRAME_HEADER_BYTES + 8); // the STATE_REQUEST
                out.writeByte(MessageType.STATE.code());
                out.writeInt(12 + 4);
                out.writeLong(1);
                out.writeInt(100);
                out.write(new byte[4]);
                out.flush();
            }
            ScriptedServer.idle(in);
        });
                TcpPageSource source = TcpPageSource.connect(bad.address(), TcpOptions.defaults())) {
            assertThatThrownBy(source::deviceState)
                    .hasMessageContaining("STATE claims 100 bytes, 4 follow");
        }
    }

    @Test
    void aStateAnsweringAPagesRequestIsNamed() throws Exception {
        try (ScriptedServer bad = new ScriptedServer((channel, in, out) -> {
            ScriptedServer.welcome(out, Wire.MAGIC, Wire.VERSION, IMAGE.length);
            if (channel == Wire.CHANNEL_BACKGROUND) {
                in.readNBytes(Wire.FRAME_HEADER_BYTES + 8);
                out.writeByte(MessageType.PAGES.code());
                out.writeInt(20 + 4096);
                out.writeLong(1);
                out.writeLong(0);
                out.writeInt(1);
                out.write(new byte[4096]);
                out.flush();
            }
            ScriptedServer.idle(in);
        });
                TcpPageSource source = TcpPageSource.connect(bad.address(), TcpOptions.defaults())) {
            assertThatThrownBy(source::deviceState)
                    .hasMessageContaining("PAGES for pages [0, 1) answers request #1, which asked"
                            + " for the device state");
        }
    }
}
