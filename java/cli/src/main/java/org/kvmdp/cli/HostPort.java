// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.net.InetSocketAddress;

/** HOST:PORT as given on the command line ({@code [::1]:4444} for IPv6 literals). */
public record HostPort(String host, int port) {
    public static HostPort parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (e.g. 127.0.0.1:4444)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("'" + text + "': write IPv6 addresses as [ADDR]:PORT");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': port is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("'" + text + "': port " + port + " outside 0..65535");
        }
        return new HostPort(host, port);
    }

    /** Resolves the host (may block on DNS; loopback and literals do not). */
    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
