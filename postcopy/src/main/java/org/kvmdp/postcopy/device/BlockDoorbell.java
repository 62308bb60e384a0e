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
     * Serves {@code io} and returns true if it is a 32-bit OUT to
     * {@link GuestAbi#PORT_BLOCK_NOTIFY}, else returns false having done
     * nothing.
     */
    boolean handleExit(VcpuExit.Io io);

    /** Whether {@code io} is a ring of the doorbell: one 32-bit OUT to its port. */
    static boolean isDoorbell(VcpuExit.Io io) {
        return io.port() == GuestAbi.PORT_BLOCK_NOTIFY && io.direction() == VcpuExit.Direction.OUT
                && io.size() == Integer.BYTES && io.count() == 1;
    }

    /** Doorbells served so far. */
    long requests();

    /** Of those, answered with a status other than OK. */
    long rejected();
}
