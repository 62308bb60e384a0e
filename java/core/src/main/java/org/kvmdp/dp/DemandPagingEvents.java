// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.dp;

import static org.kvmdp.dp.DemandPagingUapi.EVENT_FLAGS;
import static org.kvmdp.dp.DemandPagingUapi.EVENT_GPA;
import static org.kvmdp.dp.DemandPagingUapi.EVENT_SIZE;

import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.nativeio.Uapi;

/**
 * A reusable buffer of struct kvm_demand_paging_event that {@link NotificationFd#read} fills:
 * reading events allocates nothing. Not thread-safe; free it with {@link #close}.
 */
public final class DemandPagingEvents implements AutoCloseable {
    /** KVM returns at most this many events per read(). */
    public static final int MAX_PER_READ = 64;
    /** KVM_DEMAND_PAGING_EVENT_WRITE: a waiter may write the page. */
    public static final long FLAG_WRITE = Uapi.get("KVM_DEMAND_PAGING_EVENT_WRITE");
    /** KVM_DEMAND_PAGING_EVENT_VCPU: a waiter is a vCPU thread (serve it first). */
    public static final long FLAG_VCPU = Uapi.get("KVM_DEMAND_PAGING_EVENT_VCPU");

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

    /**
     * The KVM_DEMAND_PAGING_EVENT_* flags of event {@code i}: what KVM knew of the page's waiters
     * when the event was read ({@link #FLAG_WRITE}, {@link #FLAG_VCPU}).
     */
    public long flags(int i) {
        return buffer.getLong((long) EVENT_SIZE * checkIndex(i) + EVENT_FLAGS);
    }

    /** Whether a waiter of event {@code i}'s page may write it. */
    public boolean mayWrite(int i) {
        return (flags(i) & FLAG_WRITE) != 0;
    }

    /** Whether a waiter of event {@code i}'s page is a vCPU thread. */
    public boolean vcpuWaits(int i) {
        return (flags(i) & FLAG_VCPU) != 0;
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
