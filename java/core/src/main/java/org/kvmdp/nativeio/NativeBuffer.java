// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

/**
 * A zeroed, bounds-checked scratch buffer in native memory for building and reading structs
 * passed to syscalls. Not thread-safe; free it with {@link #close}.
 */
public final class NativeBuffer implements AutoCloseable {
    private final long address;
    private final long size;
    private boolean closed;

    public NativeBuffer(long size) {
        this.address = NativeMemory.allocateZeroed(size);
        this.size = size;
    }

    public long address() {
        checkOpen();
        return address;
    }

    public long size() {
        return size;
    }

    /** The address of {@code offset}, checked to leave {@code length} bytes in the buffer. */
    public long at(long offset, long length) {
        checkOpen();
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length
                    + " outside a " + size + "-byte buffer");
        }
        return address + offset;
    }

    public byte getByte(long offset) {
        return NativeMemory.getByte(at(offset, 1));
    }

    public void putByte(long offset, int value) {
        NativeMemory.putByte(at(offset, 1), (byte) value);
    }

    public short getShort(long offset) {
        return NativeMemory.getShort(at(offset, 2));
    }

    public void putShort(long offset, int value) {
        NativeMemory.putShort(at(offset, 2), (short) value);
    }

    public int getInt(long offset) {
        return NativeMemory.getInt(at(offset, 4));
    }

    public void putInt(long offset, int value) {
        NativeMemory.putInt(at(offset, 4), value);
    }

    public long getLong(long offset) {
        return NativeMemory.getLong(at(offset, 8));
    }

    public void putLong(long offset, long value) {
        NativeMemory.putLong(at(offset, 8), value);
    }

    /** The NUL-terminated string of at most {@code maxLength} bytes at {@code offset}. */
    public String getCString(long offset, int maxLength) {
        long start = at(offset, maxLength);
        int length = 0;
        while (length < maxLength && NativeMemory.getByte(start + length) != 0) {
            length++;
        }
        return new String(NativeMemory.toArray(start, length),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            NativeMemory.free(address);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("native buffer already freed");
        }
    }
}
