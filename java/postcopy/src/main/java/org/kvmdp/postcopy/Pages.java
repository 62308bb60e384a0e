// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

/** The post-copy page: 4 KiB, the unit KVM demand paging tracks and the unit we transfer. */
public final class Pages {
    public static final int SIZE = 4096;

    private Pages() {}

    /** Pages in an image of {@code imageBytes}, which must be a positive multiple of 4 KiB. */
    public static long count(long imageBytes) {
        if (imageBytes <= 0 || imageBytes % SIZE != 0) {
            throw new IllegalArgumentException("image size " + imageBytes
                    + " is not a positive multiple of the " + SIZE + "-byte page");
        }
        return imageBytes / SIZE;
    }

    /** Byte offset of {@code page} in the image. */
    public static long offset(long page) {
        return page * SIZE;
    }
}
