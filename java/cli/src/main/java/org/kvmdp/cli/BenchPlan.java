// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The order in which bench runs its mechanisms: first {@code warmup} untimed runs of each
 * mechanism (in the given order), then {@code repeats} measured repetitions, repetition r
 * running the mechanisms rotated left by r (A B C, then B C A, then C A B, ...). So no
 * mechanism always runs first, right after the warm-ups, or last, and with a repeat count that
 * is a multiple of the number of mechanisms each takes every place equally often; with two
 * mechanisms the order alternates (A B, B A, A B, ...).
 */
record BenchPlan<M>(List<M> mechanisms, int warmup, int repeats) {
    /** One run: which mechanism, whether it is measured, and its repetition (or warm-up) index. */
    record Step<M>(M mechanism, boolean measured, int repetition) {}

    BenchPlan {
        mechanisms = List.copyOf(mechanisms);
        if (warmup < 0) {
            throw new IllegalArgumentException("warm-up runs must be >= 0, got " + warmup);
        }
        if (repeats < 1) {
            throw new IllegalArgumentException("repetitions must be >= 1, got " + repeats);
        }
    }

    /** The mechanisms of measured repetition {@code r}, in the order they run. */
    List<M> order(int r) {
        Objects.checkIndex(r, repeats);
        int n = mechanisms.size();
        List<M> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(mechanisms.get((i + r) % n));
        }
        return order;
    }

    /** Every run, in the order bench makes them. */
    List<Step<M>> steps() {
        List<Step<M>> steps = new ArrayList<>();
        for (int w = 0; w < warmup; w++) {
            for (M m : mechanisms) {
                steps.add(new Step<>(m, false, w));
            }
        }
        for (int r = 0; r < repeats; r++) {
            for (M m : order(r)) {
                steps.add(new Step<>(m, true, r));
            }
        }
        return steps;
    }

    /** Where {@code m} ran in each measured repetition, 1 for first. */
    List<Integer> positions(M m) {
        List<Integer> at = new ArrayList<>(repeats);
        for (int r = 0; r < repeats; r++) {
            int p = order(r).indexOf(m);
            if (p < 0) {
                throw new IllegalArgumentException(m + " is not in this plan");
            }
            at.add(p + 1);
        }
        return at;
    }

    int measuredRuns() {
        return repeats * mechanisms.size();
    }
}
