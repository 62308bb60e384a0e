// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A real installer for host tests: destination memory is a plain array instead of a guest
 * mapping. Counts installs per page and records each published run.
 */
public final class BufferInstaller implements PageInstaller {
    private final byte[] memory;
    private final AtomicIntegerArray installs;
    private final List<PageRun> published = new CopyOnWriteArrayList<>();

    public BufferInstaller(long imageBytes) {
        this.memory = new byte[Math.toIntExact(imageBytes)];
        this.installs = new AtomicIntegerArray(Math.toIntExact(Pages.count(imageBytes)));
    }

    @Override
    public void install(long page, ByteBuffer bytes) {
        installs.incrementAndGet(Math.toIntExact(page));
        bytes.duplicate().get(memory, (int) Pages.offset(page), Pages.SIZE);
    }

    @Override
    public int publish(PageRun run) {
        published.add(run);
        return 0;
    }

    @Override
    public void readBack(long page, ByteBuffer into) {
        into.put(into.position(), memory, (int) Pages.offset(page), Pages.SIZE);
    }

    public int installs(long page) {
        return installs.get(Math.toIntExact(page));
    }

    /** Pages not installed exactly once. */
    public long pagesNotInstalledOnce() {
        long bad = 0;
        for (int i = 0; i < installs.length(); i++) {
            if (installs.get(i) != 1) {
                bad++;
            }
        }
        return bad;
    }

    public byte[] memory() {
        return memory;
    }

    public List<PageRun> published() {
        return published;
    }
}
