// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

/** struct kvm_cpuid_entry2: one CPUID leaf (function) and sub-leaf (index). */
public record CpuidEntry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {
    /** This entry with different register values (e.g. a feature bit added). */
    public CpuidEntry withRegisters(int newEax, int newEbx, int newEcx, int newEdx) {
        return new CpuidEntry(function, index, flags, newEax, newEbx, newEcx, newEdx);
    }
}
