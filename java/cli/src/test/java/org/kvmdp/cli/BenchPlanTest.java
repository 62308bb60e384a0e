// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class BenchPlanTest {
    @Test
    void warmUpsComeFirstOncePerMechanismThenRotatedRepetitions() {
        BenchPlan<String> plan = new BenchPlan<>(List.of("a", "b", "c"), 1, 3);
        assertThat(plan.steps()).containsExactly(
                new BenchPlan.Step<>("a", false, 0), new BenchPlan.Step<>("b", false, 0),
                new BenchPlan.Step<>("c", false, 0),
                new BenchPlan.Step<>("a", true, 0), new BenchPlan.Step<>("b", true, 0),
                new BenchPlan.Step<>("c", true, 0),
                new BenchPlan.Step<>("b", true, 1), new BenchPlan.Step<>("c", true, 1),
                new BenchPlan.Step<>("a", true, 1),
                new BenchPlan.Step<>("c", true, 2), new BenchPlan.Step<>("a", true, 2),
                new BenchPlan.Step<>("b", true, 2));
        assertThat(plan.measuredRuns()).isEqualTo(9);
    }

    @Test
    void twoMechanismsAlternate() {
        BenchPlan<String> plan = new BenchPlan<>(List.of("kvm", "uffd"), 0, 4);
        assertThat(List.of(plan.order(0), plan.order(1), plan.order(2), plan.order(3)))
                .containsExactly(List.of("kvm", "uffd"), List.of("uffd", "kvm"),
                        List.of("kvm", "uffd"), List.of("uffd", "kvm"));
        assertThat(plan.positions("kvm")).containsExactly(1, 2, 1, 2);
        assertThat(plan.positions("uffd")).containsExactly(2, 1, 2, 1);
    }

    @Test
    void withAMultipleOfTheMechanismsEachTakesEveryPlaceEquallyOften() {
        List<String> mechanisms = List.of("kvm", "uffd-missing", "uffd-minor", "uffd-sharded", "none");
        BenchPlan<String> plan = new BenchPlan<>(mechanisms, 2, 10);
        for (String m : mechanisms) {
            Map<Integer, Long> places = plan.positions(m).stream()
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(places).as(m).containsOnlyKeys(1, 2, 3, 4, 5).allSatisfy((p, n) -> assertThat(n).isEqualTo(2));
        }
        // Every repetition runs every mechanism once; warm-ups run each twice, measured none.
        for (int r = 0; r < 10; r++) {
            assertThat(plan.order(r)).containsExactlyInAnyOrderElementsOf(mechanisms);
        }
        assertThat(plan.steps().stream().filter(s -> !s.measured())).hasSize(10);
        assertThat(plan.steps().stream().filter(BenchPlan.Step::measured)).hasSize(50);
    }

    @Test
    void oneRepetitionWithoutWarmUpIsTheGivenOrderOnce() {
        BenchPlan<String> plan = new BenchPlan<>(List.of("kvm", "none"), 0, 1);
        assertThat(plan.steps()).containsExactly(new BenchPlan.Step<>("kvm", true, 0),
                new BenchPlan.Step<>("none", true, 0));
    }

    @Test
    void badCountsAndUnknownMechanismsAreRefused() {
        assertThatThrownBy(() -> new BenchPlan<>(List.of("a"), -1, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BenchPlan<>(List.of("a"), 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        BenchPlan<String> plan = new BenchPlan<>(List.of("a"), 0, 2);
        assertThatThrownBy(() -> plan.positions("b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> plan.order(2)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
