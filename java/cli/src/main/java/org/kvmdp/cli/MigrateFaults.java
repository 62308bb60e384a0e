// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import org.kvmdp.postcopy.backend.DeviceBackendOptions;
import org.kvmdp.postcopy.migrate.MigrationSource;

/**
 * The seam through which a test launcher (FaultInjectingMain, in this module's test-jar)
 * injects faults into {@code kvmdp migrate}: kvmdp itself ships none and no option for them.
 */
interface MigrateFaults {
    /** No faults: what {@code kvmdp migrate} runs. */
    MigrateFaults NONE = new MigrateFaults() {};

    /** Refuses fault options that do not fit the role or the device backend. */
    default void check(UsageChecks checks, Role role, DeviceBackendOptions.Mode deviceBackend) {}

    /** What the source serves in place of its image. */
    default MigrationSource.ImageWrapper sourceImage() {
        return MigrationSource.ImageWrapper.NONE;
    }

    /** The device-backend process's options, given the plain ones. */
    default DeviceBackendOptions backend(DeviceBackendOptions plain) {
        return plain;
    }

    /** The main class a device-backend process runs: one that accepts the backend's faults. */
    default String backendMainClass() {
        return Main.class.getName();
    }
}
