// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import org.kvmdp.postcopy.PageInstaller;

/** What {@link UffdFaultPath} needs of the userfaultfd installers (COPY and CONTINUE). */
interface UffdPageInstaller extends PageInstaller, AutoCloseable {
    /** Engine pages per unit the ioctl fills and wakes: 1, or 512 on 2 MiB hugetlb. */
    int pagesPerUnit();

    /** Bytes per such unit: the backing's page size. */
    long unitBytes();

    /** Pages installed other than exactly once (0 after a correct migration). */
    long pagesNotInstalledExactlyOnce();

    /** Frees what a failed migration left staged; does not throw. */
    @Override
    void close();
}
