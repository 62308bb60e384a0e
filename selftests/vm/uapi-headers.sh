#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# uapi-headers.sh : print an include directory holding the UAPI headers of the
# patched 6.12 tree (kernel-patch/series applied), installing them if needed.
# scripts/update-linux-headers.sh copies the ones the JNI library includes
# into jni/linux-headers/ (so its struct layouts and ioctl numbers are the
# kernel's own); the kernel selftests build against all of them. Also linked
# as $KVMDP_CACHE/uapi-include.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lock_cache
uapi_headers
