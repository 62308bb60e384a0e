// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.kvmdp.nativeio.NativeLoader;

/** The flat guest binaries built from src/main/guest/*.s of this module and shipped in the jar. */
public enum GuestProgram {
    /** Touch every page of a range (see touch_pages.s for the arguments). */
    TOUCH_PAGES("touch_pages.bin"),
    /** Make KVM access guest memory, or provoke an exit (see kvm_access.s). */
    KVM_ACCESS("kvm_access.bin"),
    /** Write a pattern, halt for migration, check it (see migrate_workload.s). */
    MIGRATE_WORKLOAD("migrate_workload.bin");

    private final String resource;
    private volatile byte[] code;

    GuestProgram(String resource) {
        this.resource = resource;
    }

    /** The resource name under org/kvmdp/native/. */
    public String resource() {
        return resource;
    }

    /** The program's bytes, to be loaded at {@link GuestAbi#CODE_GPA}. */
    public byte[] code() {
        byte[] bytes = code;
        if (bytes == null) {
            try (InputStream in = NativeLoader.openResource(resource)) {
                bytes = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read guest program " + resource, e);
            }
            if (bytes.length == 0 || bytes.length > GuestAbi.CODE_MAX_SIZE) {
                throw new IllegalStateException("guest program " + resource + " has "
                        + bytes.length + " bytes");
            }
            code = bytes;
        }
        return bytes.clone();
    }
}
