// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.device;

import org.kvmdp.guest.GuestAbi;
import org.kvmdp.kvm.VcpuExit;

/**
 * The block device as the vCPU threads see it: an OUT to its doorbell port is served
 * before the vCPU resumes, by the device in this process ({@link BlockDevice}) or by a
 * device-backend process ({@link org.kvmdp.postcopy.backend.RemoteBlockDevice}).
 */
public interface BlockDoorbell {
    /**
     * The guest rang the doorbell with {@code doorbell}: serves that request and returns the
     * status written into its descriptor.
     */
    int notify(int doorbell);

    /**
     * The doorbell as a vCPU exit: serves {@code io} and returns true if it is a 32-bit OUT
     * to {@link GuestAbi#PORT_BLOCK_NOTIFY}, else returns false having done nothing.
     */
    default boolean handleExit(VcpuExit.Io io) {
        if (io.port() != GuestAbi.PORT_BLOCK_NOTIFY || io.direction() != VcpuExit.Direction.OUT
                || io.size() != Integer.BYTES || io.count() != 1) {
            return false;
        }
        notify((int) io.value());
        return true;
    }

    /** Doorbells served so far. */
    long requests();

    /** Of those, answered with a status other than OK. */
    long rejected();
}
