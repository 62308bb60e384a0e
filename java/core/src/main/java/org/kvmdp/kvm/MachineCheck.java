// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

/**
 * A machine check to inject with {@link Vcpu#injectMachineCheck} (struct kvm_x86_mce): what the
 * guest's #MC handler then reads from MCG_STATUS and bank {@code bank}'s MCi_STATUS, MCi_ADDR
 * and MCi_MISC.
 */
public record MachineCheck(int bank, long status, long addr, long misc, long mcgStatus) {
    /** MCi_STATUS.VAL: the bank holds an error. */
    public static final long STATUS_VAL = 1L << 63;
    /** MCi_STATUS.UC: uncorrected, delivered as #MC. */
    public static final long STATUS_UC = 1L << 61;
    /** MCi_STATUS.EN: error reporting was enabled. */
    public static final long STATUS_EN = 1L << 60;
    /** MCi_STATUS.ADDRV: MCi_ADDR is valid. */
    public static final long STATUS_ADDRV = 1L << 58;
    /** MCG_STATUS.EIPV: the saved RIP is the instruction that consumed the error. */
    public static final long MCG_STATUS_EIPV = 1L << 1;
    /** MCG_STATUS.MCIP: a machine check is in progress. */
    public static final long MCG_STATUS_MCIP = 1L << 2;

    public MachineCheck {
        if (bank < 0) {
            throw new IllegalArgumentException("bank " + bank);
        }
        if ((status & STATUS_VAL) == 0) {
            throw new IllegalArgumentException("MCi_STATUS without VAL: 0x"
                    + Long.toHexString(status));
        }
    }

    /**
     * The machine check a VMM emulating memory poisoning injects when the guest consumed the
     * poisoned page at guest physical address {@code gpa}: uncorrected, address valid, in bank 0.
     */
    public static MachineCheck poisonConsumed(long gpa) {
        return new MachineCheck(0, STATUS_VAL | STATUS_UC | STATUS_EN | STATUS_ADDRV, gpa, 0,
                MCG_STATUS_MCIP | MCG_STATUS_EIPV);
    }
}
