// SPDX-License-Identifier: Apache-2.0
/*
 * userfaultfd(2) for org.kvmdp.nativeio.NativeUffd. glibc has no wrapper, so
 * this is the raw syscall; the UFFDIO_* ioctls go through NativeIo.ioctl.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvmdp_jni.h"

static jint kvmdp_uffd_userfaultfd(JNIEnv *env, jclass cls, jint flags)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(syscall(SYS_userfaultfd, flags));
}

static const JNINativeMethod kvmdp_uffd_methods[] = {
	{ "userfaultfd", "(I)I", (void *)kvmdp_uffd_userfaultfd },
};

int kvmdp_uffd_register(JNIEnv *env)
{
	return kvmdp_jni_register(env, "NativeUffd", kvmdp_uffd_methods,
				  KVMDP_ARRAY_SIZE(kvmdp_uffd_methods));
}
