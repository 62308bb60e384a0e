// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.uffd;

import org.kvmdp.nativeio.Uapi;

/** UFFDIO_REGISTER_MODE_*: which faults in a registered range are reported. */
public enum RegisterMode {
    /** Faults on pages with nothing behind them (resolve with copy or zeropage). */
    MISSING("UFFDIO_REGISTER_MODE_MISSING"),
    /** Write-protect faults. */
    WP("UFFDIO_REGISTER_MODE_WP"),
    /** Faults on pages in the page cache but not mapped (shmem/hugetlb; resolve with continue). */
    MINOR("UFFDIO_REGISTER_MODE_MINOR");

    private final long bit;

    RegisterMode(String kernelName) {
        this.bit = Uapi.get(kernelName);
    }

    public long bit() {
        return bit;
    }
}
