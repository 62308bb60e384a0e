#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# build-native.sh jni|guests OUTDIR : build libkvmdp.so and the guest binaries
# with CMake against the patched kernel's UAPI headers (jni/linux-headers/, or
# KVMDP_UAPI_INCLUDE=<dir>) and copy one of them into OUTDIR: libkvmdp.so
# (jni; java/core's build passes its target/classes/org/kvmdp/native) or the
# guest programs and guest_abi.inc (guests; java/guest-harness's). Both share
# one CMake build directory, so the second call only checks it is up to date.
# No kernel tree is needed.
set -euo pipefail

usage() { echo "usage: $0 jni|guests OUTDIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
what=$1
out=$2
case "$what" in jni|guests) ;; *) usage ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/java/core/target/native-build

# The series' UAPI headers, kept in the tree (scripts/update-linux-headers.sh
# refreshes them; run-tests.sh checks they match the series).
uapi=${KVMDP_UAPI_INCLUDE:-$root/jni/linux-headers}
[ -f "$uapi/linux/kvm.h" ] ||
	{ echo "build-native.sh: no linux/kvm.h under '$uapi'" >&2; exit 1; }

# FindJNI needs JAVA_HOME when the JDK is only reachable through PATH.
if [ -z "${JAVA_HOME:-}" ]; then
	JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
	export JAVA_HOME
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
	-DKVMDP_UAPI_INCLUDE="$uapi" >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null || {
	# Re-run verbosely so the compiler's message reaches the Maven log.
	cmake --build "$build" -j 1
	exit 1
}

mkdir -p "$out"
if [ "$what" = jni ]; then
	cp "$build/jni/libkvmdp.so" "$out/"
	echo "$uapi" >"$out/uapi-include.txt"
else
	cp "$build/java/guest-harness/src/main/guest/"*.bin "$out/"
	cp "$root/java/guest-harness/src/main/guest/guest_abi.inc" "$out/"
fi
