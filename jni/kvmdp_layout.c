// SPDX-License-Identifier: Apache-2.0
/*
 * Struct layouts and UAPI numbers for org.kvmdp.nativeio.NativeLayout, taken
 * from the headers this library is compiled against (the patched kernel's
 * UAPI, see KVMDP_UAPI_INCLUDE). Exported as (name, value) pairs so Java looks
 * each one up by name and fails loudly if one is missing: no offset is ever
 * copied by hand into Java.
 *
 * Naming: "sizeof(struct)", "struct.field[.subfield]" for offsetof,
 * "sizeof(struct.field)" for a field's size, the macro's own name otherwise.
 */
#include <asm-generic/hugetlb_encode.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kvmdp_jni.h"
#include "kvmdp_uapi.h"

struct kvmdp_layout_entry {
	const char *name;
	long long value;
};

#define SIZE(s)     { "sizeof(" #s ")", (long long)sizeof(struct s) }
#define OFF(s, f)   { #s "." #f, (long long)offsetof(struct s, f) }
#define FSIZE(s, f) { "sizeof(" #s "." #f ")", (long long)sizeof(((struct s *)0)->f) }
#define CONST(c)    { #c, (long long)(c) }

/* Bit-fields have no offsetof; the kvm_segment ones Java reads are plain __u8s. */
static const struct kvmdp_layout_entry kvmdp_layout_entries[] = {
	/* struct kvm_run and the exits Java decodes */
	SIZE(kvm_run),
	OFF(kvm_run, request_interrupt_window), OFF(kvm_run, immediate_exit),
	OFF(kvm_run, exit_reason), OFF(kvm_run, ready_for_interrupt_injection),
	OFF(kvm_run, if_flag), OFF(kvm_run, flags),
	OFF(kvm_run, hw.hardware_exit_reason),
	OFF(kvm_run, fail_entry.hardware_entry_failure_reason), OFF(kvm_run, fail_entry.cpu),
	OFF(kvm_run, ex.exception), OFF(kvm_run, ex.error_code),
	OFF(kvm_run, io.direction), OFF(kvm_run, io.size), OFF(kvm_run, io.port),
	OFF(kvm_run, io.count), OFF(kvm_run, io.data_offset),
	OFF(kvm_run, mmio.phys_addr), OFF(kvm_run, mmio.data), FSIZE(kvm_run, mmio.data),
	OFF(kvm_run, mmio.len), OFF(kvm_run, mmio.is_write),
	OFF(kvm_run, internal.suberror), OFF(kvm_run, internal.ndata),
	OFF(kvm_run, internal.data), FSIZE(kvm_run, internal.data),
	OFF(kvm_run, system_event.type), OFF(kvm_run, system_event.ndata),
	OFF(kvm_run, system_event.data), FSIZE(kvm_run, system_event.data),
	OFF(kvm_run, memory_fault.flags), OFF(kvm_run, memory_fault.gpa),
	OFF(kvm_run, memory_fault.size),

	/* registers */
	SIZE(kvm_regs),
	OFF(kvm_regs, rax), OFF(kvm_regs, rbx), OFF(kvm_regs, rcx), OFF(kvm_regs, rdx),
	OFF(kvm_regs, rsi), OFF(kvm_regs, rdi), OFF(kvm_regs, rsp), OFF(kvm_regs, rbp),
	OFF(kvm_regs, r8), OFF(kvm_regs, r9), OFF(kvm_regs, r10), OFF(kvm_regs, r11),
	OFF(kvm_regs, r12), OFF(kvm_regs, r13), OFF(kvm_regs, r14), OFF(kvm_regs, r15),
	OFF(kvm_regs, rip), OFF(kvm_regs, rflags),
	SIZE(kvm_sregs),
	OFF(kvm_sregs, cs), OFF(kvm_sregs, ds), OFF(kvm_sregs, es), OFF(kvm_sregs, fs),
	OFF(kvm_sregs, gs), OFF(kvm_sregs, ss), OFF(kvm_sregs, tr), OFF(kvm_sregs, ldt),
	OFF(kvm_sregs, gdt), OFF(kvm_sregs, idt), OFF(kvm_sregs, cr0), OFF(kvm_sregs, cr2),
	OFF(kvm_sregs, cr3), OFF(kvm_sregs, cr4), OFF(kvm_sregs, cr8), OFF(kvm_sregs, efer),
	OFF(kvm_sregs, apic_base), OFF(kvm_sregs, interrupt_bitmap),
	FSIZE(kvm_sregs, interrupt_bitmap),
	SIZE(kvm_segment),
	OFF(kvm_segment, base), OFF(kvm_segment, limit), OFF(kvm_segment, selector),
	OFF(kvm_segment, type), OFF(kvm_segment, present), OFF(kvm_segment, dpl),
	OFF(kvm_segment, db), OFF(kvm_segment, s), OFF(kvm_segment, l), OFF(kvm_segment, g),
	OFF(kvm_segment, avl), OFF(kvm_segment, unusable),
	SIZE(kvm_dtable), OFF(kvm_dtable, base), OFF(kvm_dtable, limit),

	/* memory slots and attributes */
	SIZE(kvm_userspace_memory_region),
	OFF(kvm_userspace_memory_region, slot), OFF(kvm_userspace_memory_region, flags),
	OFF(kvm_userspace_memory_region, guest_phys_addr),
	OFF(kvm_userspace_memory_region, memory_size),
	OFF(kvm_userspace_memory_region, userspace_addr),
	SIZE(kvm_userspace_memory_region2),
	OFF(kvm_userspace_memory_region2, slot), OFF(kvm_userspace_memory_region2, flags),
	OFF(kvm_userspace_memory_region2, guest_phys_addr),
	OFF(kvm_userspace_memory_region2, memory_size),
	OFF(kvm_userspace_memory_region2, userspace_addr),
	OFF(kvm_userspace_memory_region2, guest_memfd_offset),
	OFF(kvm_userspace_memory_region2, guest_memfd),
	SIZE(kvm_memory_attributes),
	OFF(kvm_memory_attributes, address), OFF(kvm_memory_attributes, size),
	OFF(kvm_memory_attributes, attributes), OFF(kvm_memory_attributes, flags),
	SIZE(kvm_create_guest_memfd),
	OFF(kvm_create_guest_memfd, size), OFF(kvm_create_guest_memfd, flags),

	/* MSRs, CPUID, capabilities */
	SIZE(kvm_msrs), OFF(kvm_msrs, nmsrs), OFF(kvm_msrs, entries),
	SIZE(kvm_msr_entry), OFF(kvm_msr_entry, index), OFF(kvm_msr_entry, data),
	SIZE(kvm_cpuid2), OFF(kvm_cpuid2, nent), OFF(kvm_cpuid2, entries),
	SIZE(kvm_cpuid_entry2),
	OFF(kvm_cpuid_entry2, function), OFF(kvm_cpuid_entry2, index),
	OFF(kvm_cpuid_entry2, flags), OFF(kvm_cpuid_entry2, eax), OFF(kvm_cpuid_entry2, ebx),
	OFF(kvm_cpuid_entry2, ecx), OFF(kvm_cpuid_entry2, edx),
	SIZE(kvm_enable_cap), OFF(kvm_enable_cap, cap), OFF(kvm_enable_cap, flags),
	OFF(kvm_enable_cap, args), FSIZE(kvm_enable_cap, args),

	/* binary stats */
	SIZE(kvm_stats_header),
	OFF(kvm_stats_header, flags), OFF(kvm_stats_header, name_size),
	OFF(kvm_stats_header, num_desc), OFF(kvm_stats_header, id_offset),
	OFF(kvm_stats_header, desc_offset), OFF(kvm_stats_header, data_offset),
	SIZE(kvm_stats_desc),
	OFF(kvm_stats_desc, flags), OFF(kvm_stats_desc, exponent), OFF(kvm_stats_desc, size),
	OFF(kvm_stats_desc, offset), OFF(kvm_stats_desc, bucket_size), OFF(kvm_stats_desc, name),
	CONST(KVM_STATS_TYPE_SHIFT), CONST(KVM_STATS_TYPE_MASK),
	CONST(KVM_STATS_TYPE_CUMULATIVE), CONST(KVM_STATS_TYPE_INSTANT),
	CONST(KVM_STATS_TYPE_PEAK), CONST(KVM_STATS_TYPE_LINEAR_HIST),
	CONST(KVM_STATS_TYPE_LOG_HIST),
	CONST(KVM_STATS_UNIT_SHIFT), CONST(KVM_STATS_UNIT_MASK),
	CONST(KVM_STATS_UNIT_NONE), CONST(KVM_STATS_UNIT_BYTES),
	CONST(KVM_STATS_UNIT_SECONDS), CONST(KVM_STATS_UNIT_CYCLES),
	CONST(KVM_STATS_UNIT_BOOLEAN),
	CONST(KVM_STATS_BASE_SHIFT), CONST(KVM_STATS_BASE_MASK),
	CONST(KVM_STATS_BASE_POW10), CONST(KVM_STATS_BASE_POW2),

	/* userfaultfd */
	SIZE(uffdio_api), OFF(uffdio_api, api), OFF(uffdio_api, features), OFF(uffdio_api, ioctls),
	SIZE(uffdio_range), OFF(uffdio_range, start), OFF(uffdio_range, len),
	SIZE(uffdio_register), OFF(uffdio_register, range), OFF(uffdio_register, mode),
	OFF(uffdio_register, ioctls),
	SIZE(uffdio_copy), OFF(uffdio_copy, dst), OFF(uffdio_copy, src), OFF(uffdio_copy, len),
	OFF(uffdio_copy, mode), OFF(uffdio_copy, copy),
	SIZE(uffdio_zeropage), OFF(uffdio_zeropage, range), OFF(uffdio_zeropage, mode),
	OFF(uffdio_zeropage, zeropage),
	SIZE(uffdio_continue), OFF(uffdio_continue, range), OFF(uffdio_continue, mode),
	OFF(uffdio_continue, mapped),
	SIZE(uffd_msg), OFF(uffd_msg, event), OFF(uffd_msg, arg.pagefault.flags),
	OFF(uffd_msg, arg.pagefault.address), OFF(uffd_msg, arg.pagefault.feat.ptid),
	CONST(UFFD_API), CONST(UFFDIO_API), CONST(UFFDIO_REGISTER), CONST(UFFDIO_UNREGISTER),
	CONST(UFFDIO_COPY), CONST(UFFDIO_ZEROPAGE), CONST(UFFDIO_CONTINUE), CONST(UFFDIO_WAKE),
	CONST(UFFDIO_REGISTER_MODE_MISSING), CONST(UFFDIO_REGISTER_MODE_WP),
	CONST(UFFDIO_REGISTER_MODE_MINOR),
	CONST(UFFDIO_COPY_MODE_DONTWAKE), CONST(UFFDIO_ZEROPAGE_MODE_DONTWAKE),
	CONST(UFFDIO_CONTINUE_MODE_DONTWAKE),
	CONST(UFFD_EVENT_PAGEFAULT), CONST(UFFD_EVENT_FORK), CONST(UFFD_EVENT_REMAP),
	CONST(UFFD_EVENT_REMOVE), CONST(UFFD_EVENT_UNMAP),
	CONST(UFFD_PAGEFAULT_FLAG_WRITE), CONST(UFFD_PAGEFAULT_FLAG_WP),
	CONST(UFFD_PAGEFAULT_FLAG_MINOR),
	CONST(UFFD_FEATURE_MISSING_HUGETLBFS), CONST(UFFD_FEATURE_MISSING_SHMEM),
	CONST(UFFD_FEATURE_MINOR_HUGETLBFS), CONST(UFFD_FEATURE_MINOR_SHMEM),
	CONST(UFFD_FEATURE_THREAD_ID), CONST(UFFD_FEATURE_EXACT_ADDRESS),
	CONST(UFFD_USER_MODE_ONLY),
	CONST(_UFFDIO_REGISTER), CONST(_UFFDIO_UNREGISTER), CONST(_UFFDIO_WAKE),
	CONST(_UFFDIO_COPY), CONST(_UFFDIO_ZEROPAGE), CONST(_UFFDIO_CONTINUE),

	/* KVM ioctls */
	CONST(KVM_API_VERSION), CONST(KVM_GET_API_VERSION), CONST(KVM_CREATE_VM),
	CONST(KVM_CHECK_EXTENSION), CONST(KVM_GET_VCPU_MMAP_SIZE),
	CONST(KVM_GET_SUPPORTED_CPUID), CONST(KVM_CREATE_VCPU),
	CONST(KVM_SET_USER_MEMORY_REGION), CONST(KVM_SET_USER_MEMORY_REGION2),
	CONST(KVM_ENABLE_CAP), CONST(KVM_GET_STATS_FD), CONST(KVM_SET_MEMORY_ATTRIBUTES),
	CONST(KVM_CREATE_GUEST_MEMFD), CONST(KVM_RUN), CONST(KVM_GET_REGS), CONST(KVM_SET_REGS),
	CONST(KVM_GET_SREGS), CONST(KVM_SET_SREGS), CONST(KVM_SET_CPUID2), CONST(KVM_GET_CPUID2),
	CONST(KVM_GET_MSRS), CONST(KVM_SET_MSRS),
	CONST(KVM_CAP_MCE), CONST(KVM_X86_GET_MCE_CAP_SUPPORTED), CONST(KVM_X86_SETUP_MCE),
	CONST(KVM_X86_SET_MCE),
	SIZE(kvm_x86_mce),
	OFF(kvm_x86_mce, status), OFF(kvm_x86_mce, addr), OFF(kvm_x86_mce, misc),
	OFF(kvm_x86_mce, mcg_status), OFF(kvm_x86_mce, bank),

	/* demand paging (checked against the series' numbers in kvmdp_uapi.h) */
	CONST(KVM_DEMAND_PAGING_ENABLE),
	CONST(KVM_MEMORY_EXIT_FLAG_NOT_PRESENT), CONST(KVM_DEMAND_PAGING_MAX_RANGES),
	CONST(KVM_MEMORY_EXIT_FLAG_POISONED), CONST(KVM_DEMAND_PAGING_POISON),
	CONST(KVM_MARK_PRESENT), CONST(KVM_MARK_NON_PRESENT), CONST(KVM_MARK_PRESENT_RANGES),
	CONST(KVM_GET_PRESENT_BITMAP), CONST(KVM_CREATE_DEMAND_PAGING_FD),
	CONST(KVM_DEMAND_PAGING_EVENT_WRITE), CONST(KVM_DEMAND_PAGING_EVENT_VCPU),
	SIZE(kvm_demand_paging_range),
	OFF(kvm_demand_paging_range, gpa), OFF(kvm_demand_paging_range, size),
	OFF(kvm_demand_paging_range, flags), OFF(kvm_demand_paging_range, reserved),
	SIZE(kvm_demand_paging_ranges),
	OFF(kvm_demand_paging_ranges, nr), OFF(kvm_demand_paging_ranges, flags),
	OFF(kvm_demand_paging_ranges, ranges),
	SIZE(kvm_present_bitmap),
	OFF(kvm_present_bitmap, slot), OFF(kvm_present_bitmap, padding),
	OFF(kvm_present_bitmap, bitmap), OFF(kvm_present_bitmap, first_page),
	OFF(kvm_present_bitmap, npages),
	SIZE(kvm_demand_paging_event),
	OFF(kvm_demand_paging_event, gpa), OFF(kvm_demand_paging_event, flags),

	/* KVM exits and their sub-codes */
	CONST(KVM_EXIT_UNKNOWN), CONST(KVM_EXIT_EXCEPTION), CONST(KVM_EXIT_IO),
	CONST(KVM_EXIT_HYPERCALL), CONST(KVM_EXIT_DEBUG), CONST(KVM_EXIT_HLT),
	CONST(KVM_EXIT_MMIO), CONST(KVM_EXIT_IRQ_WINDOW_OPEN), CONST(KVM_EXIT_SHUTDOWN),
	CONST(KVM_EXIT_FAIL_ENTRY), CONST(KVM_EXIT_INTR), CONST(KVM_EXIT_INTERNAL_ERROR),
	CONST(KVM_EXIT_SYSTEM_EVENT), CONST(KVM_EXIT_X86_RDMSR), CONST(KVM_EXIT_X86_WRMSR),
	CONST(KVM_EXIT_NOTIFY), CONST(KVM_EXIT_MEMORY_FAULT),
	CONST(KVM_EXIT_IO_IN), CONST(KVM_EXIT_IO_OUT),
	CONST(KVM_MEMORY_EXIT_FLAG_PRIVATE),
	CONST(KVM_SYSTEM_EVENT_SHUTDOWN), CONST(KVM_SYSTEM_EVENT_RESET),
	CONST(KVM_SYSTEM_EVENT_CRASH), CONST(KVM_SYSTEM_EVENT_WAKEUP),
	CONST(KVM_SYSTEM_EVENT_SUSPEND), CONST(KVM_SYSTEM_EVENT_SEV_TERM),
	CONST(KVM_INTERNAL_ERROR_EMULATION), CONST(KVM_INTERNAL_ERROR_SIMUL_EX),
	CONST(KVM_INTERNAL_ERROR_DELIVERY_EV), CONST(KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON),

	/* memslot flags, attributes, VM types */
	CONST(KVM_MEM_LOG_DIRTY_PAGES), CONST(KVM_MEM_READONLY), CONST(KVM_MEM_GUEST_MEMFD),
	CONST(KVM_MEMORY_ATTRIBUTE_PRIVATE),
	CONST(KVM_X86_DEFAULT_VM), CONST(KVM_X86_SW_PROTECTED_VM),

	/* capabilities (org.kvmdp.kvm.Capability looks each up as KVM_CAP_<name>) */
	CONST(KVM_CAP_IRQCHIP), CONST(KVM_CAP_HLT), CONST(KVM_CAP_USER_MEMORY),
	CONST(KVM_CAP_SET_TSS_ADDR), CONST(KVM_CAP_EXT_CPUID), CONST(KVM_CAP_NR_VCPUS),
	CONST(KVM_CAP_NR_MEMSLOTS), CONST(KVM_CAP_SYNC_MMU), CONST(KVM_CAP_MAX_VCPUS),
	CONST(KVM_CAP_MAX_VCPU_ID), CONST(KVM_CAP_READONLY_MEM),
	CONST(KVM_CAP_IMMEDIATE_EXIT), CONST(KVM_CAP_MULTI_ADDRESS_SPACE),
	CONST(KVM_CAP_INTERNAL_ERROR_DATA), CONST(KVM_CAP_BINARY_STATS_FD),
	CONST(KVM_CAP_EXIT_HYPERCALL), CONST(KVM_CAP_X86_TRIPLE_FAULT_EVENT),
	CONST(KVM_CAP_GET_MSR_FEATURES), CONST(KVM_CAP_USER_MEMORY2),
	CONST(KVM_CAP_MEMORY_FAULT_INFO), CONST(KVM_CAP_MEMORY_ATTRIBUTES),
	CONST(KVM_CAP_GUEST_MEMFD), CONST(KVM_CAP_VM_TYPES), CONST(KVM_CAP_PRE_FAULT_MEMORY),
	CONST(KVM_CAP_DIRTY_LOG_RING), CONST(KVM_CAP_HALT_POLL), CONST(KVM_CAP_X86_DISABLE_EXITS),
	CONST(KVM_CAP_DEMAND_PAGING),

	/* libc: open, fcntl, mmap, madvise, memfd, eventfd, poll, fallocate */
	CONST(F_GETFL), CONST(F_SETFL), CONST(F_GETFD), CONST(FD_CLOEXEC),
	CONST(O_RDONLY), CONST(O_WRONLY), CONST(O_RDWR), CONST(O_CLOEXEC), CONST(O_NONBLOCK),
	CONST(O_CREAT), CONST(O_TRUNC),
	CONST(PROT_NONE), CONST(PROT_READ), CONST(PROT_WRITE), CONST(PROT_EXEC),
	CONST(MAP_SHARED), CONST(MAP_PRIVATE), CONST(MAP_ANONYMOUS), CONST(MAP_FIXED),
	CONST(MAP_NORESERVE), CONST(MAP_POPULATE), CONST(MAP_HUGETLB),
	{ "MAP_HUGE_2MB", HUGETLB_FLAG_ENCODE_2MB }, { "MAP_HUGE_1GB", HUGETLB_FLAG_ENCODE_1GB },
	CONST(MADV_NORMAL), CONST(MADV_DONTNEED), CONST(MADV_REMOVE), CONST(MADV_HUGEPAGE),
	CONST(MADV_NOHUGEPAGE), CONST(MADV_POPULATE_READ), CONST(MADV_POPULATE_WRITE),
	CONST(MFD_CLOEXEC), CONST(MFD_ALLOW_SEALING), CONST(MFD_HUGETLB),
	{ "MFD_HUGE_2MB", HUGETLB_FLAG_ENCODE_2MB }, { "MFD_HUGE_1GB", HUGETLB_FLAG_ENCODE_1GB },
	CONST(FALLOC_FL_KEEP_SIZE), CONST(FALLOC_FL_PUNCH_HOLE),
	CONST(EFD_CLOEXEC), CONST(EFD_NONBLOCK), CONST(EFD_SEMAPHORE),
	SIZE(pollfd), OFF(pollfd, fd), OFF(pollfd, events), OFF(pollfd, revents),
	CONST(POLLIN), CONST(POLLOUT), CONST(POLLERR), CONST(POLLHUP), CONST(POLLNVAL),

	/* AF_UNIX sockets and SCM_RIGHTS (org.kvmdp.nativeio.UnixSocket) */
	CONST(AF_UNIX), CONST(SOCK_STREAM), CONST(SOCK_SEQPACKET), CONST(SOCK_CLOEXEC),
	CONST(SOCK_NONBLOCK), CONST(SHUT_RD), CONST(SHUT_WR), CONST(SHUT_RDWR),
	CONST(MSG_NOSIGNAL), CONST(MSG_CMSG_CLOEXEC), CONST(MSG_DONTWAIT), CONST(MSG_CTRUNC),
	CONST(SOL_SOCKET), CONST(SO_PEERCRED), CONST(SCM_RIGHTS),
	SIZE(ucred), OFF(ucred, pid), OFF(ucred, uid), OFF(ucred, gid),
	FSIZE(sockaddr_un, sun_path),

	/* errno values (org.kvmdp.nativeio.Errno looks each up by name) */
	CONST(EPERM), CONST(ENOENT), CONST(ESRCH), CONST(EINTR), CONST(EIO), CONST(ENXIO),
	CONST(E2BIG), CONST(EBADF), CONST(EAGAIN), CONST(ENOMEM), CONST(EACCES),
	CONST(EFAULT), CONST(EBUSY), CONST(EEXIST), CONST(ENODEV), CONST(EINVAL),
	CONST(ENFILE), CONST(EMFILE), CONST(ENOTTY), CONST(EFBIG), CONST(ENOSPC),
	CONST(ESPIPE), CONST(EROFS), CONST(ERANGE), CONST(ENOSYS), CONST(EOPNOTSUPP),
	CONST(ETIMEDOUT), CONST(EHWPOISON), CONST(ENOTSUP), CONST(EOVERFLOW),
	CONST(EPIPE), CONST(ECONNRESET), CONST(ECONNREFUSED), CONST(ENAMETOOLONG),
	CONST(EADDRINUSE), CONST(ENOTSOCK), CONST(ENOTCONN),
};

static jobjectArray kvmdp_layout_names(JNIEnv *env, jclass cls)
{
	int n = KVMDP_ARRAY_SIZE(kvmdp_layout_entries);
	jclass string_class;
	jobjectArray names;

	(void)cls;
	string_class = (*env)->FindClass(env, "java/lang/String");
	if (!string_class)
		return NULL;
	names = (*env)->NewObjectArray(env, n, string_class, NULL);
	for (int i = 0; names && i < n; i++) {
		jstring s = (*env)->NewStringUTF(env, kvmdp_layout_entries[i].name);

		if (!s)
			return NULL;
		(*env)->SetObjectArrayElement(env, names, i, s);
		(*env)->DeleteLocalRef(env, s);
	}
	return names;
}

static jlongArray kvmdp_layout_values(JNIEnv *env, jclass cls)
{
	int n = KVMDP_ARRAY_SIZE(kvmdp_layout_entries);
	jlongArray values;
	jlong *elems;

	(void)cls;
	values = (*env)->NewLongArray(env, n);
	if (!values)
		return NULL;
	elems = (*env)->GetLongArrayElements(env, values, NULL);
	if (!elems)
		return NULL;
	for (int i = 0; i < n; i++)
		elems[i] = (jlong)kvmdp_layout_entries[i].value;
	(*env)->ReleaseLongArrayElements(env, values, elems, 0);
	return values;
}

/* Not a compile-time constant, so not in the table. */
static jlong kvmdp_layout_page_size(JNIEnv *env, jclass cls)
{
	(void)env, (void)cls;
	return (jlong)sysconf(_SC_PAGESIZE);
}

static const JNINativeMethod kvmdp_layout_methods[] = {
	{ "names", "()[Ljava/lang/String;", (void *)kvmdp_layout_names },
	{ "values", "()[J", (void *)kvmdp_layout_values },
	{ "pageSize", "()J", (void *)kvmdp_layout_page_size },
};

int kvmdp_layout_register(JNIEnv *env)
{
	return kvmdp_jni_register(env, "NativeLayout", kvmdp_layout_methods,
				  KVMDP_ARRAY_SIZE(kvmdp_layout_methods));
}
