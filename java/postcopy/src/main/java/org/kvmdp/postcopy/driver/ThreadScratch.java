// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

import java.util.ArrayList;
import java.util.List;
import org.kvmdp.nativeio.NativeBuffer;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyOptions;
import org.kvmdp.uffd.Userfaultfd;

/**
 * Each installing thread's native scratch for the userfaultfd installers: staging for one run
 * ({@link #STAGING_PAGES} pages) and room for an ioctl struct, made on a thread's first install and reused for every fault
 * after, so resolving a fault allocates nothing. All are freed by {@link #close}.
 */
final class ThreadScratch implements AutoCloseable {
    /** Pages of the longest run one call stages: a sweep batch or a prefetch. */
    static final int STAGING_PAGES = PostcopyOptions.MAX_BATCH_PAGES;

    /** One thread's buffers. */
    record Buffers(NativeBuffer staging, NativeBuffer ioctl) {
        /** The staging area's address (checked: throws once the installer is closed). */
        long page() {
            return staging.address();
        }
    }

    private final List<Buffers> made = new ArrayList<>();
    private final ThreadLocal<Buffers> mine = ThreadLocal.withInitial(this::make);
    private boolean closed;

    Buffers get() {
        return mine.get();
    }

    private synchronized Buffers make() {
        if (closed) {
            throw new IllegalStateException("installer is closed");
        }
        Buffers b = new Buffers(new NativeBuffer((long) STAGING_PAGES * Pages.SIZE),
                new NativeBuffer(Userfaultfd.SCRATCH_BYTES));
        made.add(b);
        return b;
    }

    /** Frees every thread's buffers; a later {@link #get} on a thread that had some is an error. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            for (Buffers b : made) {
                b.staging().close();
                b.ioctl().close();
            }
            made.clear();
        }
    }
}
