#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# update-linux-headers.sh [--check] : refresh jni/linux-headers/, the copy of
# the patched kernel's UAPI headers that the JNI library compiles against.
#
# The headers are the series' own (kernel-patch/ applied to the pristine 6.12
# tree, "make headers_install", by selftests/vm/uapi-headers.sh), and only the
# ones jni/*.c reach (gcc -M): struct layouts and ioctl numbers come from the
# kernel, yet building the Java library needs no kernel tree. QEMU keeps its
# linux-headers/ the same way (scripts/update-linux-headers.sh).
#
# --check: change nothing; exit 1 if the copy differs from what the series
# exports now (run-tests.sh runs this after building the kernel), 0 if not.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/jni/linux-headers
check=0
case "${1:-}" in
	--check) check=1 ;;
	"") ;;
	*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

uapi=$("$root/selftests/vm/uapi-headers.sh" </dev/null)
[ -f "$uapi/linux/kvm.h" ] || { echo "update-linux-headers.sh: no linux/kvm.h under $uapi" >&2; exit 1; }
if [ -z "${JAVA_HOME:-}" ]; then
	JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
fi

# Every header under $uapi that some jni/*.c includes, directly or not.
list=$(for c in "$root"/jni/*.c; do
	gcc -M -I"$uapi" -I"$JAVA_HOME/include" -I"$JAVA_HOME/include/linux" -I"$root/jni" "$c"
done | tr ' \\' '\n\n' | grep "^$uapi/" | sed "s|^$uapi/||" | sort -u)

fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
for h in $list; do
	mkdir -p "$fresh/$(dirname "$h")"
	cp "$uapi/$h" "$fresh/$h"
done
code=$(sed -n 's/^#define LINUX_VERSION_CODE //p' "$uapi/linux/version.h")
version="$((code >> 16)).$(((code >> 8) & 255)).$((code & 255))"
cat >"$fresh/README" <<README
UAPI headers of Linux $version
with kernel-patch/series applied, exported by "make headers_install"; only
the ones jni/*.c include. Do not edit: regenerate with
scripts/update-linux-headers.sh (run-tests.sh checks them with --check).
Licence: as each file says (GPL-2.0 WITH Linux-syscall-note).
README

if [ $check -eq 1 ]; then
	if diff -r "$fresh" "$dest" >/dev/null 2>&1; then
		echo "jni/linux-headers/ matches the series' UAPI headers ($(echo "$list" | wc -l) files)"
		exit 0
	fi
	echo "jni/linux-headers/ differs from the series' UAPI headers; run scripts/update-linux-headers.sh:" >&2
	diff -r "$fresh" "$dest" | head -20 >&2 || true
	exit 1
fi
rm -rf "$dest"
mkdir -p "$dest"
cp -r "$fresh"/. "$dest"/
echo "jni/linux-headers/: $(echo "$list" | wc -l) headers from $uapi"
