// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

import java.lang.reflect.Field;
import java.util.Objects;
import sun.misc.Unsafe;

/**
 * Reads and writes native memory at raw addresses. Built on {@code sun.misc.Unsafe} because
 * struct fields are read one by one at offsets from {@link Uapi}: Unsafe accesses are JIT
 * intrinsics, a JNI peek/poke would cost a crossing per field, and a ByteBuffer per mapping
 * would need a wrapper per address range. Callers guarantee that addresses are valid.
 */
public final class NativeMemory {
    private static final Unsafe UNSAFE = findUnsafe();

    private NativeMemory() {}

    /** Allocates {@code size} zeroed bytes (free with {@link #free}). */
    public static long allocateZeroed(long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("allocation size must be > 0, got " + size);
        }
        long address = UNSAFE.allocateMemory(size);
        UNSAFE.setMemory(address, size, (byte) 0);
        return address;
    }

    public static void free(long address) {
        UNSAFE.freeMemory(address);
    }

    public static byte getByte(long address) {
        return UNSAFE.getByte(address);
    }

    public static void putByte(long address, byte value) {
        UNSAFE.putByte(address, value);
    }

    public static short getShort(long address) {
        return UNSAFE.getShort(address);
    }

    public static void putShort(long address, short value) {
        UNSAFE.putShort(address, value);
    }

    public static int getInt(long address) {
        return UNSAFE.getInt(address);
    }

    public static void putInt(long address, int value) {
        UNSAFE.putInt(address, value);
    }

    public static long getLong(long address) {
        return UNSAFE.getLong(address);
    }

    public static void putLong(long address, long value) {
        UNSAFE.putLong(address, value);
    }

    /** A volatile read, for words another thread or the kernel may change under us. */
    public static long getLongVolatile(long address) {
        return UNSAFE.getLongVolatile(null, address);
    }

    /**
     * Atomically ORs {@code bits} into the word at {@code address} (8-byte aligned) and
     * returns the old word: a full fence, so what was written before is visible to whoever
     * sees the bits, in this process or another one mapping the same memory.
     */
    public static long getAndBitwiseOrLong(long address, long bits) {
        long old;
        do {
            old = UNSAFE.getLongVolatile(null, address);
        } while ((old & bits) != bits && !UNSAFE.compareAndSwapLong(null, address, old, old | bits));
        return old;
    }

    /** A volatile write, for words another process reads while we change them. */
    public static void putLongVolatile(long address, long value) {
        UNSAFE.putLongVolatile(null, address, value);
    }

    public static void setMemory(long address, long length, byte value) {
        UNSAFE.setMemory(address, length, value);
    }

    public static void copy(long source, long destination, long length) {
        UNSAFE.copyMemory(source, destination, length);
    }

    /** Copies {@code length} bytes at {@code address} into a new array. */
    public static byte[] toArray(long address, int length) {
        byte[] bytes = new byte[length];
        UNSAFE.copyMemory(null, address, bytes, Unsafe.ARRAY_BYTE_BASE_OFFSET, length);
        return bytes;
    }

    /** Copies all of {@code bytes} to {@code address}. */
    public static void fromArray(byte[] bytes, long address) {
        Objects.requireNonNull(bytes, "bytes");
        UNSAFE.copyMemory(bytes, Unsafe.ARRAY_BYTE_BASE_OFFSET, null, address, bytes.length);
    }

    /**
     * Copies {@code length} bytes of {@code bytes} from {@code offset} to {@code address}: one
     * copy, heap to native, no intermediate buffer.
     */
    public static void fromArray(byte[] bytes, int offset, long address, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        UNSAFE.copyMemory(bytes, Unsafe.ARRAY_BYTE_BASE_OFFSET + offset, null, address, length);
    }

    private static Unsafe findUnsafe() {
        try {
            Field field = Unsafe.class.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            return (Unsafe) field.get(null);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
