// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ErrnoTest {
    @Test
    void describesByNameAndText() {
        assertThat(Errno.describe(Errno.EEXIST.code())).isEqualTo("EEXIST (File exists)");
        assertThat(Errno.of(Errno.EINVAL.code())).contains(Errno.EINVAL);
        assertThat(Errno.of(100_000)).isEmpty();
        assertThat(Errno.describe(100_000)).startsWith("errno 100000 (");
    }

    @Test
    void syscallExceptionNamesOperationErrnoAndText() {
        SyscallException e = new SyscallException("KVM_SET_USER_MEMORY_REGION2",
                Errno.EEXIST.code());
        assertThat(e).hasMessage("KVM_SET_USER_MEMORY_REGION2 failed: EEXIST (File exists)");
        assertThat(e.operation()).isEqualTo("KVM_SET_USER_MEMORY_REGION2");
        assertThat(e.errno()).isEqualTo(Errno.EEXIST.code());
        assertThat(e.is(Errno.EEXIST)).isTrue();
        assertThat(new SyscallException("mmap", Errno.ENOMEM.code(), "length 4096"))
                .hasMessage("mmap failed: ENOMEM (Cannot allocate memory) [length 4096]");
    }
}
