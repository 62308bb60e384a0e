// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import java.time.Duration;
import java.util.Objects;

/**
 * Timeouts of a {@link TcpPageSource}: nothing it does blocks without one.
 *
 * @param connectTimeout to connect and complete the handshake
 * @param requestTimeout an outstanding request with no answer for this long fails the
 *     connection (the server hangs or the network dropped)
 */
public record TcpOptions(Duration connectTimeout, Duration requestTimeout) {
    public TcpOptions {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (connectTimeout.toMillis() <= 0 || requestTimeout.toMillis() <= 0) {
            throw new IllegalArgumentException("timeouts must be >= 1 ms: connect "
                    + connectTimeout + ", request " + requestTimeout);
        }
    }

    public static TcpOptions defaults() {
        return new TcpOptions(Duration.ofSeconds(5), Duration.ofSeconds(30));
    }

    public TcpOptions withRequestTimeout(Duration timeout) {
        return new TcpOptions(connectTimeout, timeout);
    }

    /** How often the reader wakes to look for overdue requests. */
    int tickMillis() {
        return (int) Math.max(1, Math.min(1000, requestTimeout.toMillis() / 4));
    }
}
