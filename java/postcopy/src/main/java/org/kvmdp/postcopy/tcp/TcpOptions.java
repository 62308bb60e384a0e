// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.time.Duration;
import java.util.Objects;

/**
 * Timeouts and the reconnect policy of a {@link TcpPageSource}: nothing it does blocks without
 * a bound.
 *
 * @param connectTimeout to connect and complete the handshake
 * @param requestTimeout an outstanding request with no answer for this long drops the
 *     connection (the server hangs or the network dropped)
 * @param reconnectAttempts how many times a dropped connection is reconnected before the
 *     source counts as lost (0: the first drop fails, as before recovery existed); counted
 *     from the last answer that arrived, so a server that accepts but never answers is given
 *     up too
 * @param reconnectBackoff the wait before the first attempt; it doubles with each further
 *     attempt, up to {@link #MAX_BACKOFF} (or this, if larger)
 */
public record TcpOptions(Duration connectTimeout, Duration requestTimeout, int reconnectAttempts,
        Duration reconnectBackoff) {
    public static final int DEFAULT_RECONNECT_ATTEMPTS = 8;
    public static final Duration DEFAULT_RECONNECT_BACKOFF = Duration.ofMillis(200);
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    public TcpOptions {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(reconnectBackoff, "reconnectBackoff");
        if (connectTimeout.toMillis() <= 0 || requestTimeout.toMillis() <= 0) {
            throw new IllegalArgumentException("timeouts must be >= 1 ms: connect "
                    + connectTimeout + ", request " + requestTimeout);
        }
        if (reconnectAttempts < 0) {
            throw new IllegalArgumentException("reconnect attempts must be >= 0, got "
                    + reconnectAttempts);
        }
        if (reconnectBackoff.isNegative()) {
            throw new IllegalArgumentException("reconnect backoff must be >= 0, got "
                    + reconnectBackoff);
        }
    }

    public static TcpOptions defaults() {
        return new TcpOptions(Duration.ofSeconds(5), Duration.ofSeconds(30),
                DEFAULT_RECONNECT_ATTEMPTS, DEFAULT_RECONNECT_BACKOFF);
    }

    public TcpOptions withRequestTimeout(Duration timeout) {
        return new TcpOptions(connectTimeout, timeout, reconnectAttempts, reconnectBackoff);
    }

    public TcpOptions withReconnect(int attempts, Duration backoff) {
        return new TcpOptions(connectTimeout, requestTimeout, attempts, backoff);
    }

    /** No reconnecting: the first dropped connection fails every request on it. */
    public TcpOptions withoutReconnect() {
        return withReconnect(0, reconnectBackoff);
    }

    /** The wait before reconnect attempt {@code attempt} (1-based). */
    Duration backoff(int attempt) {
        Duration cap = reconnectBackoff.compareTo(MAX_BACKOFF) > 0 ? reconnectBackoff : MAX_BACKOFF;
        Duration d = reconnectBackoff;
        for (int i = 1; i < attempt && d.compareTo(cap) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(cap) > 0 ? cap : d;
    }

    /**
     * The longest a request can stay outstanding before it is answered or failed: its own
     * timeout on every connection it is sent on, plus every backoff and connect in between.
     */
    Duration longestWait() {
        Duration total = requestTimeout;
        for (int attempt = 1; attempt <= reconnectAttempts; attempt++) {
            total = total.plus(backoff(attempt)).plus(connectTimeout.multipliedBy(2))
                    .plus(requestTimeout);
        }
        return total;
    }

    /** How often the reader wakes to look for overdue requests. */
    int tickMillis() {
        return (int) Math.max(1, Math.min(1000, requestTimeout.toMillis() / 4));
    }
}
