/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UAPI this library needs beyond stock headers, checked at build time against
 * the linux/kvm.h it is compiled with (the patched 6.12 tree's, kept in
 * jni/linux-headers/ and passed as KVMDP_UAPI_INCLUDE by scripts/build-native.sh).
 *
 * The KVMDP_EXPECTED_* values are the numbers of the demand-paging series
 * (kernel-patch/, Documentation/virt/kvm/api.rst 4.144-4.147 and 7.37). They
 * are provisional until the series is merged: when the kernel renumbers, the
 * build fails here and the fix is to update both this file and the host test
 * java/core/src/test/java/org/kvmdp/nativeio/DemandPagingUapiTest.java.
 */
#ifndef KVMDP_UAPI_H
#define KVMDP_UAPI_H

#include <linux/kvm.h>

/* What this library needs from 6.12 that Debian 12's 6.1 headers lack. */
#ifndef KVM_SET_USER_MEMORY_REGION2
#error "linux/kvm.h lacks KVM_SET_USER_MEMORY_REGION2: pass -DKVMDP_UAPI_INCLUDE=<6.12 headers>"
#endif
#ifndef KVM_EXIT_MEMORY_FAULT
#error "linux/kvm.h lacks KVM_EXIT_MEMORY_FAULT: pass -DKVMDP_UAPI_INCLUDE=<6.12 headers>"
#endif
#ifndef KVM_SET_MEMORY_ATTRIBUTES
#error "linux/kvm.h lacks KVM_SET_MEMORY_ATTRIBUTES: pass -DKVMDP_UAPI_INCLUDE=<6.12 headers>"
#endif
#ifndef KVM_X86_SW_PROTECTED_VM
#error "asm/kvm.h lacks KVM_X86_SW_PROTECTED_VM: pass -DKVMDP_UAPI_INCLUDE=<6.12 headers>"
#endif

/* The demand-paging series: expected numbers, independent of the kernel's macros. */
#define KVMDP_EXPECTED_CAP_DEMAND_PAGING		300
#define KVMDP_EXPECTED_DEMAND_PAGING_ENABLE		(1ULL << 0)
#define KVMDP_EXPECTED_MEMORY_EXIT_FLAG_NOT_PRESENT	(1ULL << 8)
#define KVMDP_EXPECTED_MEMORY_EXIT_FLAG_POISONED	(1ULL << 9)
#define KVMDP_EXPECTED_DEMAND_PAGING_POISON		(1ULL << 0)
#define KVMDP_EXPECTED_DEMAND_PAGING_MAX_RANGES		1024
#define KVMDP_EXPECTED_SIZEOF_RANGE			32
#define KVMDP_EXPECTED_SIZEOF_RANGES			16
#define KVMDP_EXPECTED_SIZEOF_PRESENT_BITMAP		32
#define KVMDP_EXPECTED_SIZEOF_EVENT			16
#define KVMDP_EXPECTED_DEMAND_PAGING_EVENT_WRITE	(1ULL << 0)
#define KVMDP_EXPECTED_DEMAND_PAGING_EVENT_VCPU		(1ULL << 1)
#define KVMDP_EXPECTED_MARK_PRESENT \
	_IOC(_IOC_WRITE, KVMIO, 0xd6, KVMDP_EXPECTED_SIZEOF_RANGE)
#define KVMDP_EXPECTED_MARK_NON_PRESENT \
	_IOC(_IOC_WRITE, KVMIO, 0xd7, KVMDP_EXPECTED_SIZEOF_RANGE)
#define KVMDP_EXPECTED_MARK_PRESENT_RANGES \
	_IOC(_IOC_WRITE, KVMIO, 0xd8, KVMDP_EXPECTED_SIZEOF_RANGES)
#define KVMDP_EXPECTED_GET_PRESENT_BITMAP \
	_IOC(_IOC_WRITE, KVMIO, 0xd9, KVMDP_EXPECTED_SIZEOF_PRESENT_BITMAP)
#define KVMDP_EXPECTED_CREATE_DEMAND_PAGING_FD	_IOC(_IOC_NONE, KVMIO, 0xda, 0)

#if !defined(KVM_CAP_DEMAND_PAGING) || !defined(KVM_DEMAND_PAGING_ENABLE) || \
	!defined(KVM_MEMORY_EXIT_FLAG_NOT_PRESENT) || !defined(KVM_MARK_PRESENT) || \
	!defined(KVM_MARK_NON_PRESENT) || !defined(KVM_MARK_PRESENT_RANGES) || \
	!defined(KVM_DEMAND_PAGING_MAX_RANGES) || !defined(KVM_GET_PRESENT_BITMAP) || \
	!defined(KVM_CREATE_DEMAND_PAGING_FD) || !defined(KVM_DEMAND_PAGING_EVENT_WRITE) || \
	!defined(KVM_DEMAND_PAGING_EVENT_VCPU) || !defined(KVM_MEMORY_EXIT_FLAG_POISONED) || \
	!defined(KVM_DEMAND_PAGING_POISON)
#error "linux/kvm.h lacks the demand-paging UAPI: build against jni/linux-headers (scripts/update-linux-headers.sh)"
#endif

#define KVMDP_EXPECT(actual, expected)                                                 \
	_Static_assert((unsigned long long)(actual) == (unsigned long long)(expected), \
		       #actual " differs from the series' number: update jni/kvmdp_uapi.h")

KVMDP_EXPECT(KVM_CAP_DEMAND_PAGING, KVMDP_EXPECTED_CAP_DEMAND_PAGING);
KVMDP_EXPECT(KVM_DEMAND_PAGING_ENABLE, KVMDP_EXPECTED_DEMAND_PAGING_ENABLE);
KVMDP_EXPECT(KVM_MEMORY_EXIT_FLAG_NOT_PRESENT, KVMDP_EXPECTED_MEMORY_EXIT_FLAG_NOT_PRESENT);
KVMDP_EXPECT(KVM_MEMORY_EXIT_FLAG_POISONED, KVMDP_EXPECTED_MEMORY_EXIT_FLAG_POISONED);
KVMDP_EXPECT(KVM_DEMAND_PAGING_POISON, KVMDP_EXPECTED_DEMAND_PAGING_POISON);
KVMDP_EXPECT(KVM_DEMAND_PAGING_MAX_RANGES, KVMDP_EXPECTED_DEMAND_PAGING_MAX_RANGES);
KVMDP_EXPECT(sizeof(struct kvm_demand_paging_range), KVMDP_EXPECTED_SIZEOF_RANGE);
KVMDP_EXPECT(sizeof(struct kvm_demand_paging_ranges), KVMDP_EXPECTED_SIZEOF_RANGES);
KVMDP_EXPECT(sizeof(struct kvm_present_bitmap), KVMDP_EXPECTED_SIZEOF_PRESENT_BITMAP);
KVMDP_EXPECT(sizeof(struct kvm_demand_paging_event), KVMDP_EXPECTED_SIZEOF_EVENT);
KVMDP_EXPECT(KVM_DEMAND_PAGING_EVENT_WRITE, KVMDP_EXPECTED_DEMAND_PAGING_EVENT_WRITE);
KVMDP_EXPECT(KVM_DEMAND_PAGING_EVENT_VCPU, KVMDP_EXPECTED_DEMAND_PAGING_EVENT_VCPU);
KVMDP_EXPECT(KVM_MARK_PRESENT, KVMDP_EXPECTED_MARK_PRESENT);
KVMDP_EXPECT(KVM_MARK_NON_PRESENT, KVMDP_EXPECTED_MARK_NON_PRESENT);
KVMDP_EXPECT(KVM_MARK_PRESENT_RANGES, KVMDP_EXPECTED_MARK_PRESENT_RANGES);
KVMDP_EXPECT(KVM_GET_PRESENT_BITMAP, KVMDP_EXPECTED_GET_PRESENT_BITMAP);
KVMDP_EXPECT(KVM_CREATE_DEMAND_PAGING_FD, KVMDP_EXPECTED_CREATE_DEMAND_PAGING_FD);

#endif
