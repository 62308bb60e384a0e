// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How a destination learns about missing pages and installs them: the table the CLI offers
 * and the benchmark runs (one row per driver).
 */
public enum Mechanism {
    KVM("kvm", false, "KVM demand paging: memory-fault exits, KVM_MARK_PRESENT"),
    UFFD_MISSING("uffd-missing", false, "userfaultfd MISSING faults, UFFDIO_COPY"),
    UFFD_MINOR("uffd-minor", true, "userfaultfd MINOR faults, UFFDIO_CONTINUE"),
    UFFD_SHARDED("uffd-sharded", false, "userfaultfd MISSING, one uffd and handler thread per"
            + " vCPU's slice of memory, UFFDIO_COPY"),
    NONE("none", false, "no demand paging: memory filled before the guest runs (baseline)");

    private final String label;
    private final boolean needsSharedMemory;
    private final String description;

    Mechanism(String label, boolean needsSharedMemory, String description) {
        this.label = label;
        this.needsSharedMemory = needsSharedMemory;
        this.description = description;
    }

    /** The name on the command line and in results. */
    public String label() {
        return label;
    }

    /** MINOR faults exist only for page-cache-backed memory (shmem, hugetlbfs). */
    public boolean needsSharedMemory() {
        return needsSharedMemory;
    }

    public String description() {
        return description;
    }

    public static Optional<Mechanism> byLabel(String label) {
        return Arrays.stream(values()).filter(m -> m.label.equals(label)).findFirst();
    }

    public static List<String> labels() {
        return Arrays.stream(values()).map(Mechanism::label).collect(Collectors.toList());
    }
}
