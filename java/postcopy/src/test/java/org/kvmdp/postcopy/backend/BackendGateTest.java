// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvmdp.memory.Backing;
import org.kvmdp.memory.GuestMemory;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.nativeio.UnixSocket;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.TestImages;

/**
 * The backend's gate over a real page channel and real shared memory, with a fake VMM on
 * the other end: what the backend reads is what the VMM installed, pages that arrived cost
 * no round trip, and a VMM that refuses, lies or dies never leaves the backend waiting.
 */
@Timeout(60)
class BackendGateTest {
    private static final long GPA = 1L << 32;
    private static final int PAGES = 64;
    private static final byte[] IMAGE = TestImages.random(PAGES, 3);

    private final GuestMemory guest = GuestMemory.allocate(Backing.SHMEM, Pages.offset(PAGES));
    private SharedPageState shared;
    private final UnixSocket[] pair = UnixSocket.pair("page channel");
    private final FrameChannel vmmEnd = new FrameChannel(pair[0], "page channel to the backend");
    private final List<long[]> needs = new CopyOnWriteArrayList<>();
    private MappedGuestMemory backendMemory;
    private PageStateView view;
    private PageRequestClient client;

    /** Maps what a SETUP would pass, through the VMM's fds as the backend would get them. */
    private BackendGate backendGate(int pagesPerUnit) {
        shared = SharedPageState.create(PAGES, pagesPerUnit);
        BackendSetup setup = new BackendSetup(pagesPerUnit, GPA, guest.size(), PAGES, 8,
                shared.bytes());
        try (OwnedFd ro = shared.openReadOnly()) {
            // Not closed here: the GuestMemory owns the memfd (the mapping needs no fd).
            backendMemory = MappedGuestMemory.map(new OwnedFd(guest.memfd(), "guest memfd"),
                    GPA, guest.size());
            view = PageStateView.map(ro, setup);
        }
        client = PageRequestClient.start(new FrameChannel(pair[1], "page channel to the VMM"));
        return new BackendGate(backendMemory, view, client, pagesPerUnit, () -> { });
    }

    /** A fake VMM: installs each NEED's pages (from the image) and answers as told. */
    private void serveNeeds(IntPredicate answerReady) {
        Thread t = new Thread(() -> {
            while (true) {
                Frame f = vmmEnd.receive().orElse(null);
                if (f == null) {
                    return;
                }
                ByteBuffer b = f.bodyBuffer();
                long first = b.getLong();
                int count = b.getInt();
                needs.add(new long[] {first, count});
                if (!answerReady.test(needs.size())) {
                    vmmEnd.send(MessageKind.REFUSED, f.tag(), ByteBuffer.allocate(8)
                            .order(ByteOrder.LITTLE_ENDIAN).putInt(Refusal.OUT_OF_RANGE.code())
                            .put("nope".getBytes()).array());
                    continue;
                }
                install(first, count);
                vmmEnd.send(MessageKind.READY, f.tag());
            }
        }, "fake-vmm");
        t.setDaemon(true);
        t.start();
    }

    private void install(long first, int count) {
        for (long p = first; p < first + count; p++) {
            guest.write(Pages.offset(p), Arrays.copyOfRange(IMAGE, (int) Pages.offset(p),
                    (int) Pages.offset(p + 1)));
        }
        shared.publish(first, count);
    }

    @AfterEach
    void cleanUp() {
        if (client != null) {
            client.close();
        }
        vmmEnd.close();
        if (view != null) {
            view.close();
        }
        if (backendMemory != null) {
            backendMemory.close();
        }
        if (shared != null) {
            shared.close();
        }
        guest.close();
    }

    @Test
    void aReadOfAMissingPageAsksTheVmmOnceAndSeesWhatItInstalled() {
        BackendGate gate = backendGate(1);
        serveNeeds(n -> true);
        byte[] read = gate.read(GPA + Pages.offset(5) + 100, 64);

        assertThat(read).isEqualTo(Arrays.copyOfRange(IMAGE, 5 * 4096 + 100, 5 * 4096 + 164));
        assertThat(needs).hasSize(1).allSatisfy(n -> assertThat(n).containsExactly(5, 1));
        assertThat(gate.read(GPA + Pages.offset(5), 8)).hasSize(8);
        assertThat(needs).as("an arrived page costs no round trip").hasSize(1);
        assertThat(client.needs()).isEqualTo(1);
    }

    @Test
    void arrivedPagesAreReadWithoutAskingAndARangeAsksOnlyForItsOwnPages() {
        BackendGate gate = backendGate(1);
        install(10, 1);
        serveNeeds(n -> true);
        assertThat(gate.read(GPA + Pages.offset(10), Pages.SIZE))
                .isEqualTo(Arrays.copyOfRange(IMAGE, 10 * 4096, 11 * 4096));
        assertThat(needs).isEmpty();
        gate.read(GPA + Pages.offset(10) + 4000, 2 * Pages.SIZE);
        assertThat(needs).hasSize(1).allSatisfy(n -> assertThat(n).containsExactly(10, 3));
    }

    @Test
    void aWriteToAMissingPageWaitsForItsArrivalFirst() {
        BackendGate gate = backendGate(1);
        serveNeeds(n -> true);
        gate.writeInt(GPA + Pages.offset(7) + 24, 0x5eed);
        byte[] expected = Arrays.copyOfRange(IMAGE, 7 * 4096, 8 * 4096);
        ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN).putInt(24, 0x5eed);
        assertThat(guest.read(Pages.offset(7), Pages.SIZE)).isEqualTo(expected);
    }

    @Test
    void aHugePageUnitIsCheckedWholeAfterTheVmmSaysReady() {
        BackendGate gate = backendGate(16);
        // The VMM installs the whole unit, as its own gate widens the request to it.
        Thread t = new Thread(() -> {
            Frame f = vmmEnd.receive().orElseThrow();
            needs.add(new long[] {f.bodyBuffer().getLong(), 0});
            install(16, 16);
            vmmEnd.send(MessageKind.READY, f.tag());
        });
        t.setDaemon(true);
        t.start();
        assertThat(gate.read(GPA + Pages.offset(20), 8)).isEqualTo(Arrays.copyOfRange(IMAGE,
                20 * 4096, 20 * 4096 + 8));
        assertThat(needs).hasSize(1);
    }

    @Test
    void aRefusalComesBackAsAnErrorAndNothingIsTouched() {
        BackendGate gate = backendGate(1);
        serveNeeds(n -> false);
        assertThatThrownBy(() -> gate.read(GPA + Pages.offset(3), 8))
                .isInstanceOfSatisfying(PagesRefusedException.class,
                        e -> assertThat(e.is(Refusal.OUT_OF_RANGE)).isTrue())
                .hasMessageContaining("OUT_OF_RANGE: nope");
        assertThat(view.isArrived(3)).isFalse();
    }

    @Test
    void aReadyWhoseBitsAreNotSetIsAProtocolViolationNotZeros() {
        BackendGate gate = backendGate(1);
        Thread t = new Thread(() -> {
            Frame f = vmmEnd.receive().orElseThrow();
            vmmEnd.send(MessageKind.READY, f.tag()); // a lie: nothing installed
        });
        t.setDaemon(true);
        t.start();
        assertThatThrownBy(() -> gate.read(GPA, 8)).isInstanceOf(BackendProtocolException.class)
                .hasMessageContaining("page state does not show");
    }

    @Test
    void aVmmThatDiesWhileTheBackendWaitsFailsTheWaitAndEveryLaterOne() throws Exception {
        BackendGate gate = backendGate(1);
        CompletableFuture<byte[]> waiting = CompletableFuture.supplyAsync(() ->
                gate.read(GPA + Pages.offset(9), 8));
        // The NEED is in: the backend waits for an answer that will not come.
        Frame need = vmmEnd.receive().orElseThrow();
        assertThat(need.kind()).isEqualTo(MessageKind.NEED);
        vmmEnd.close(); // what the VMM's death does to its end

        assertThatThrownBy(() -> waiting.get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerGoneException.class)
                .hasMessageContaining("the VMM closed the page channel");
        assertThatThrownBy(() -> gate.read(GPA + Pages.offset(11), 8))
                .isInstanceOf(PeerGoneException.class);
        await().atMost(Duration.ofSeconds(30)).until(() -> client.ended().isPresent());
    }

    @Test
    void anAnswerForNoRequestEndsTheChannel() {
        BackendGate gate = backendGate(1);
        vmmEnd.send(MessageKind.READY, 4242);
        await().atMost(Duration.ofSeconds(30)).until(() -> client.ended().isPresent());
        assertThat(client.ended().get()).isInstanceOf(BackendProtocolException.class)
                .hasMessageContaining("tag 4242");
        assertThatThrownBy(() -> gate.read(GPA, 8)).isInstanceOf(BackendProtocolException.class);
    }
}
