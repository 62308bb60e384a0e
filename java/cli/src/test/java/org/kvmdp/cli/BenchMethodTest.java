// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kvmdp.bench.Wire;

class BenchMethodTest {
    @Test
    void onlyHeapJitAndGcFlagsAreKept() {
        assertThat(BenchMethod.jitAndGcFlags(List.of("-Xmx1g", "-Dkvmdp.testClasspath=/a:/b",
                "-XX:TieredStopAtLevel=1", "-javaagent:x.jar", "-XX:+UseSerialGC", "-ea", "-Xss2m")))
                .containsExactly("-Xmx1g", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss2m");
    }

    @Test
    void theMethodOfThisJvmIsReadFromTheJvmItself() {
        BenchPlan<String> plan = new BenchPlan<>(List.of("kvm", "uffd-missing"), 1, 2);
        BenchMethod m = BenchMethod.of(Engine.MINIMAL, plan, s -> s + "+x", Wire.preset("25g").orElseThrow());
        assertThat(m.engine()).isEqualTo("minimal");
        assertThat(m.runOrder()).containsExactly(List.of("kvm+x", "uffd-missing+x"),
                List.of("uffd-missing+x", "kvm+x"));
        assertThat(m.runOrderText()).isEqualTo("kvm+x uffd-missing+x | uffd-missing+x kvm+x");
        assertThat(m.jvmFlags()).isEqualTo(BenchMethod.jitAndGcFlags(
                ManagementFactory.getRuntimeMXBean().getInputArguments()));
        assertThat(m.jvm()).contains(System.getProperty("java.vm.version"));
        assertThat(m.collectors()).isNotEmpty();
        assertThat(m.describe()).hasSize(3).allSatisfy(l -> assertThat(l).startsWith("# "));
        assertThat(m.describe().get(0)).contains("engine minimal", "1 warm-up run(s)",
                "2 measured repetition(s)", "wire 25g: 25 Gb/s, 30.0 us per request");
    }
}
