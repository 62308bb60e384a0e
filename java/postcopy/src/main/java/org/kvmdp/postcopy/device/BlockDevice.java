// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.device;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.kvmdp.guest.GuestAbi;
import org.kvmdp.postcopy.access.GuestMemoryAccess;

/**
 * A small emulated block device, the demo of the VMM's own accesses to guest memory: the
 * guest lays a {@link BlockRequest} descriptor in its memory and writes the descriptor's
 * doorbell value ({@link BlockRequest#doorbellOf}) to IO port
 * {@value GuestAbi#PORT_BLOCK_NOTIFY}; on that exit the vCPU thread calls {@link #notify},
 * which reads the descriptor, moves the data between the guest's buffer and the
 * {@link RamDisk} (a WRITE reads guest memory, a READ writes it) and writes the status word
 * back. Every one of those accesses goes through the {@link GuestMemoryAccess} it was given:
 * during post-copy a {@link org.kvmdp.postcopy.access.VmmAccessGate}, so the descriptor and
 * the buffers are fetched first when they have not arrived yet.
 */
public final class BlockDevice implements BlockDoorbell {
    /** The largest request: 64 KiB. */
    public static final int MAX_REQUEST_BYTES = 64 << 10;

    private final GuestMemoryAccess memory;
    private final RamDisk disk;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();

    public BlockDevice(GuestMemoryAccess memory, RamDisk disk) {
        this.memory = Objects.requireNonNull(memory, "memory");
        this.disk = Objects.requireNonNull(disk, "disk");
    }

    /**
     * The guest rang the doorbell with {@code doorbell}: serves that request and returns the
     * status written into its descriptor ({@link GuestAbi#BLOCK_STATUS_OK} or
     * {@link GuestAbi#BLOCK_STATUS_BAD_REQUEST}). A descriptor outside guest memory cannot
     * be answered: {@link IndexOutOfBoundsException}. A failed migration's
     * {@link org.kvmdp.postcopy.MigrationFailedException} passes through.
     */
    @Override
    public int notify(int doorbell) {
        long gpa = BlockRequest.gpaOf(doorbell);
        BlockRequest request = BlockRequest.decode(gpa, memory.read(gpa,
                GuestAbi.BLOCK_DESC_SIZE));
        requests.incrementAndGet();
        int status = serve(request);
        if (status != GuestAbi.BLOCK_STATUS_OK) {
            rejected.incrementAndGet();
        }
        memory.writeInt(gpa + GuestAbi.BLOCK_DESC_STATUS, status);
        return status;
    }

    private int serve(BlockRequest r) {
        if (r.length() <= 0 || r.length() > MAX_REQUEST_BYTES
                || !disk.holds(r.sector(), r.length())) {
            return GuestAbi.BLOCK_STATUS_BAD_REQUEST;
        }
        try {
            switch (r.op()) {
                case GuestAbi.BLOCK_OP_WRITE:
                    disk.write(r.sector(), memory.read(r.bufferGpa(), r.length()));
                    return GuestAbi.BLOCK_STATUS_OK;
                case GuestAbi.BLOCK_OP_READ:
                    memory.write(r.bufferGpa(), disk.read(r.sector(), r.length()));
                    return GuestAbi.BLOCK_STATUS_OK;
                default:
                    return GuestAbi.BLOCK_STATUS_BAD_REQUEST;
            }
        } catch (IndexOutOfBoundsException e) {
            return GuestAbi.BLOCK_STATUS_BAD_REQUEST; // the buffer is outside guest memory
        }
    }

    /** Doorbells served so far. */
    @Override
    public long requests() {
        return requests.get();
    }

    /** Of those, answered {@link GuestAbi#BLOCK_STATUS_BAD_REQUEST}. */
    @Override
    public long rejected() {
        return rejected.get();
    }
}
