// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostPortTest {
    @Test
    void parsesNamesAddressesAndBracketedIpv6() {
        assertThat(HostPort.parse("127.0.0.1:4444")).isEqualTo(new HostPort("127.0.0.1", 4444));
        assertThat(HostPort.parse("migration.example:80")).isEqualTo(new HostPort("migration.example", 80));
        assertThat(HostPort.parse("[::1]:0")).isEqualTo(new HostPort("::1", 0));
        assertThat(HostPort.parse("[::1]:7").toString()).isEqualTo("[::1]:7");
    }

    @Test
    void rejectsWithTheReason() {
        assertThatThrownBy(() -> HostPort.parse("localhost")).hasMessageContaining("not HOST:PORT");
        assertThatThrownBy(() -> HostPort.parse(":4444")).hasMessageContaining("not HOST:PORT");
        assertThatThrownBy(() -> HostPort.parse("h:port")).hasMessageContaining("port is not a number");
        assertThatThrownBy(() -> HostPort.parse("h:70000")).hasMessageContaining("outside 0..65535");
        assertThatThrownBy(() -> HostPort.parse("::1:80")).hasMessageContaining("[ADDR]:PORT");
    }
}
