// SPDX-License-Identifier: Apache-2.0
/*
 * AF_UNIX socket syscalls for org.kvmdp.nativeio.NativeSocket: socket, socketpair,
 * bind/connect to a path, listen, accept4, shutdown, getsockopt, and sendmsg/recvmsg
 * carrying file descriptors (SCM_RIGHTS), which Java's own UNIX-domain channels cannot
 * pass. Each returns the result or -errno and never throws; Java picks the exception.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kvmdp_jni.h"

/* Most fds one message carries: the device backend's setup needs three. */
#define KVMDP_SOCKET_MAX_FDS 16

static jint kvmdp_socket_socket(JNIEnv *env, jclass cls, jint domain, jint type, jint protocol)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(socket(domain, type, protocol));
}

/* Both fds packed in one jlong: the first in the low 32 bits, the second in the high. */
static jlong kvmdp_socket_socketpair(JNIEnv *env, jclass cls, jint domain, jint type,
				     jint protocol)
{
	int fds[2];

	(void)env, (void)cls;
	if (socketpair(domain, type, protocol, fds) < 0)
		return -(jlong)errno;
	return (jlong)(unsigned int)fds[0] | (jlong)(unsigned int)fds[1] << 32;
}

/* Fills @addr for @path; -ENAMETOOLONG if it does not fit sun_path with its NUL. */
static int kvmdp_socket_address(JNIEnv *env, jstring path, struct sockaddr_un *addr)
{
	const char *cpath;
	size_t len;

	cpath = (*env)->GetStringUTFChars(env, path, NULL);
	if (!cpath)
		return -ENOMEM;
	len = strlen(cpath);
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (len >= sizeof(addr->sun_path)) {
		(*env)->ReleaseStringUTFChars(env, path, cpath);
		return -ENAMETOOLONG;
	}
	memcpy(addr->sun_path, cpath, len);
	(*env)->ReleaseStringUTFChars(env, path, cpath);
	return 0;
}

/* bind() or connect() @fd to @path: the same sockaddr_un either way. */
static jint kvmdp_socket_at_path(JNIEnv *env, jint fd, jstring path,
				 int (*op)(int, const struct sockaddr *, socklen_t))
{
	struct sockaddr_un addr;
	int rc;

	rc = kvmdp_socket_address(env, path, &addr);
	if (rc)
		return rc;
	return (jint)KVMDP_SYSCALL(op(fd, (struct sockaddr *)&addr, sizeof(addr)));
}

static jint kvmdp_socket_bind(JNIEnv *env, jclass cls, jint fd, jstring path)
{
	(void)cls;
	return kvmdp_socket_at_path(env, fd, path, bind);
}

static jint kvmdp_socket_connect(JNIEnv *env, jclass cls, jint fd, jstring path)
{
	(void)cls;
	return kvmdp_socket_at_path(env, fd, path, connect);
}

static jint kvmdp_socket_listen(JNIEnv *env, jclass cls, jint fd, jint backlog)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(listen(fd, backlog));
}

/* The peer's address is not asked for: SO_PEERCRED says who connected. */
static jint kvmdp_socket_accept4(JNIEnv *env, jclass cls, jint fd, jint flags)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(accept4(fd, NULL, NULL, flags));
}

/* Wakes a thread blocked in recvmsg on @fd (close alone would not). */
static jint kvmdp_socket_shutdown(JNIEnv *env, jclass cls, jint fd, jint how)
{
	(void)env, (void)cls;
	return (jint)KVMDP_SYSCALL(shutdown(fd, how));
}

/* Writes the option into @address (@length bytes); returns the option's length. */
static jint kvmdp_socket_getsockopt(JNIEnv *env, jclass cls, jint fd, jint level, jint name,
				    jlong address, jint length)
{
	socklen_t len = (socklen_t)length;

	(void)env, (void)cls;
	if (getsockopt(fd, level, name, kvmdp_ptr(address), &len) < 0)
		return -errno;
	return (jint)len;
}

/*
 * Sends @length bytes at @address, with @nfds fds (an int array at @fds) as one
 * SCM_RIGHTS message if @nfds > 0. Returns the bytes sent.
 */
static jlong kvmdp_socket_sendmsg(JNIEnv *env, jclass cls, jint fd, jlong address,
				  jlong length, jlong fds, jint nfds, jint flags)
{
	union {
		char buf[CMSG_SPACE(KVMDP_SOCKET_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = kvmdp_ptr(address), .iov_len = (size_t)length };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	(void)env, (void)cls;
	if (nfds < 0 || nfds > KVMDP_SOCKET_MAX_FDS)
		return -EINVAL;
	if (nfds > 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cmsg), kvmdp_ptr(fds), nfds * sizeof(int));
	}
	return KVMDP_SYSCALL(sendmsg(fd, &msg, flags));
}

/*
 * Receives up to @length bytes into @address and up to @max_fds fds into the int array at
 * @fds (unused slots set to -1). Returns, packed in one jlong, the bytes received (low 32
 * bits), the fds received (bits 32-39) and whether fds were dropped for lack of room
 * (bit 40: MSG_CTRUNC, or more than @max_fds; all dropped ones are closed); or -errno.
 */
static jlong kvmdp_socket_recvmsg(JNIEnv *env, jclass cls, jint fd, jlong address,
				  jlong length, jlong fds, jint max_fds, jint flags)
{
	union {
		char buf[CMSG_SPACE(KVMDP_SOCKET_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = kvmdp_ptr(address), .iov_len = (size_t)length };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	int *out = kvmdp_ptr(fds);
	int received = 0, dropped = 0;
	ssize_t n;

	(void)env, (void)cls;
	if (max_fds < 0 || max_fds > KVMDP_SOCKET_MAX_FDS || length > 0x7fffffff)
		return -EINVAL;
	for (int i = 0; i < max_fds; i++)
		out[i] = -1;
	if (max_fds > 0) {
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(max_fds * sizeof(int));
	}
	n = recvmsg(fd, &msg, flags);
	if (n < 0)
		return -(jlong)errno;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		size_t count;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int passed;

			memcpy(&passed, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			if (received < max_fds) {
				out[received++] = passed;
			} else {
				/* CMSG_SPACE rounds up: room for one more than asked */
				close(passed);
				dropped = 1;
			}
		}
	}
	if (msg.msg_flags & MSG_CTRUNC)
		dropped = 1;
	return (jlong)n | (jlong)received << 32 | (jlong)dropped << 40;
}

static const JNINativeMethod kvmdp_socket_methods[] = {
	{ "socket", "(III)I", (void *)kvmdp_socket_socket },
	{ "socketpair", "(III)J", (void *)kvmdp_socket_socketpair },
	{ "bind", "(ILjava/lang/String;)I", (void *)kvmdp_socket_bind },
	{ "connect", "(ILjava/lang/String;)I", (void *)kvmdp_socket_connect },
	{ "listen", "(II)I", (void *)kvmdp_socket_listen },
	{ "accept4", "(II)I", (void *)kvmdp_socket_accept4 },
	{ "shutdown", "(II)I", (void *)kvmdp_socket_shutdown },
	{ "getsockopt", "(IIIJI)I", (void *)kvmdp_socket_getsockopt },
	{ "sendmsg", "(IJJJII)J", (void *)kvmdp_socket_sendmsg },
	{ "recvmsg", "(IJJJII)J", (void *)kvmdp_socket_recvmsg },
};

int kvmdp_socket_register(JNIEnv *env)
{
	return kvmdp_jni_register(env, "NativeSocket", kvmdp_socket_methods,
				  KVMDP_ARRAY_SIZE(kvmdp_socket_methods));
}
