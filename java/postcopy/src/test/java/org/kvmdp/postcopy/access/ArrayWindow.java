// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.access;

/**
 * A real window for host tests: the "mapping" is the array a
 * {@link org.kvmdp.postcopy.BufferInstaller} installs pages into, placed at {@code gpa}.
 */
final class ArrayWindow implements MemoryWindow {
    private final byte[] memory;
    private final long gpa;

    ArrayWindow(byte[] memory, long gpa) {
        this.memory = memory;
        this.gpa = gpa;
    }

    @Override
    public long gpa() {
        return gpa;
    }

    @Override
    public long size() {
        return memory.length;
    }

    @Override
    public byte[] read(long offset, int length) {
        byte[] bytes = new byte[length];
        System.arraycopy(memory, Math.toIntExact(offset), bytes, 0, length);
        return bytes;
    }

    @Override
    public void write(long offset, byte[] bytes) {
        System.arraycopy(bytes, 0, memory, Math.toIntExact(offset), bytes.length);
    }
}
