// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kvmdp.postcopy.tcp.TcpEndToEndTest.LOOPBACK;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.PageRun;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.TestImages;

/**
 * The source's end of a migration: the destination's GOODBYE, not a hang-up, which may be a
 * dropped connection that comes back.
 */
@Timeout(60)
class MigrationEndTest {
    private static final byte[] IMAGE = TestImages.random(16, 8);
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void closingTheDestinationSaysGoodbyeAndEndsTheMigration() throws Exception {
        try (PageSource image = MemoryPageSource.copyOf(IMAGE);
                PageServer server = PageServer.start(image, LOOPBACK)) {
            try (TcpPageSource source = TcpPageSource.connect(server.address(),
                    TcpOptions.defaults())) {
                assertThat(source.deviceState()).isEmpty();
            }
            assertThat(server.awaitMigrationEnd(LONG, LONG)).isEqualTo(PageServer.End.GOODBYE);
        }
    }

    @Test
    void aHangUpWithoutGoodbyeKeepsServingTheSameSessionToANewConnection() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        try (PageSource image = MemoryPageSource.copyOf(IMAGE);
                PageServer server = PageServer.start(image, new byte[0], LOOPBACK, events::add)) {
            long session;
            try (ClientChannel first = ClientChannel.open(server.address(), Wire.CHANNEL_DEMAND,
                    TcpOptions.defaults(), new AtomicLong())) {
                session = first.session();
                // Closed without GOODBYE: what a dropped connection looks like to the server.
            }
            org.awaitility.Awaitility.await().atMost(LONG).until(() -> events.stream()
                    .anyMatch(e -> e.startsWith("lost the destination's demand channel")));
            assertThat(server.awaitMigrationEnd(Duration.ofMillis(1), LONG))
                    .as("not over: the destination may come back").isEqualTo(PageServer.End.TIMED_OUT);
            try (ClientChannel again = ClientChannel.open(server.address(), Wire.CHANNEL_DEMAND,
                    TcpOptions.defaults(), new AtomicLong())) {
                assertThat(again.session()).as("the same migration").isEqualTo(session);
                ByteBuffer page = ByteBuffer.allocate(Pages.SIZE);
                assertThat(again.requestPages(PageRun.of(3), true, page))
                        .succeedsWithin(Duration.ofSeconds(10));
                assertThat(page.array()).isEqualTo(java.util.Arrays.copyOfRange(IMAGE,
                        3 * Pages.SIZE, 4 * Pages.SIZE));
                again.sayGoodbye();
                assertThat(server.awaitMigrationEnd(LONG, LONG)).isEqualTo(PageServer.End.GOODBYE);
            }
            assertThat(events).anySatisfy(e -> assertThat(e)
                    .startsWith("destination reconnected its demand channel"));
        }
    }

    @Test
    void aDestinationThatNeverComesBackIsGivenUpAfterTheReconnectWait() throws Exception {
        try (PageSource image = MemoryPageSource.copyOf(IMAGE);
                PageServer server = PageServer.start(image, LOOPBACK)) {
            ClientChannel.open(server.address(), Wire.CHANNEL_DEMAND, TcpOptions.defaults(),
                    new AtomicLong()).close();
            assertThat(server.awaitMigrationEnd(LONG, Duration.ofMillis(50)))
                    .isEqualTo(PageServer.End.ABANDONED);
        }
    }
}
