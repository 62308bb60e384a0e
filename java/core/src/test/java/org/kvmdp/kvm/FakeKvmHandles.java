// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import org.kvmdp.nativeio.NativeIo;
import org.kvmdp.nativeio.OwnedFd;
import org.kvmdp.nativeio.Uapi;

/**
 * A /dev/kvm and a VM handle over eventfds, for tests of other packages (see
 * HandleValidationTest): every KVM ioctl on them fails with ENOTTY, so a typed method that
 * throws IllegalArgumentException did so before any syscall.
 */
public final class FakeKvmHandles implements AutoCloseable {
    private final Kvm kvm = new Kvm(eventfd("fake /dev/kvm"));
    private final Vm vm = new Vm(kvm, eventfd("fake VM fd"), VmType.DEFAULT);

    public Vm vm() {
        return vm;
    }

    /** A plain eventfd, owned by the caller. */
    public static OwnedFd eventfd(String description) {
        int fd = NativeIo.eventfd(0, Uapi.getInt("EFD_CLOEXEC"));
        if (fd < 0) {
            throw new IllegalStateException("eventfd failed: " + fd);
        }
        return new OwnedFd(fd, description);
    }

    @Override
    public void close() {
        vm.close();
        kvm.close();
    }
}
