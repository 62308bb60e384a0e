// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.kvmdp.nativeio.NativeMemory;

/**
 * A host-test installer with the fast path: destination memory is native, as a guest mapping
 * is, and {@link #installDirect} has the source copy straight into it. Counts direct installs
 * and buffer installs apart, so a test sees which path the engine took.
 */
final class NativeDirectInstaller implements PageInstaller, AutoCloseable {
    private final long memory;
    private final long bytes;
    private final AtomicIntegerArray installs;
    private final AtomicLong bufferInstalls = new AtomicLong();
    private final List<PageRun> direct = new CopyOnWriteArrayList<>();

    NativeDirectInstaller(long imageBytes) {
        this.bytes = imageBytes;
        this.memory = NativeMemory.allocateZeroed(imageBytes);
        this.installs = new AtomicIntegerArray(Math.toIntExact(Pages.count(imageBytes)));
    }

    @Override
    public int installDirect(PageSource source, long first, int count) {
        if (!source.copyToAddress(first, count, memory + Pages.offset(first))) {
            return -1;
        }
        for (int i = 0; i < count; i++) {
            installs.incrementAndGet(Math.toIntExact(first + i));
        }
        direct.add(new PageRun(first, count));
        return 0;
    }

    @Override
    public void install(long page, ByteBuffer bytes) {
        bufferInstalls.incrementAndGet();
        installs.incrementAndGet(Math.toIntExact(page));
        byte[] b = new byte[Pages.SIZE];
        bytes.duplicate().get(b);
        NativeMemory.fromArray(b, memory + Pages.offset(page));
    }

    @Override
    public int publish(PageRun run) {
        return 0;
    }

    @Override
    public void readBack(long page, ByteBuffer into) {
        into.put(NativeMemory.toArray(memory + Pages.offset(page), Pages.SIZE));
    }

    long bufferInstalls() {
        return bufferInstalls.get();
    }

    List<PageRun> direct() {
        return direct;
    }

    long pagesNotInstalledOnce() {
        long bad = 0;
        for (int i = 0; i < installs.length(); i++) {
            if (installs.get(i) != 1) {
                bad++;
            }
        }
        return bad;
    }

    byte[] contents() {
        return NativeMemory.toArray(memory, Math.toIntExact(bytes));
    }

    @Override
    public void close() {
        NativeMemory.free(memory);
    }
}
