// SPDX-License-Identifier: Apache-2.0
/* Library entry point: registers every Java class's natives once at load. */
#include <stdio.h>

#include "kvmdp_jni.h"

int kvmdp_jni_register(JNIEnv *env, const char *simple_name,
		       const JNINativeMethod *methods, int count)
{
	char name[128];
	jclass cls;
	int rc;

	if (snprintf(name, sizeof(name), "%s%s", KVMDP_PACKAGE, simple_name) >= (int)sizeof(name))
		return -1;
	cls = (*env)->FindClass(env, name);
	if (!cls)
		return -1; /* NoClassDefFoundError pending: names the missing class */
	rc = (*env)->RegisterNatives(env, cls, methods, count);
	(*env)->DeleteLocalRef(env, cls);
	return rc == JNI_OK ? 0 : -1;
}

JNIEXPORT jint JNI_OnLoad(JavaVM *vm, void *reserved)
{
	JNIEnv *env;

	(void)reserved;
	if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK)
		return JNI_ERR;
	if (kvmdp_io_register(env) || kvmdp_mem_register(env) ||
	    kvmdp_uffd_register(env) || kvmdp_thread_register(env) ||
	    kvmdp_layout_register(env) || kvmdp_kvm_register(env) ||
	    kvmdp_socket_register(env))
		return JNI_ERR;
	return JNI_VERSION_1_8;
}
