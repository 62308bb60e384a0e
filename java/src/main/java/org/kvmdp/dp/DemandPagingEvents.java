// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.dp;

import static org.kvmdp.dp.DemandPagingUapi.EVENT_FLAGS;
import static org.kvmdp.dp.DemandPagingUapi.EVENT_GPA;
import static org.kvmdp.dp.DemandPagingUapi.EVENT_SIZE;

import org.kvmdp.nativeio.NativeBuffer;

/**
 * A reusable buffer of struct kvm_demand_paging_event that {@link NotificationFd#read} fills:
 * reading events allocates nothing. Not thread-safe; free it with {@link #close}.
 */
public final class DemandPagingEvents implements AutoCloseable {
    /** KVM returns at most this many events per read(). */
    public static final int MAX_PER_READ = 64;

    private final NativeBuffer buffer;
    private final int capacity;
    private int count;

    /** A buffer for up to {@code capacity} (1..{@value #MAX_PER_READ}) events per read. */
    public DemandPagingEvents(int capacity) {
        if (capacity < 1 || capacity > MAX_PER_READ) {
            throw new IllegalArgumentException("capacity must be in [1, " + MAX_PER_READ
                    + "], got " + capacity);
        }
        this.capacity = capacity;
        this.buffer = new NativeBuffer((long) EVENT_SIZE * capacity);
    }

    /** A buffer for {@value #MAX_PER_READ} events. */
    public DemandPagingEvents() {
        this(MAX_PER_READ);
    }

    public int capacity() {
        return capacity;
    }

    /** Events filled by the last read. */
    public int count() {
        return count;
    }

    /** The page-aligned guest physical address of event {@code i}. */
    public long gpa(int i) {
        return buffer.getLong((long) EVENT_SIZE * checkIndex(i) + EVENT_GPA);
    }

    /** The flags of event {@code i} (0 today). */
    public long flags(int i) {
        return buffer.getLong((long) EVENT_SIZE * checkIndex(i) + EVENT_FLAGS);
    }

    long address() {
        return buffer.address();
    }

    long byteCapacity() {
        return (long) EVENT_SIZE * capacity;
    }

    void setCount(int count) {
        this.count = count;
    }

    @Override
    public void close() {
        buffer.close();
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("event " + i + " of " + count);
        }
        return i;
    }
}
