// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.time.Duration;

/** A moment of a migration, for progress output. */
public record MigrationProgress(long pagesReceived, long pageCount, long pagesDemandFetched,
        long pagesSwept, long bytesTransferred, Duration elapsed) {
    public double fraction() {
        return pageCount == 0 ? 1 : (double) pagesReceived / pageCount;
    }

    @Override
    public String toString() {
        return String.format("post-copy: %d/%d pages (%.0f%%), %d demand, %d swept, %.1f MiB, %.1f s",
                pagesReceived, pageCount, 100 * fraction(), pagesDemandFetched, pagesSwept,
                bytesTransferred / (double) (1 << 20), elapsed.toMillis() / 1e3);
    }
}
