// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.uffd;

import static org.kvmdp.nativeio.Uapi.get;
import static org.kvmdp.nativeio.Uapi.getInt;

/** linux/userfaultfd.h layouts and numbers, from libkvmdp.so (jni/kvmdp_layout.c). */
final class UffdStructs {
    static final long UFFD_API = get("UFFD_API");
    static final long UFFDIO_API = get("UFFDIO_API");
    static final long UFFDIO_REGISTER = get("UFFDIO_REGISTER");
    static final long UFFDIO_UNREGISTER = get("UFFDIO_UNREGISTER");
    static final long UFFDIO_COPY = get("UFFDIO_COPY");
    static final long UFFDIO_ZEROPAGE = get("UFFDIO_ZEROPAGE");
    static final long UFFDIO_CONTINUE = get("UFFDIO_CONTINUE");
    static final long UFFDIO_WAKE = get("UFFDIO_WAKE");
    static final long COPY_MODE_DONTWAKE = get("UFFDIO_COPY_MODE_DONTWAKE");
    static final long ZEROPAGE_MODE_DONTWAKE = get("UFFDIO_ZEROPAGE_MODE_DONTWAKE");
    static final long CONTINUE_MODE_DONTWAKE = get("UFFDIO_CONTINUE_MODE_DONTWAKE");
    static final int EVENT_PAGEFAULT = getInt("UFFD_EVENT_PAGEFAULT");

    static final int API_SIZE = getInt("sizeof(uffdio_api)");
    static final int API_API = getInt("uffdio_api.api");
    static final int API_FEATURES = getInt("uffdio_api.features");
    static final int API_IOCTLS = getInt("uffdio_api.ioctls");
    static final int RANGE_SIZE = getInt("sizeof(uffdio_range)");
    static final int RANGE_START = getInt("uffdio_range.start");
    static final int RANGE_LEN = getInt("uffdio_range.len");
    static final int REGISTER_SIZE = getInt("sizeof(uffdio_register)");
    static final int REGISTER_RANGE = getInt("uffdio_register.range");
    static final int REGISTER_MODE = getInt("uffdio_register.mode");
    static final int REGISTER_IOCTLS = getInt("uffdio_register.ioctls");
    static final int COPY_SIZE = getInt("sizeof(uffdio_copy)");
    static final int COPY_DST = getInt("uffdio_copy.dst");
    static final int COPY_SRC = getInt("uffdio_copy.src");
    static final int COPY_LEN = getInt("uffdio_copy.len");
    static final int COPY_MODE = getInt("uffdio_copy.mode");
    static final int COPY_COPY = getInt("uffdio_copy.copy");
    static final int ZEROPAGE_SIZE = getInt("sizeof(uffdio_zeropage)");
    static final int ZEROPAGE_RANGE = getInt("uffdio_zeropage.range");
    static final int ZEROPAGE_MODE = getInt("uffdio_zeropage.mode");
    static final int ZEROPAGE_ZEROPAGE = getInt("uffdio_zeropage.zeropage");
    static final int CONTINUE_SIZE = getInt("sizeof(uffdio_continue)");
    static final int CONTINUE_RANGE = getInt("uffdio_continue.range");
    static final int CONTINUE_MODE = getInt("uffdio_continue.mode");
    static final int CONTINUE_MAPPED = getInt("uffdio_continue.mapped");
    static final int MSG_SIZE = getInt("sizeof(uffd_msg)");
    static final int MSG_EVENT = getInt("uffd_msg.event");
    static final int MSG_FAULT_FLAGS = getInt("uffd_msg.arg.pagefault.flags");
    static final int MSG_FAULT_ADDRESS = getInt("uffd_msg.arg.pagefault.address");
    static final int MSG_FAULT_PTID = getInt("uffd_msg.arg.pagefault.feat.ptid");

    private UffdStructs() {}
}
