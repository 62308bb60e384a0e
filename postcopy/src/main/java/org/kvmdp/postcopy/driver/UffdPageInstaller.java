// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import org.kvmdp.postcopy.PageInstaller;

/** What {@link UffdFaultPath} needs of the userfaultfd installers (COPY and CONTINUE). */
interface UffdPageInstaller extends PageInstaller, AutoCloseable {
    /** Pages installed other than exactly once (0 after a correct migration). */
    long pagesNotInstalledExactlyOnce();

    /** Frees what a failed migration left staged; does not throw. */
    @Override
    void close();
}
