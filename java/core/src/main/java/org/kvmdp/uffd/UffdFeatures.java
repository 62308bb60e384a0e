// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.uffd;

import org.kvmdp.nativeio.Uapi;

/** UFFD_FEATURE_* bits for {@link Userfaultfd#open(long)}. */
public final class UffdFeatures {
    public static final long MISSING_HUGETLBFS = Uapi.get("UFFD_FEATURE_MISSING_HUGETLBFS");
    public static final long MISSING_SHMEM = Uapi.get("UFFD_FEATURE_MISSING_SHMEM");
    public static final long MINOR_HUGETLBFS = Uapi.get("UFFD_FEATURE_MINOR_HUGETLBFS");
    public static final long MINOR_SHMEM = Uapi.get("UFFD_FEATURE_MINOR_SHMEM");
    public static final long THREAD_ID = Uapi.get("UFFD_FEATURE_THREAD_ID");
    public static final long EXACT_ADDRESS = Uapi.get("UFFD_FEATURE_EXACT_ADDRESS");

    private UffdFeatures() {}
}
