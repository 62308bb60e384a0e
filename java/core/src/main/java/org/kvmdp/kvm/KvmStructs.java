// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.kvm;

import static org.kvmdp.nativeio.Uapi.getInt;

/**
 * Sizes and field offsets of the KVM structs this package reads or writes, as compiled into
 * libkvmdp.so from linux/kvm.h and asm/kvm.h (see jni/kvmdp_layout.c). One nested holder per
 * struct so each class loads only what it uses.
 */
final class KvmStructs {
    private KvmStructs() {}

    /** struct kvm_run, the mmap-ed vCPU communication area. */
    static final class Run {
        static final int SIZE = getInt("sizeof(kvm_run)");
        static final int IMMEDIATE_EXIT = getInt("kvm_run.immediate_exit");
        static final int EXIT_REASON = getInt("kvm_run.exit_reason");
        static final int FAIL_ENTRY_REASON = getInt("kvm_run.fail_entry.hardware_entry_failure_reason");
        static final int FAIL_ENTRY_CPU = getInt("kvm_run.fail_entry.cpu");
        static final int HW_EXIT_REASON = getInt("kvm_run.hw.hardware_exit_reason");
        static final int IO_DIRECTION = getInt("kvm_run.io.direction");
        static final int IO_SIZE = getInt("kvm_run.io.size");
        static final int IO_PORT = getInt("kvm_run.io.port");
        static final int IO_COUNT = getInt("kvm_run.io.count");
        static final int IO_DATA_OFFSET = getInt("kvm_run.io.data_offset");
        static final int MMIO_PHYS_ADDR = getInt("kvm_run.mmio.phys_addr");
        static final int MMIO_DATA = getInt("kvm_run.mmio.data");
        static final int MMIO_DATA_SIZE = getInt("sizeof(kvm_run.mmio.data)");
        static final int MMIO_LEN = getInt("kvm_run.mmio.len");
        static final int MMIO_IS_WRITE = getInt("kvm_run.mmio.is_write");
        static final int INTERNAL_SUBERROR = getInt("kvm_run.internal.suberror");
        static final int INTERNAL_NDATA = getInt("kvm_run.internal.ndata");
        static final int INTERNAL_DATA = getInt("kvm_run.internal.data");
        static final int INTERNAL_DATA_MAX = getInt("sizeof(kvm_run.internal.data)") / 8;
        static final int SYSTEM_EVENT_TYPE = getInt("kvm_run.system_event.type");
        static final int SYSTEM_EVENT_NDATA = getInt("kvm_run.system_event.ndata");
        static final int SYSTEM_EVENT_DATA = getInt("kvm_run.system_event.data");
        static final int SYSTEM_EVENT_DATA_MAX = getInt("sizeof(kvm_run.system_event.data)") / 8;
        static final int MEMORY_FAULT_FLAGS = getInt("kvm_run.memory_fault.flags");
        static final int MEMORY_FAULT_GPA = getInt("kvm_run.memory_fault.gpa");
        static final int MEMORY_FAULT_SIZE = getInt("kvm_run.memory_fault.size");

        private Run() {}
    }

    /** KVM_EXIT_* reasons and their sub-codes. */
    static final class Exits {
        static final int UNKNOWN = getInt("KVM_EXIT_UNKNOWN");
        static final int IO = getInt("KVM_EXIT_IO");
        static final int HLT = getInt("KVM_EXIT_HLT");
        static final int MMIO = getInt("KVM_EXIT_MMIO");
        static final int SHUTDOWN = getInt("KVM_EXIT_SHUTDOWN");
        static final int FAIL_ENTRY = getInt("KVM_EXIT_FAIL_ENTRY");
        static final int INTR = getInt("KVM_EXIT_INTR");
        static final int INTERNAL_ERROR = getInt("KVM_EXIT_INTERNAL_ERROR");
        static final int SYSTEM_EVENT = getInt("KVM_EXIT_SYSTEM_EVENT");
        static final int MEMORY_FAULT = getInt("KVM_EXIT_MEMORY_FAULT");
        static final int IO_IN = getInt("KVM_EXIT_IO_IN");
        static final int IO_OUT = getInt("KVM_EXIT_IO_OUT");

        private Exits() {}
    }

    /** struct kvm_userspace_memory_region and ..._region2. */
    static final class MemoryRegion {
        static final int SIZE = getInt("sizeof(kvm_userspace_memory_region)");
        static final int SLOT = getInt("kvm_userspace_memory_region.slot");
        static final int FLAGS = getInt("kvm_userspace_memory_region.flags");
        static final int GPA = getInt("kvm_userspace_memory_region.guest_phys_addr");
        static final int MEMORY_SIZE = getInt("kvm_userspace_memory_region.memory_size");
        static final int USERSPACE_ADDR = getInt("kvm_userspace_memory_region.userspace_addr");
        static final int SIZE2 = getInt("sizeof(kvm_userspace_memory_region2)");
        static final int SLOT2 = getInt("kvm_userspace_memory_region2.slot");
        static final int FLAGS2 = getInt("kvm_userspace_memory_region2.flags");
        static final int GPA2 = getInt("kvm_userspace_memory_region2.guest_phys_addr");
        static final int MEMORY_SIZE2 = getInt("kvm_userspace_memory_region2.memory_size");
        static final int USERSPACE_ADDR2 = getInt("kvm_userspace_memory_region2.userspace_addr");
        static final int GUEST_MEMFD_OFFSET2 =
                getInt("kvm_userspace_memory_region2.guest_memfd_offset");
        static final int GUEST_MEMFD2 = getInt("kvm_userspace_memory_region2.guest_memfd");

        private MemoryRegion() {}
    }

    /** struct kvm_memory_attributes and struct kvm_create_guest_memfd. */
    static final class Attributes {
        static final int SIZE = getInt("sizeof(kvm_memory_attributes)");
        static final int ADDRESS = getInt("kvm_memory_attributes.address");
        static final int LENGTH = getInt("kvm_memory_attributes.size");
        static final int ATTRIBUTES = getInt("kvm_memory_attributes.attributes");
        static final int FLAGS = getInt("kvm_memory_attributes.flags");
        static final int GMEM_SIZE = getInt("sizeof(kvm_create_guest_memfd)");
        static final int GMEM_LENGTH = getInt("kvm_create_guest_memfd.size");
        static final int GMEM_FLAGS = getInt("kvm_create_guest_memfd.flags");

        private Attributes() {}
    }

    /** struct kvm_enable_cap. */
    static final class EnableCap {
        static final int SIZE = getInt("sizeof(kvm_enable_cap)");
        static final int CAP = getInt("kvm_enable_cap.cap");
        static final int FLAGS = getInt("kvm_enable_cap.flags");
        static final int ARGS = getInt("kvm_enable_cap.args");
        static final int MAX_ARGS = getInt("sizeof(kvm_enable_cap.args)") / 8;

        private EnableCap() {}
    }

    /** struct kvm_x86_mce. */
    static final class Mce {
        static final int SIZE = getInt("sizeof(kvm_x86_mce)");
        static final int STATUS = getInt("kvm_x86_mce.status");
        static final int ADDR = getInt("kvm_x86_mce.addr");
        static final int MISC = getInt("kvm_x86_mce.misc");
        static final int MCG_STATUS = getInt("kvm_x86_mce.mcg_status");
        static final int BANK = getInt("kvm_x86_mce.bank");

        private Mce() {}
    }

    /** struct kvm_msrs with struct kvm_msr_entry. */
    static final class Msrs {
        static final int HEADER_SIZE = getInt("sizeof(kvm_msrs)");
        static final int NMSRS = getInt("kvm_msrs.nmsrs");
        static final int ENTRIES = getInt("kvm_msrs.entries");
        static final int ENTRY_SIZE = getInt("sizeof(kvm_msr_entry)");
        static final int ENTRY_INDEX = getInt("kvm_msr_entry.index");
        static final int ENTRY_DATA = getInt("kvm_msr_entry.data");

        private Msrs() {}
    }

    /** struct kvm_cpuid2 with struct kvm_cpuid_entry2. */
    static final class Cpuid2 {
        static final int HEADER_SIZE = getInt("sizeof(kvm_cpuid2)");
        static final int NENT = getInt("kvm_cpuid2.nent");
        static final int ENTRIES = getInt("kvm_cpuid2.entries");
        static final int ENTRY_SIZE = getInt("sizeof(kvm_cpuid_entry2)");
        static final int FUNCTION = getInt("kvm_cpuid_entry2.function");
        static final int INDEX = getInt("kvm_cpuid_entry2.index");
        static final int FLAGS = getInt("kvm_cpuid_entry2.flags");
        static final int EAX = getInt("kvm_cpuid_entry2.eax");
        static final int EBX = getInt("kvm_cpuid_entry2.ebx");
        static final int ECX = getInt("kvm_cpuid_entry2.ecx");
        static final int EDX = getInt("kvm_cpuid_entry2.edx");

        private Cpuid2() {}
    }

    /** struct kvm_sregs, struct kvm_segment, struct kvm_dtable. */
    static final class Sregs {
        static final int SIZE = getInt("sizeof(kvm_sregs)");
        static final int CS = getInt("kvm_sregs.cs");
        static final int DS = getInt("kvm_sregs.ds");
        static final int ES = getInt("kvm_sregs.es");
        static final int FS = getInt("kvm_sregs.fs");
        static final int GS = getInt("kvm_sregs.gs");
        static final int SS = getInt("kvm_sregs.ss");
        static final int TR = getInt("kvm_sregs.tr");
        static final int LDT = getInt("kvm_sregs.ldt");
        static final int GDT = getInt("kvm_sregs.gdt");
        static final int IDT = getInt("kvm_sregs.idt");
        static final int CR0 = getInt("kvm_sregs.cr0");
        static final int CR2 = getInt("kvm_sregs.cr2");
        static final int CR3 = getInt("kvm_sregs.cr3");
        static final int CR4 = getInt("kvm_sregs.cr4");
        static final int CR8 = getInt("kvm_sregs.cr8");
        static final int EFER = getInt("kvm_sregs.efer");
        static final int APIC_BASE = getInt("kvm_sregs.apic_base");
        static final int INTERRUPT_BITMAP = getInt("kvm_sregs.interrupt_bitmap");
        static final int INTERRUPT_BITMAP_WORDS = getInt("sizeof(kvm_sregs.interrupt_bitmap)") / 8;
        static final int SEG_BASE = getInt("kvm_segment.base");
        static final int SEG_LIMIT = getInt("kvm_segment.limit");
        static final int SEG_SELECTOR = getInt("kvm_segment.selector");
        static final int SEG_TYPE = getInt("kvm_segment.type");
        static final int SEG_PRESENT = getInt("kvm_segment.present");
        static final int SEG_DPL = getInt("kvm_segment.dpl");
        static final int SEG_DB = getInt("kvm_segment.db");
        static final int SEG_S = getInt("kvm_segment.s");
        static final int SEG_L = getInt("kvm_segment.l");
        static final int SEG_G = getInt("kvm_segment.g");
        static final int SEG_AVL = getInt("kvm_segment.avl");
        static final int SEG_UNUSABLE = getInt("kvm_segment.unusable");
        static final int DT_BASE = getInt("kvm_dtable.base");
        static final int DT_LIMIT = getInt("kvm_dtable.limit");

        private Sregs() {}
    }

    /** struct kvm_stats_header and struct kvm_stats_desc. */
    static final class Stats {
        static final int HEADER_SIZE = getInt("sizeof(kvm_stats_header)");
        static final int NAME_SIZE = getInt("kvm_stats_header.name_size");
        static final int NUM_DESC = getInt("kvm_stats_header.num_desc");
        static final int ID_OFFSET = getInt("kvm_stats_header.id_offset");
        static final int DESC_OFFSET = getInt("kvm_stats_header.desc_offset");
        static final int DATA_OFFSET = getInt("kvm_stats_header.data_offset");
        static final int DESC_SIZE = getInt("sizeof(kvm_stats_desc)");
        static final int DESC_FLAGS = getInt("kvm_stats_desc.flags");
        static final int DESC_EXPONENT = getInt("kvm_stats_desc.exponent");
        static final int DESC_VALUE_COUNT = getInt("kvm_stats_desc.size");
        static final int DESC_VALUE_OFFSET = getInt("kvm_stats_desc.offset");
        static final int DESC_BUCKET_SIZE = getInt("kvm_stats_desc.bucket_size");
        static final int DESC_NAME = getInt("kvm_stats_desc.name");

        private Stats() {}
    }
}
