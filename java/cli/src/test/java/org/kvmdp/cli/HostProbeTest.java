// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostProbeTest {
    @Test
    void aKernelWithTheCapabilityGetsNoHint() {
        List<String> lines = List.of("kernel: 6.12.117-kvmdp", "/dev/kvm: present",
                "KVM_CAP_DEMAND_PAGING (system): supported (1)", "KVM_CAP_DEMAND_PAGING (VM): supported (1)");
        assertThat(HostProbe.hint(lines)).isEmpty();
    }

    @Test
    void everyWayOfLackingTheCapabilityGetsTheVmRunnerCommand() {
        List<List<String>> without = List.of(
                List.of("kernel: 6.1.0", "/dev/kvm: present", "KVM_CAP_DEMAND_PAGING (system): not supported"),
                List.of("kernel: 6.1.0", "/dev/kvm: absent"),
                List.of("kernel: 6.1.0", "/dev/kvm: present", "KVM: cannot open /dev/kvm: Permission denied"),
                List.of("kernel: 6.1.0", "/dev/kvm: present", "KVM_CAP_DEMAND_PAGING (system): failed: EINVAL"));
        for (List<String> lines : without) {
            assertThat(HostProbe.hint(lines)).as(lines.toString())
                    .hasValueSatisfying(h -> assertThat(h).contains("selftests/vm/run-in-vm.sh -- scripts/kvmdp info"));
        }
    }
}
