#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# apply-series.sh LINUX_GIT_TREE
#
# Reset LINUX_GIT_TREE to its pristine 6.12 commit (tag "pristine") and
# apply every patch named in kernel-patch/series with git am, in order.
# An empty series is valid and leaves the pristine tree.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tree=${1:?usage: apply-series.sh LINUX_GIT_TREE}

git -C "$tree" rev-parse -q --verify pristine >/dev/null ||
	{ echo "error: $tree has no 'pristine' tag" >&2; exit 1; }

git -C "$tree" am --abort >/dev/null 2>&1 || true
git -C "$tree" checkout -q -f -B kvmdp pristine
git -C "$tree" clean -q -f -d

n=0
while read -r patch; do
	case "$patch" in ''|'#'*) continue ;; esac
	[ -f "$here/$patch" ] || { echo "error: series names missing $patch" >&2; exit 1; }
	if ! git -C "$tree" -c user.name=kvmdp -c user.email=kvmdp@localhost \
		am -q --keep-cr "$here/$patch"; then
		git -C "$tree" am --abort || true
		echo "error: $patch does not apply to $(git -C "$tree" describe --always pristine)" >&2
		exit 1
	fi
	n=$((n + 1))
done < "$here/series"
echo "applied $n patch(es) on pristine"
