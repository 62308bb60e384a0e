// SPDX-License-Identifier: Apache-2.0
/*
 * File-descriptor syscalls for org.kvmdp.nativeio.NativeIo: open/close, ioctl,
 * fcntl, read/write, pread/pwrite, poll, eventfd, dup3, strerror. Each returns the
 * result or -errno and never throws; Java picks the exception.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvmdp_jni.h"

static jint kvmdp_io_open(JNIEnv *env, jclass cls, jstring path, jint flags, jint mode)
{
	const char *cpath;
	int fd, err;

	(void)cls;
	cpath = (*env)->GetStringUTFChars(env, path, NULL);
	if (!cpath)
		return -ENOMEM;
	fd = open(cpath, flags, (mode_t)mode);
	err = errno;
	(*env)->ReleaseStringUTFChars(env, path, cpath);
	return fd < 0 ? -err : fd; /* errno saved before the JNI release call */
}

/* No EINTR retry: Linux releases the fd even when close() reports EINTR. */
static jint kvmdp_io_close(JNIEnv *env, jclass cls, jint fd)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(close(fd));
}

/* arg is either an integer argument or the address of the ioctl's struct. */
static jlong kvmdp_io_ioctl(JNIEnv *env, jclass cls, jint fd, jlong request, jlong arg)
{
	(void)env, (void)cls;
	return KVMDP_SYSCALL(ioctl(fd, (unsigned long)request, (unsigned long)arg));
}

/* Integer-argument commands only (F_GETFL, F_SETFL, ...). */
static jint kvmdp_io_fcntl(JNIEnv *env, jclass cls, jint fd, jint cmd, jlong arg)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(fcntl(fd, cmd, (long)arg));
}

static jlong kvmdp_io_read(JNIEnv *env, jclass cls, jint fd, jlong address, jlong length)
{
	(void)env, (void)cls;
	return KVMDP_SYSCALL(read(fd, kvmdp_ptr(address), (size_t)length));
}

static jlong kvmdp_io_write(JNIEnv *env, jclass cls, jint fd, jlong address, jlong length)
{
	(void)env, (void)cls;
	return KVMDP_SYSCALL(write(fd, kvmdp_ptr(address), (size_t)length));
}

static jlong kvmdp_io_pread(JNIEnv *env, jclass cls, jint fd, jlong address, jlong length,
			    jlong offset)
{
	(void)env, (void)cls;
	return KVMDP_SYSCALL(pread(fd, kvmdp_ptr(address), (size_t)length, (off_t)offset));
}

static jlong kvmdp_io_pwrite(JNIEnv *env, jclass cls, jint fd, jlong address, jlong length,
			     jlong offset)
{
	(void)env, (void)cls;
	return KVMDP_SYSCALL(pwrite(fd, kvmdp_ptr(address), (size_t)length, (off_t)offset));
}

/* pollfds is an array of struct pollfd in native memory; EINTR goes back to Java. */
static jint kvmdp_io_poll(JNIEnv *env, jclass cls, jlong pollfds, jint count, jint timeout_ms)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(poll(kvmdp_ptr(pollfds), (nfds_t)count, timeout_ms));
}

static jint kvmdp_io_eventfd(JNIEnv *env, jclass cls, jint initial_value, jint flags)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(eventfd((unsigned int)initial_value, flags));
}

static jint kvmdp_io_dup3(JNIEnv *env, jclass cls, jint old_fd, jint new_fd, jint flags)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(dup3(old_fd, new_fd, flags));
}

static jstring kvmdp_io_strerror(JNIEnv *env, jclass cls, jint errnum)
{
	char buf[256];

	(void)cls;
	/* GNU strerror_r returns a pointer that may or may not be buf. */
	return (*env)->NewStringUTF(env, strerror_r(errnum, buf, sizeof(buf)));
}

static const JNINativeMethod kvmdp_io_methods[] = {
	{ "open", "(Ljava/lang/String;II)I", (void *)kvmdp_io_open },
	{ "close", "(I)I", (void *)kvmdp_io_close },
	{ "ioctl", "(IJJ)J", (void *)kvmdp_io_ioctl },
	{ "fcntl", "(IIJ)I", (void *)kvmdp_io_fcntl },
	{ "read", "(IJJ)J", (void *)kvmdp_io_read },
	{ "write", "(IJJ)J", (void *)kvmdp_io_write },
	{ "pread", "(IJJJ)J", (void *)kvmdp_io_pread },
	{ "pwrite", "(IJJJ)J", (void *)kvmdp_io_pwrite },
	{ "poll", "(JII)I", (void *)kvmdp_io_poll },
	{ "eventfd", "(II)I", (void *)kvmdp_io_eventfd },
	{ "dup3", "(III)I", (void *)kvmdp_io_dup3 },
	{ "strerror", "(I)Ljava/lang/String;", (void *)kvmdp_io_strerror },
};

int kvmdp_io_register(JNIEnv *env)
{
	return kvmdp_jni_register(env, "NativeIo", kvmdp_io_methods,
				  KVMDP_ARRAY_SIZE(kvmdp_io_methods));
}
