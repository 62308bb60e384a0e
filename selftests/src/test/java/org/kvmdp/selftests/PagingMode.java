// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.selftests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How KVM translates guest physical addresses in this boot: two-dimensional paging (AMD NPT,
 * Intel EPT) or shadow paging (kvm_amd.npt=0 / kvm_intel.ept=0). run-vm-suite.sh
 * --shadow-paging boots with npt=0 to run the tests that must hold in both.
 */
enum PagingMode {
    TDP, SHADOW;

    /** The mode of the running kernel's KVM module. */
    static PagingMode current() {
        for (String parameter : new String[] {"/sys/module/kvm_amd/parameters/npt",
                "/sys/module/kvm_intel/parameters/ept"}) {
            Path path = Path.of(parameter);
            if (Files.exists(path)) {
                try {
                    return Files.readString(path).trim().startsWith("Y") ? TDP : SHADOW;
                } catch (IOException e) {
                    throw new IllegalStateException("cannot read " + path, e);
                }
            }
        }
        throw new IllegalStateException("neither kvm_amd nor kvm_intel is loaded");
    }

    @Override
    public String toString() {
        return this == TDP ? "TDP (npt/ept=1)" : "shadow paging (npt/ept=0)";
    }
}
