// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.util.Random;

/** Deterministic images whose pages all differ (so a misplaced page changes its checksum). */
public final class TestImages {
    private TestImages() {}

    public static byte[] random(int pages, long seed) {
        byte[] image = new byte[pages * Pages.SIZE];
        new Random(seed).nextBytes(image);
        for (int p = 0; p < pages; p++) {
            // Stamp the page index too, in case two random pages ever collide.
            int at = p * Pages.SIZE;
            image[at] = (byte) p;
            image[at + 1] = (byte) (p >>> 8);
            image[at + 2] = (byte) (p >>> 16);
        }
        return image;
    }
}
