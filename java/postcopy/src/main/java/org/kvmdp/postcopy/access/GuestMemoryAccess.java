// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.access;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * How the VMM itself reads and writes guest memory: device emulation (descriptors, buffers,
 * status words), the migration stream, checksums. Addresses are guest physical; a range may
 * span pages. Guest memory is little-endian, as x86 is.
 *
 * <p>During a post-copy migration use a {@link VmmAccessGate}, which makes sure every page of
 * the range has arrived before it is touched; {@link DirectAccess} is only right once every
 * page is present.
 */
public interface GuestMemoryAccess {
    /** The {@code length} bytes at {@code gpa}. */
    byte[] read(long gpa, int length);

    /** Writes {@code bytes} at {@code gpa}. */
    void write(long gpa, byte[] bytes);

    /** The little-endian 32-bit word at {@code gpa}. */
    default int readInt(long gpa) {
        return ByteBuffer.wrap(read(gpa, Integer.BYTES)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    /** Writes {@code value} little-endian at {@code gpa}. */
    default void writeInt(long gpa, int value) {
        write(gpa, ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(value).array());
    }

    /** The little-endian 64-bit word at {@code gpa}. */
    default long readLong(long gpa) {
        return ByteBuffer.wrap(read(gpa, Long.BYTES)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }
}
