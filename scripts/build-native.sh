#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# build-native.sh OUTDIR : build libkvmdp.so and the guest binaries with CMake
# against the patched kernel's UAPI headers (jni/linux-headers/, or
# KVMDP_UAPI_INCLUDE=<dir>) and copy them into OUTDIR (the Maven build passes
# target/classes/org/kvmdp/native so they ship in the jar). No kernel tree is
# needed.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/java/target/native-build

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
cp "$build/jni/libkvmdp.so" "$out/"
cp "$build/java/src/main/guest/"*.bin "$out/"
cp "$root/java/src/main/guest/guest_abi.inc" "$out/"
echo "$uapi" >"$out/uapi-include.txt"
