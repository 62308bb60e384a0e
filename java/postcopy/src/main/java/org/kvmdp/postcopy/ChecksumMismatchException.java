// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.util.List;
import java.util.stream.Collectors;

/** After migration, some destination pages differ from the source's: the guest is corrupt. */
public final class ChecksumMismatchException extends MigrationFailedException {
    private static final long serialVersionUID = 1L;
    private static final int PAGES_NAMED = 10;

    private final List<Long> pages;

    public ChecksumMismatchException(List<Long> pages, long pageCount) {
        super(pages.size() + " of " + pageCount + " pages differ from the source after migration"
                + " (CRC32C): pages " + pages.stream().limit(PAGES_NAMED).map(String::valueOf)
                        .collect(Collectors.joining(", "))
                + (pages.size() > PAGES_NAMED ? ", ..." : ""));
        this.pages = List.copyOf(pages);
    }

    /** Indexes of the pages that differ. */
    public List<Long> pages() {
        return pages;
    }
}
