#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# uapi-headers.sh : print an include directory holding the UAPI headers of the
# patched 6.12 tree (kernel-patch/series applied), installing them if needed.
# The JNI library compiles against these, so its struct layouts and ioctl
# numbers are the kernel's own. Also linked as $KVMDP_CACHE/uapi-include.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lock_cache
uapi_headers
