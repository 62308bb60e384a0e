/* SPDX-License-Identifier: Apache-2.0 */
/* Shared declarations of the kvmdp JNI library: one register function per Java class. */
#ifndef KVMDP_JNI_H
#define KVMDP_JNI_H

#include <errno.h>
#include <jni.h>

#define KVMDP_PACKAGE "org/kvmdp/nativeio/"
#define KVMDP_ARRAY_SIZE(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Registers @methods on class KVMDP_PACKAGE @simple_name; 0 or -1 (exception pending). */
int kvmdp_jni_register(JNIEnv *env, const char *simple_name,
		       const JNINativeMethod *methods, int count);

int kvmdp_io_register(JNIEnv *env);
int kvmdp_mem_register(JNIEnv *env);
int kvmdp_uffd_register(JNIEnv *env);
int kvmdp_thread_register(JNIEnv *env);
int kvmdp_layout_register(JNIEnv *env);
int kvmdp_kvm_register(JNIEnv *env);
int kvmdp_socket_register(JNIEnv *env);

/*
 * Evaluates a libc call once and yields its result, or -errno on failure, as a jlong.
 * errno is read only after the call returned (as function arguments, the order would
 * be unspecified).
 */
#define KVMDP_SYSCALL(call)                                        \
	({                                                         \
		long kvmdp_rc_ = (long)(call);                     \
		kvmdp_rc_ < 0 ? -(jlong)errno : (jlong)kvmdp_rc_; \
	})

static inline void *kvmdp_ptr(jlong address)
{
	return (void *)(unsigned long)address;
}

#endif
