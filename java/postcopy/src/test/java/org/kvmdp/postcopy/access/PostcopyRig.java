// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.access;

import java.time.Duration;
import org.kvmdp.postcopy.BufferInstaller;
import org.kvmdp.postcopy.MemoryPageSource;
import org.kvmdp.postcopy.PageSource;
import org.kvmdp.postcopy.PageTracker;
import org.kvmdp.postcopy.Pages;
import org.kvmdp.postcopy.PostcopyDestination;
import org.kvmdp.postcopy.PostcopyOptions;

/**
 * A destination in mid post-copy for host tests: the engine over {@code source}, pages
 * installed into a plain array (the VMM's "mapping" of guest memory at {@link #GPA}), the
 * sweep not started, so every page is missing until someone asks for it. Checked on arrival,
 * as kvmdp migrate does, since the VMM writes guest memory.
 */
public final class PostcopyRig implements AutoCloseable {
    /** Where the tests' guest memory sits, as kvmdp migrate's does. */
    public static final long GPA = 1L << 32;

    public final PageTracker tracker;
    public final BufferInstaller installer;
    public final PostcopyDestination destination;
    public final MemoryWindow window;
    private final PageSource source;

    public PostcopyRig(byte[] image) {
        this(MemoryPageSource.copyOf(image));
    }

    public PostcopyRig(PageSource source) {
        this.source = source;
        this.tracker = new PageTracker(Pages.count(source.imageBytes()));
        this.installer = new BufferInstaller(source.imageBytes());
        this.destination = new PostcopyDestination(source, tracker, installer,
                PostcopyOptions.defaults().withChecksumOnInstall(true), null);
        this.window = new ArrayWindow(installer.memory(), GPA);
    }

    /** A gate over this destination for 4 KiB arrival units. */
    public VmmAccessGate gate() {
        return new VmmAccessGate(destination, tracker, window, 1, "vmm");
    }

    public static long gpa(long page, int offset) {
        return GPA + Pages.offset(page) + offset;
    }

    /** Runs the sweep to the end; every page checked against the source as it arrived. */
    public void finish() {
        destination.start();
        destination.awaitCompletion(Duration.ofSeconds(30));
    }

    @Override
    public void close() {
        destination.close();
        source.close();
    }
}
