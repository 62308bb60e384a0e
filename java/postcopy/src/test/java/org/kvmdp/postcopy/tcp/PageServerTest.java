// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kvmdp.postcopy.tcp.TcpEndToEndTest.LOOPBACK;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvmdp.postcopy.GatedPageSource;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.TestImages;

/** The server side: priorities, and what it answers to clients that are not ours. */
@Timeout(60)
class PageServerTest {
    private static final int PAGES = 256;
    private static final byte[] IMAGE = TestImages.random(PAGES, 5);

    @Test
    void anUrgentRequestOvertakesQueuedBackgroundRequestsOnOneConnection() throws Exception {
        // Pages from 8 on stall until the gate opens, so the queue builds up behind page 8.
        GatedPageSource image = new GatedPageSource(MemoryPageSource.copyOf(IMAGE), 8);
        try (PageServer server = PageServer.start(image, LOOPBACK);
                ClientChannel channel = ClientChannel.open(server.address(),
                        Wire.CHANNEL_BACKGROUND, TcpOptions.defaults(), new AtomicLong())) {
            List<String> order = new CopyOnWriteArrayList<>();
            ByteBuffer sink = ByteBuffer.allocate(Pages.SIZE);
            channel.requestPages(PageRun.of(8), false, ByteBuffer.allocate(Pages.SIZE))
                    .thenRun(() -> order.add("background 8"));
            assertThat(image.awaitHeld(10_000)).isTrue();
            for (int p = 9; p < 14; p++) {
                String name = "background " + p;
                channel.requestPages(PageRun.of(p), false, ByteBuffer.allocate(Pages.SIZE))
                        .thenRun(() -> order.add(name));
            }
            CompletableFuture<Void> urgent = channel.requestPages(PageRun.of(100), true, sink)
                    .thenRun(() -> order.add("urgent 100"));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                    server.stats().backgroundRequests() == 6 && server.stats().urgentRequests() == 1);
            image.open();
            urgent.get(10, java.util.concurrent.TimeUnit.SECONDS);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> order.size() == 7);
            assertThat(order).containsExactly("background 8", "urgent 100", "background 9",
                    "background 10", "background 11", "background 12", "background 13");
        } finally {
            image.open();
        }
    }

    @Test
    void aClientWithTheWrongMagicIsToldSo() throws IOException {
        try (PageSource image = MemoryPageSource.copyOf(IMAGE);
                PageServer server = PageServer.start(image, LOOPBACK);
                Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeByte(MessageType.HELLO.code());
            out.writeInt(9);
            out.writeInt(0xCAFEBABE);
            out.writeInt(Wire.VERSION);
            out.writeByte(Wire.CHANNEL_DEMAND);
            out.flush();
            assertThat(readError(s)).isEqualTo("bad magic 0xcafebabe: not a kvmdp page client");
        }
    }

    @Test
    void aClientOfAnotherVersionIsToldSo() throws IOException {
        try (PageSource image = MemoryPageSource.copyOf(IMAGE);
                PageServer server = PageServer.start(image, LOOPBACK);
                Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            hello(out, Wire.VERSION + 1);
            assertThat(readError(s)).isEqualTo("client speaks protocol version "
                    + (Wire.VERSION + 1) + ", this server " + Wire.VERSION);
        }
    }

    @Test
    void garbageAfterTheHandshakeIsNamedAndTheConnectionClosed() throws IOException {
        try (PageSource image = MemoryPageSource.copyOf(IMAGE);
                PageServer server = PageServer.start(image, LOOPBACK);
                Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            hello(out, Wire.VERSION);
            assertThat(in.readByte()).isEqualTo((byte) MessageType.WELCOME.code());
            in.readNBytes(4 + 28);
            out.writeByte(MessageType.PAGES_REQUEST.code());
            out.writeInt(3); // a request is 21 bytes
            out.write(new byte[3]);
            out.flush();
            assertThat(readError(s)).isEqualTo(
                    "malformed message: PAGES_REQUEST body length 3 outside the fixed 21 bytes");
            assertThat(in.read()).as("closed after the error").isEqualTo(-1);
        }
    }

    @Test
    void aRequestOutsideTheImageIsRefusedAndTheConnectionStaysUp() throws Exception {
        try (PageSource image = MemoryPageSource.copyOf(IMAGE);
                PageServer server = PageServer.start(image, LOOPBACK);
                ClientChannel channel = ClientChannel.open(server.address(), Wire.CHANNEL_DEMAND,
                        TcpOptions.defaults(), new AtomicLong())) {
            CompletableFuture<Void> outside = channel.requestPages(new PageRun(PAGES - 1, 2), true,
                    ByteBuffer.allocate(2 * Pages.SIZE));
            assertThat(outside).failsWithin(Duration.ofSeconds(10))
                    .withThrowableThat().withMessageContaining(
                            "page server refused request #1 (pages [255, 257)): pages [255, 257)"
                                    + " outside the image of 256 pages");
            assertThat(channel.requestPages(PageRun.of(0), true, ByteBuffer.allocate(Pages.SIZE)))
                    .succeedsWithin(Duration.ofSeconds(10));
        }
    }

    private static void hello(DataOutputStream out, int version) throws IOException {
        out.writeByte(MessageType.HELLO.code());
        out.writeInt(9);
        out.writeInt(Wire.MAGIC);
        out.writeInt(version);
        out.writeByte(Wire.CHANNEL_DEMAND);
        out.flush();
    }

    private static String readError(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        DataInputStream in = new DataInputStream(s.getInputStream());
        assertThat(in.readByte()).isEqualTo((byte) MessageType.ERROR.code());
        in.readInt();
        assertThat(in.readLong()).as("connection-level error id").isZero();
        byte[] text = new byte[in.readUnsignedShort()];
        in.readFully(text);
        return new String(text, StandardCharsets.UTF_8);
    }
}
