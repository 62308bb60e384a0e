// SPDX-License-Identifier: Apache-2.0
/*
 * KVM ioctls whose argument struct is small enough to build on the C stack,
 * for org.kvmdp.nativeio.NativeKvm: the demand-paging hot path (one
 * KVM_MARK_PRESENT per fetched page) then costs one JNI crossing and no
 * native buffer. Each returns the ioctl's result or -errno and never throws.
 */
#include <sys/ioctl.h>

#include "kvmdp_jni.h"
#include "kvmdp_uapi.h"

/* KVM_MARK_PRESENT or KVM_MARK_NON_PRESENT (request) on one range. */
static jint kvmdp_kvm_demand_paging_range(JNIEnv *env, jclass cls, jint vm_fd, jlong request,
					  jlong gpa, jlong size, jlong flags, jlong reserved)
{
	struct kvm_demand_paging_range range = {
		.gpa = (__u64)gpa,
		.size = (__u64)size,
		.flags = (__u64)flags,
		.reserved = (__u64)reserved,
	};

	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(ioctl(vm_fd, (unsigned long)request, &range));
}

/*
 * KVM_PRE_FAULT_MEMORY on a vCPU fd for [gpa, gpa + size): 0 once KVM mapped at
 * least the first page (KVM advances the struct past what it mapped, which is
 * of no use to the caller), else -errno.
 */
static jint kvmdp_kvm_pre_fault_memory(JNIEnv *env, jclass cls, jint vcpu_fd, jlong gpa,
				       jlong size)
{
	struct kvm_pre_fault_memory range = {
		.gpa = (__u64)gpa,
		.size = (__u64)size,
	};

	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(ioctl(vcpu_fd, KVM_PRE_FAULT_MEMORY, &range));
}

static const JNINativeMethod kvmdp_kvm_methods[] = {
	{ "demandPagingRange", "(IJJJJJ)I", (void *)kvmdp_kvm_demand_paging_range },
	{ "preFaultMemory", "(IJJ)I", (void *)kvmdp_kvm_pre_fault_memory },
};

int kvmdp_kvm_register(JNIEnv *env)
{
	return kvmdp_jni_register(env, "NativeKvm", kvmdp_kvm_methods,
				  KVMDP_ARRAY_SIZE(kvmdp_kvm_methods));
}
