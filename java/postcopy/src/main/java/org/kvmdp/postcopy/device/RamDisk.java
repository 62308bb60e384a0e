// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.device;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The demo block device's medium: {@code capacity} sectors of {@link #SECTOR_BYTES}, held
 * sparsely (a sector never written reads as zeros). Requests of different vCPUs may come at
 * once; each sector is replaced whole.
 */
public final class RamDisk {
    public static final int SECTOR_BYTES = 512;

    private final long capacity;
    private final Map<Long, byte[]> sectors = new ConcurrentHashMap<>();

    public RamDisk(long capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be > 0 sectors, got " + capacity);
        }
        this.capacity = capacity;
    }

    /** Sectors on the disk. */
    public long capacity() {
        return capacity;
    }

    /** Whether [sector, sector + bytes / SECTOR_BYTES) is a whole number of sectors on the disk. */
    public boolean holds(long sector, long bytes) {
        return sector >= 0 && bytes > 0 && bytes % SECTOR_BYTES == 0
                && bytes / SECTOR_BYTES <= capacity - sector;
    }

    public byte[] read(long sector, int bytes) {
        check(sector, bytes);
        byte[] data = new byte[bytes];
        for (int i = 0; i < bytes / SECTOR_BYTES; i++) {
            byte[] s = sectors.get(sector + i);
            if (s != null) {
                System.arraycopy(s, 0, data, i * SECTOR_BYTES, SECTOR_BYTES);
            }
        }
        return data;
    }

    public void write(long sector, byte[] data) {
        check(sector, data.length);
        for (int i = 0; i < data.length / SECTOR_BYTES; i++) {
            byte[] s = new byte[SECTOR_BYTES];
            System.arraycopy(data, i * SECTOR_BYTES, s, 0, SECTOR_BYTES);
            sectors.put(sector + i, s);
        }
    }

    private void check(long sector, long bytes) {
        if (!holds(sector, bytes)) {
            throw new IndexOutOfBoundsException(bytes + " bytes at sector " + sector
                    + " are not whole sectors of a disk of " + capacity);
        }
    }
}
