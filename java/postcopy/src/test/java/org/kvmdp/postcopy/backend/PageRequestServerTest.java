// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvmdp.nativeio.UnixSocket;
import org.kvmdp.postcopy.GatedPageSource;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.TestImages;
import org.kvmdp.postcopy.access.PostcopyRig;

/**
 * The VMM's page server against the real engine, a fake backend on the other end: good
 * NEEDs are served by the engine's demand path, bad ones refused with nothing changed, and a
 * backend that cuts a frame, breaks the protocol or dies with a NEED in service is dropped
 * while the migration goes on.
 */
@Timeout(60)
class PageRequestServerTest {
    private static final int PAGES = 64;
    private static final byte[] IMAGE = TestImages.random(PAGES, 21);

    private final AtomicReference<String> lost = new AtomicReference<>();

    private static byte[] need(long first, int count, int reserved) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(first)
                .putInt(count).putInt(reserved).array();
    }

    private PageRequestServer server(PostcopyRig rig, UnixSocket vmmEnd) {
        return new PageRequestServer(new FrameChannel(vmmEnd, "page channel"), rig.gate(),
                PostcopyRig.GPA, PAGES, line -> { }, lost::set).start();
    }

    private static Frame answer(FrameChannel backend) {
        return backend.receive().orElseThrow();
    }

    @Test
    void aNeedIsServedByTheEnginesDemandPathAndAnsweredReady() {
        UnixSocket[] pair = UnixSocket.pair("page channel");
        try (PostcopyRig rig = new PostcopyRig(IMAGE); PageRequestServer server =
                server(rig, pair[0]); FrameChannel backend = new FrameChannel(pair[1], "b")) {
            backend.send(MessageKind.NEED, 5, need(9, 3, 0));
            Frame ready = answer(backend);
            assertThat(ready.kind()).isEqualTo(MessageKind.READY);
            assertThat(ready.tag()).isEqualTo(5);
            assertThat(rig.tracker.receivedRanges().asRanges()).hasSize(1)
                    .allSatisfy(r -> assertThat(r.lowerEndpoint()).isEqualTo(9L))
                    .allSatisfy(r -> assertThat(r.upperEndpoint()).isEqualTo(12L));
            assertThat(Arrays.copyOfRange(rig.installer.memory(), 9 * 4096, 12 * 4096))
                    .isEqualTo(Arrays.copyOfRange(IMAGE, 9 * 4096, 12 * 4096));
            assertThat(server.needsServed()).isEqualTo(1);
            assertThat(server.pagesServed()).isEqualTo(3);
        }
    }

    @Test
    void badNeedsAreRefusedAndChangeNothing() {
        UnixSocket[] pair = UnixSocket.pair("page channel");
        try (PostcopyRig rig = new PostcopyRig(IMAGE); PageRequestServer server =
                server(rig, pair[0]); FrameChannel backend = new FrameChannel(pair[1], "b")) {
            backend.send(MessageKind.NEED, 1, need(PAGES, 1, 0));
            backend.send(MessageKind.NEED, 2, need(PAGES - 1, 2, 0));
            backend.send(MessageKind.NEED, 3, need(-1, 1, 0));
            backend.send(MessageKind.NEED, 4, need(0, 0, 0));
            backend.send(MessageKind.NEED, 5, need(0, BackendProtocol.MAX_PAGES_PER_NEED + 1, 0));
            backend.send(MessageKind.NEED, 6, need(0, 1, 7));
            int[] codes = new int[6];
            for (int i = 0; i < 6; i++) {
                Frame f = answer(backend);
                assertThat(f.kind()).isEqualTo(MessageKind.REFUSED);
                codes[f.tag() - 1] = f.bodyBuffer().getInt();
            }
            assertThat(codes).containsExactly(Refusal.OUT_OF_RANGE.code(),
                    Refusal.OUT_OF_RANGE.code(), Refusal.OUT_OF_RANGE.code(),
                    Refusal.BAD_REQUEST.code(), Refusal.BAD_REQUEST.code(),
                    Refusal.BAD_REQUEST.code());
            assertThat(rig.tracker.requestedRanges().isEmpty()).isTrue();
            assertThat(rig.tracker.receivedCount()).isZero();
            // The channel is still good.
            backend.send(MessageKind.NEED, 7, need(PAGES - 1, 1, 0));
            assertThat(answer(backend).kind()).isEqualTo(MessageKind.READY);
            assertThat(server.needsRefused()).isEqualTo(6);
            assertThat(lost.get()).isNull();
        }
    }

    @Test
    void aTruncatedFrameDropsTheBackendAndTheMigrationGoesOn() {
        UnixSocket[] pair = UnixSocket.pair("page channel");
        try (PostcopyRig rig = new PostcopyRig(IMAGE); PageRequestServer server =
                server(rig, pair[0]); UnixSocket raw = pair[1]) {
            raw.send(Arrays.copyOf(Frame.encode(MessageKind.NEED, 1, need(3, 1, 0)), 20));
            raw.close();
            await().atMost(Duration.ofSeconds(30)).until(() -> lost.get() != null);
            assertThat(lost.get()).contains("protocol violation").contains("closed after 20 of 28");
            assertThat(server.isLost()).isTrue();
            rig.finish();
            assertThat(rig.installer.pagesNotInstalledOnce()).isZero();
        }
    }

    @Test
    void aMessageABackendMayNotSendDropsIt() {
        UnixSocket[] pair = UnixSocket.pair("page channel");
        try (PostcopyRig rig = new PostcopyRig(IMAGE); PageRequestServer server =
                server(rig, pair[0]); FrameChannel backend = new FrameChannel(pair[1], "b")) {
            backend.send(MessageKind.READY, 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> lost.get() != null);
            assertThat(lost.get()).contains("READY on the page channel");
            assertThat(backend.receive()).as("the VMM shut its end").isEmpty();
        }
    }

    @Test
    void aBackendThatDiesWithANeedInServiceIsDroppedAndThePageStillArrivesOnce()
            throws Exception {
        UnixSocket[] pair = UnixSocket.pair("page channel");
        try (GatedPageSource held = new GatedPageSource(MemoryPageSource.copyOf(IMAGE), 30);
                PostcopyRig rig = new PostcopyRig(held); PageRequestServer server =
                        server(rig, pair[0])) {
            try (FrameChannel backend = new FrameChannel(pair[1], "b")) {
                backend.send(MessageKind.NEED, 1, need(30, 1, 0));
                assertThat(held.awaitHeld(30_000)).isTrue();
            } // the backend dies with its NEED in service
            await().atMost(Duration.ofSeconds(30)).until(() -> lost.get() != null);
            assertThat(lost.get()).contains("closed its page channel")
                    .contains("dropping its 1 page requests in service");
            held.open();
            await().atMost(Duration.ofSeconds(30)).until(() -> server.needsDropped() == 1);
            rig.finish();
            assertThat(rig.installer.installs(30)).isEqualTo(1);
            assertThat(rig.installer.pagesNotInstalledOnce()).isZero();
        }
    }
}
