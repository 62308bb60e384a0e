/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UAPI numbers that the demand-paging kernel series adds to linux/kvm.h.
 *
 * Empty on purpose for now: the library builds against stock 6.12 headers.
 * The next issue adds here, each guarded by a build-time check against the
 * patched kernel's include/uapi/linux/kvm.h (KVMDP_UAPI_INCLUDE), e.g.
 *
 *   #ifndef KVM_CAP_DEMAND_PAGING
 *   #error "linux/kvm.h lacks KVM_CAP_DEMAND_PAGING: build against the patched tree"
 *   #endif
 *
 * for KVM_CAP_DEMAND_PAGING, KVM_MEMORY_EXIT_FLAG_NOT_PRESENT, KVM_MARK_PRESENT,
 * KVM_MARK_NON_PRESENT, KVM_CREATE_DEMAND_PAGING_FD and KVM_GET_PRESENT_BITMAP,
 * and kvmdp_layout.c exports them by name like every other constant.
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

#endif
