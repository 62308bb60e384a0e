// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import org.kvmdp.nativeio.Uapi;

/** The general-purpose registers of struct kvm_regs, each at its offset from the header. */
public enum Register {
    RAX, RBX, RCX, RDX, RSI, RDI, RSP, RBP, R8, R9, R10, R11, R12, R13, R14, R15, RIP, RFLAGS;

    final int offset;

    Register() {
        this.offset = Uapi.getInt("kvm_regs." + name().toLowerCase(java.util.Locale.ROOT));
    }
}
