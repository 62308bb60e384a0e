// SPDX-License-Identifier: Apache-2.0
/*
 * Memory syscalls for org.kvmdp.nativeio.NativeMem: mmap/munmap/madvise,
 * memfd_create, ftruncate, fallocate. Addresses are jlongs; failures -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmdp_jni.h"

/* User addresses stay below 2^47, so an address never looks like -errno. */
static jlong kvmdp_mem_mmap(JNIEnv *env, jclass cls, jlong address, jlong length, jint prot,
			    jint flags, jint fd, jlong offset)
{
	void *p;

	(void)env, (void)cls;
	p = mmap(kvmdp_ptr(address), (size_t)length, prot, flags, fd, (off_t)offset);
	return p == MAP_FAILED ? -(jlong)errno : (jlong)(unsigned long)p;
}

static jint kvmdp_mem_munmap(JNIEnv *env, jclass cls, jlong address, jlong length)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(munmap(kvmdp_ptr(address), (size_t)length));
}

static jint kvmdp_mem_madvise(JNIEnv *env, jclass cls, jlong address, jlong length, jint advice)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(madvise(kvmdp_ptr(address), (size_t)length, advice));
}

static jint kvmdp_mem_memfd_create(JNIEnv *env, jclass cls, jstring name, jint flags)
{
	const char *cname;
	int fd, err;

	(void)cls;
	cname = (*env)->GetStringUTFChars(env, name, NULL);
	if (!cname)
		return -ENOMEM;
	fd = memfd_create(cname, (unsigned int)flags);
	err = errno;
	(*env)->ReleaseStringUTFChars(env, name, cname);
	return fd < 0 ? -err : fd; /* errno saved before the JNI release call */
}

static jint kvmdp_mem_ftruncate(JNIEnv *env, jclass cls, jint fd, jlong length)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(ftruncate(fd, (off_t)length));
}

static jint kvmdp_mem_fallocate(JNIEnv *env, jclass cls, jint fd, jint mode, jlong offset,
				jlong length)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(fallocate(fd, mode, (off_t)offset, (off_t)length));
}

static const JNINativeMethod kvmdp_mem_methods[] = {
	{ "mmap", "(JJIIIJ)J", (void *)kvmdp_mem_mmap },
	{ "munmap", "(JJ)I", (void *)kvmdp_mem_munmap },
	{ "madvise", "(JJI)I", (void *)kvmdp_mem_madvise },
	{ "memfdCreate", "(Ljava/lang/String;I)I", (void *)kvmdp_mem_memfd_create },
	{ "ftruncate", "(IJ)I", (void *)kvmdp_mem_ftruncate },
	{ "fallocate", "(IIJJ)I", (void *)kvmdp_mem_fallocate },
};

int kvmdp_mem_register(JNIEnv *env)
{
	return kvmdp_jni_register(env, "NativeMem", kvmdp_mem_methods,
				  KVMDP_ARRAY_SIZE(kvmdp_mem_methods));
}
