// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import java.util.List;
import org.kvmdp.postcopy.Mechanism;

/** What --mechanism selected: one mechanism, or "all" of them. */
record MechanismChoice(List<Mechanism> mechanisms, boolean allSelected) {
    static final String ALL_LABEL = "all";

    static MechanismChoice of(Mechanism m) {
        return new MechanismChoice(List.of(m), false);
    }

    static MechanismChoice all() {
        return new MechanismChoice(List.of(Mechanism.values()), true);
    }

    /** The one mechanism; only valid when not {@link #allSelected}. */
    Mechanism single() {
        return mechanisms.get(0);
    }

    @Override
    public String toString() {
        return allSelected ? ALL_LABEL : single().label();
    }
}
