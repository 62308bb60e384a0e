// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

/**
 * Test fixture: {@link Vm}'s package-private {@code -errno} twins, for tests that assert the
 * exact errno the kernel (or a fake fd) gives. No argument checks beyond what the twins do, so
 * bad fields reach the kernel. Shipped in the kvmdp test-jar, not in the API.
 */
public final class VmErrno {
    private VmErrno() {}

    /** KVM_ENABLE_CAP with every field as given (at most four args): 0 or -errno. */
    public static int enableCap(Vm vm, int capability, int flags, long... args) {
        return vm.enableCapRaw(capability, flags, args);
    }

    /** KVM_SET_USER_MEMORY_REGION without argument checks: 0 or -errno. */
    public static int setUserMemoryRegion(Vm vm, int slot, int flags, long gpa, long size,
            long hostAddress) {
        return vm.setUserMemoryRegionRaw(slot, flags, gpa, size, hostAddress);
    }

    /** KVM_SET_USER_MEMORY_REGION2 without argument checks: 0 or -errno. */
    public static int setUserMemoryRegion2(Vm vm, int slot, int flags, long gpa, long size,
            long hostAddress, int guestMemfd, long guestMemfdOffset) {
        return vm.setUserMemoryRegion2Raw(slot, flags, gpa, size, hostAddress, guestMemfd,
                guestMemfdOffset);
    }

    /** KVM_SET_MEMORY_ATTRIBUTES without argument checks: 0 or -errno. */
    public static int setMemoryAttributes(Vm vm, long gpa, long size, long attributes) {
        return vm.setMemoryAttributesRaw(gpa, size, attributes);
    }
}
