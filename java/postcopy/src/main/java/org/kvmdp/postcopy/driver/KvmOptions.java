// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.driver;

/**
 * How the KVM demand paging fault path runs; the other mechanisms ignore it.
 *
 * @param preFault map each served page with KVM_PRE_FAULT_MEMORY before its vCPU re-enters,
 *     so the guest's retried access does not fault into KVM a second time
 * @param preallocate allocate every page of the region when the path is attached, once it is
 *     non-present (MADV_POPULATE_WRITE), so serving a page writes into memory that already
 *     exists instead of taking a host page fault that allocates and zeroes it: possible because
 *     KVM's present bitmap, not the page's absence, is what makes the guest exit. userfaultfd
 *     MISSING cannot do this (the page's absence is its fault); MINOR allocates its memfd up
 *     front in the same way.
 */
public record KvmOptions(boolean preFault, boolean preallocate) {
    /** Pre-faulting on, no preallocation: as {@code kvmdp migrate} runs. */
    public static final KvmOptions DEFAULT = new KvmOptions(true, false);
}
