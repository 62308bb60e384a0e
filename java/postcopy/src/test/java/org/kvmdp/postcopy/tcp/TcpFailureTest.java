// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.kvmdp.postcopy.tcp.TcpEndToEndTest.LOOPBACK;

import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvmdp.postcopy.BufferInstaller;
import org.kvmdp.postcopy.GatedPageSource;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.MigrationFailedException;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSourceException;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.PostcopyOptions;
import org.kvmdp.postcopy.TestImages;
import org.kvmdp.postcopy.Urgency;

/** What the destination does when the page server dies, hangs or talks nonsense. */
@Timeout(60)
class TcpFailureTest {
    private static final int PAGES = 1024;
    private static final byte[] IMAGE = TestImages.random(PAGES, 3);

    @Test
    void serverDyingMidMigrationReleasesEveryRequesterWithAClearError() throws Exception {
        GatedPageSource image = new GatedPageSource(MemoryPageSource.copyOf(IMAGE), PAGES / 2);
        PageServer server = PageServer.start(image, LOOPBACK);
        BufferInstaller installer = new BufferInstaller(IMAGE.length);
        try (TcpPageSource source = TcpPageSource.connect(server.address(), TcpOptions.defaults());
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), installer, PostcopyOptions.defaults(), null)) {
            destination.start();
            assertThat(image.awaitHeld(10_000)).as("sweep reached the stall").isTrue();
            List<Thread> requesters = new ArrayList<>();
            List<AtomicReference<Throwable>> errors = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                AtomicReference<Throwable> error = new AtomicReference<>();
                long page = PAGES - 1 - r;
                Thread t = new Thread(() -> {
                    try {
                        destination.awaitPage(page, "vcpu");
                    } catch (Throwable e) {
                        error.set(e);
                    }
                });
                t.start();
                requesters.add(t);
                errors.add(error);
            }
            Thread.sleep(100); // let them block

            server.close();

            for (Thread t : requesters) {
                t.join(10_000);
                assertThat(t.isAlive()).as("requester released").isFalse();
            }
            assertThat(errors).allSatisfy(e -> assertThat(e.get())
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("page server closed the")
                    .hasMessageContaining("channel")
                    // The server's port is closed too: a source that is gone, not retried.
                    .hasMessageContaining("reconnecting was refused")
                    .hasMessageContaining("the source is gone"));
            assertThatThrownBy(() -> destination.awaitCompletion(Duration.ofSeconds(10)))
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("page server closed the");
            assertThatThrownBy(() -> destination.awaitPage(PAGES - 10, "vcpu-late"))
                    .hasMessageContaining("page server closed the");
        } finally {
            image.open();
            server.close();
        }
    }

    @Test
    void aServerThatStopsAnsweringTimesOutTheRequest() {
        GatedPageSource image = new GatedPageSource(MemoryPageSource.copyOf(IMAGE), 0);
        // Without reconnecting: the first overdue request fails (TcpRecoveryTest retries).
        TcpOptions quick = TcpOptions.defaults().withRequestTimeout(Duration.ofMillis(300))
                .withoutReconnect();
        try (PageServer server = PageServer.start(image, LOOPBACK);
                TcpPageSource source = TcpPageSource.connect(server.address(), quick);
                PostcopyDestination destination = new PostcopyDestination(source,
                        new PageTracker(PAGES), new BufferInstaller(IMAGE.length),
                        PostcopyOptions.defaults(), null)) {
            assertThatThrownBy(() -> destination.awaitPage(5, "vcpu-0"))
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("page server sent no answer to request #")
                    .hasMessageContaining("(pages [5, 6)) within 300 ms on the demand channel");
        } finally {
            image.open();
        }
    }

    @Test
    void nobodyListeningIsAClearConnectError() throws IOException {
        InetSocketAddress closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = (InetSocketAddress) s.getLocalSocketAddress();
        }
        assertThatThrownBy(() -> TcpPageSource.connect(closedPort, TcpOptions.defaults()))
                .isInstanceOf(PageSourceException.class)
                .hasMessageContaining("cannot open the demand channel to " + closedPort);
    }

    @Test
    void unknownMessageTypeIsNamed() throws Exception {
        assertDemandFetchFails((out) -> {
            out.writeByte(0x99);
            out.writeInt(0);
        }, "unknown message type 0x99");
    }

    @Test
    void shortMessageIsNamed() throws Exception {
        assertDemandFetchFails((out) -> {
            out.writeByte(MessageType.PAGES.code());
            out.writeInt(20 + Pages.SIZE);
            out.write(new byte[100]);
            out.flush();
            out.close();
        }, "connection closed after 100 of 4116 bytes of a PAGES body");
    }

    @Test
    void oversizedMessageIsRejectedBeforeReadingIt() throws Exception {
        assertDemandFetchFails((out) -> {
            out.writeByte(MessageType.PAGES.code());
            out.writeInt(Integer.MAX_VALUE);
        }, "PAGES body length 2147483647 outside 20..262164 bytes");
    }

    @Test
    void pagesThatAnswerNothingAreRejected() throws Exception {
        assertDemandFetchFails((out) -> {
            out.writeByte(MessageType.PAGES.code());
            out.writeInt(20 + Pages.SIZE);
            out.writeLong(777);
            out.writeLong(0);
            out.writeInt(1);
            out.write(new byte[Pages.SIZE]);
        }, "PAGES answers request #777, which is not outstanding on the demand channel");
    }

    @Test
    void pagesWhoseLengthDisagreesWithTheirCountAreRejected() throws Exception {
        assertDemandFetchFails((out) -> {
            out.writeByte(MessageType.PAGES.code());
            out.writeInt(20 + 10);
            out.writeLong(1);
            out.writeLong(0);
            out.writeInt(1);
            out.write(new byte[10]);
        }, "PAGES for pages [0, 1) carries 10 bytes of data, expected 4096");
    }

    @Test
    void wrongMagicOrVersionInTheWelcomeIsNamed() throws IOException {
        try (ScriptedServer bad = new ScriptedServer((ch, in, out) ->
                ScriptedServer.welcome(out, 0x12345678, Wire.VERSION, IMAGE.length))) {
            assertThatThrownBy(() -> TcpPageSource.connect(bad.address(), TcpOptions.defaults()))
                    .hasMessageContaining("bad magic 0x12345678 in WELCOME");
        }
        try (ScriptedServer bad = new ScriptedServer((ch, in, out) ->
                ScriptedServer.welcome(out, Wire.MAGIC, 9, IMAGE.length))) {
            assertThatThrownBy(() -> TcpPageSource.connect(bad.address(), TcpOptions.defaults()))
                    .hasMessageContaining("page server speaks protocol version 9, this client " + Wire.VERSION);
        }
        try (ScriptedServer bad = new ScriptedServer((ch, in, out) ->
                ScriptedServer.welcome(out, Wire.MAGIC, Wire.VERSION, 4097))) {
            assertThatThrownBy(() -> TcpPageSource.connect(bad.address(), TcpOptions.defaults()))
                    .hasMessageContaining("image of 4097 bytes");
        }
        try (ScriptedServer bad = new ScriptedServer((ch, in, out) -> out.close())) {
            assertThatThrownBy(() -> TcpPageSource.connect(bad.address(), TcpOptions.defaults()))
                    .hasMessageContaining("page server closed the demand channel to " + bad.address())
                    .hasMessageContaining("instead of answering HELLO");
        }
    }

    interface Misbehaviour {
        void send(DataOutputStream out) throws IOException;
    }

    /**
     * Welcome on both channels, then {@code misbehave} on the demand channel only; without
     * reconnecting, so that a cut-off frame fails at once too (TcpRecoveryTest reconnects).
     */
    private static void assertDemandFetchFails(Misbehaviour misbehave, String expected)
            throws Exception {
        try (ScriptedServer bad = new ScriptedServer((channel, in, out) -> {
            ScriptedServer.welcome(out, Wire.MAGIC, Wire.VERSION, IMAGE.length);
            if (channel == Wire.CHANNEL_DEMAND) {
                in.readNBytes(5 + 21); // the client's PAGES_REQUEST
                misbehave.send(out);
                out.flush();
            }
            ScriptedServer.idle(in);
        });
                TcpPageSource source = TcpPageSource.connect(bad.address(),
                        TcpOptions.defaults().withoutReconnect())) {
            CompletableFuture<Void> f = source.fetch(PageRun.of(0), Urgency.DEMAND,
                    ByteBuffer.allocate(Pages.SIZE));
            assertThatThrownBy(() -> f.get(10, java.util.concurrent.TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(PageSourceException.class)
                    .hasMessageContaining(expected);
            // Later fetches on the broken channel fail at once with the same error.
            assertThat(source.fetch(PageRun.of(1), Urgency.DEMAND, ByteBuffer.allocate(Pages.SIZE)))
                    .isCompletedExceptionally();
        }
    }
}
