// SPDX-License-Identifier: Apache-2.0
/*
 * Kicking a thread out of a blocking ioctl (KVM_RUN) for
 * org.kvmdp.nativeio.NativeThread: a real-time signal with an empty handler
 * installed without SA_RESTART, so the interrupted ioctl returns -EINTR.
 * HotSpot uses none of the real-time signals; glibc reserves the first two,
 * which SIGRTMIN already skips.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvmdp_jni.h"

#define KVMDP_KICK_SIGNAL_OFFSET 4

static void kvmdp_thread_on_kick(int sig)
{
	(void)sig; /* only there to interrupt the syscall */
}

/* Idempotent; returns the signal number or -errno. */
static jint kvmdp_thread_install_kick_handler(JNIEnv *env, jclass cls)
{
	struct sigaction sa;
	int sig = SIGRTMIN + KVMDP_KICK_SIGNAL_OFFSET;

	(void)env, (void)cls;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kvmdp_thread_on_kick;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		return -errno;
	return sig;
}

static jint kvmdp_thread_gettid(JNIEnv *env, jclass cls)
{
	(void)env, (void)cls;
	return (jint)gettid();
}

static jint kvmdp_thread_tgkill(JNIEnv *env, jclass cls, jint tid, jint sig)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(syscall(SYS_tgkill, getpid(), tid, sig));
}

static const JNINativeMethod kvmdp_thread_methods[] = {
	{ "installKickHandler", "()I", (void *)kvmdp_thread_install_kick_handler },
	{ "gettid", "()I", (void *)kvmdp_thread_gettid },
	{ "tgkill", "(II)I", (void *)kvmdp_thread_tgkill },
};

int kvmdp_thread_register(JNIEnv *env)
{
	return kvmdp_jni_register(env, "NativeThread", kvmdp_thread_methods,
				  KVMDP_ARRAY_SIZE(kvmdp_thread_methods));
}
