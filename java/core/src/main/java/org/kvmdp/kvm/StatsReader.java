// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import static org.kvmdp.kvm.KvmStructs.Stats.DATA_OFFSET;
import static org.kvmdp.kvm.KvmStructs.Stats.DESC_BUCKET_SIZE;
import static org.kvmdp.kvm.KvmStructs.Stats.DESC_EXPONENT;
import static org.kvmdp.kvm.KvmStructs.Stats.DESC_FLAGS;
import static org.kvmdp.kvm.KvmStructs.Stats.DESC_NAME;
import static org.kvmdp.kvm.KvmStructs.Stats.DESC_OFFSET;
import static org.kvmdp.kvm.KvmStructs.Stats.DESC_SIZE;
import static org.kvmdp.kvm.KvmStructs.Stats.DESC_VALUE_COUNT;
import static org.kvmdp.kvm.KvmStructs.Stats.DESC_VALUE_OFFSET;
import static org.kvmdp.kvm.KvmStructs.Stats.HEADER_SIZE;
import static org.kvmdp.kvm.KvmStructs.Stats.ID_OFFSET;
import static org.kvmdp.kvm.KvmStructs.Stats.NAME_SIZE;
import static org.kvmdp.kvm.KvmStructs.Stats.NUM_DESC;

import java.util.LinkedHashMap;
import java.util.Map;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.nativeio.NativeIo;
import org.kvmdp.nativeio.SyscallException;

/**
 * Parses the KVM binary stats file format (Documentation/virt/kvm/api.rst, "KVM_GET_STATS_FD"):
 * header, id string, descriptors (each followed by a name of header.name_size bytes), data.
 * Works on any fd holding that format, which lets host tests feed it a memfd.
 */
public final class StatsReader {
    private StatsReader() {}

    /** Reads one snapshot from {@code fd} with pread (the fd's offset is untouched). */
    public static KvmStats read(int fd) {
        try (NativeBuffer header = preadFully(fd, 0, HEADER_SIZE)) {
            int nameSize = header.getInt(NAME_SIZE);
            int count = header.getInt(NUM_DESC);
            long idOffset = header.getInt(ID_OFFSET) & 0xffffffffL;
            long descOffset = header.getInt(DESC_OFFSET) & 0xffffffffL;
            long dataOffset = header.getInt(DATA_OFFSET) & 0xffffffffL;
            if (nameSize <= 0 || count < 0) {
                throw new IllegalStateException("garbled stats header: name_size " + nameSize
                        + ", num_desc " + count);
            }
            String id;
            try (NativeBuffer idBuffer = preadFully(fd, idOffset, nameSize)) {
                id = idBuffer.getCString(0, nameSize);
            }
            long stride = (long) DESC_SIZE + nameSize;
            Map<String, KvmStats.Stat> stats = new LinkedHashMap<>();
            if (count == 0) {
                return new KvmStats(id, stats);
            }
            try (NativeBuffer descs = preadFully(fd, descOffset, stride * count)) {
                long dataEnd = 0;
                for (int i = 0; i < count; i++) {
                    long at = stride * i;
                    long end = (descs.getInt(at + DESC_VALUE_OFFSET) & 0xffffffffL)
                            + 8L * (descs.getShort(at + DESC_VALUE_COUNT) & 0xffff);
                    dataEnd = Math.max(dataEnd, end);
                }
                try (NativeBuffer data = preadFully(fd, dataOffset, Math.max(dataEnd, 8))) {
                    for (int i = 0; i < count; i++) {
                        long at = stride * i;
                        String name = descs.getCString(at + DESC_NAME, nameSize);
                        int valueCount = descs.getShort(at + DESC_VALUE_COUNT) & 0xffff;
                        long valueOffset = descs.getInt(at + DESC_VALUE_OFFSET) & 0xffffffffL;
                        long[] values = new long[valueCount];
                        for (int v = 0; v < valueCount; v++) {
                            values[v] = data.getLong(valueOffset + 8L * v);
                        }
                        stats.put(name, new KvmStats.Stat(name, descs.getInt(at + DESC_FLAGS),
                                descs.getShort(at + DESC_EXPONENT),
                                descs.getInt(at + DESC_BUCKET_SIZE), values));
                    }
                }
            }
            return new KvmStats(id, stats);
        }
    }

    private static NativeBuffer preadFully(int fd, long offset, long length) {
        NativeBuffer buffer = new NativeBuffer(length);
        long done = 0;
        while (done < length) {
            long rc = NativeIo.pread(fd, buffer.address() + done, length - done, offset + done);
            if (rc <= 0) {
                buffer.close();
                if (rc == 0) {
                    throw new IllegalStateException("stats fd ended at " + (offset + done)
                            + ", expected " + (offset + length) + " bytes");
                }
                throw new SyscallException("pread(stats fd)", (int) -rc);
            }
            done += rc;
        }
        return buffer;
    }
}
