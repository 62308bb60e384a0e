#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# build-kernel.sh [--debug | --rt] [--force]
#
# Build the test kernel: pristine Debian linux-source-6.12 + kernel-patch/series,
# configured from x86_64_defconfig + kvm_guest.config + Kconfig-notes/kvmdp.config
# (+ debug.config with --debug, rt.config with --rt), with ccache, outside the git tree in
# $KVMDP_CACHE (default ~/.cache/kvmdp). Also builds the kernel's own KVM
# selftests from the same tree. Skips everything when the series, fragments
# and this script are unchanged since the last successful build.
#
# Prints the bzImage path on stdout when done.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=normal force=0
for a in "$@"; do
	case "$a" in
	--debug) flavour=debug ;;
	--rt) flavour=rt ;;
	--force) force=1 ;;
	*) die "unknown option $a (use --debug, --rt, --force)" ;;
	esac
done

out=$(build_dir "$flavour")
frags=("$KVMDP_ROOT/Kconfig-notes/kvmdp.config")
[ "$flavour" = debug ] && frags+=("$KVMDP_ROOT/Kconfig-notes/debug.config")
[ "$flavour" = rt ] && frags+=("$KVMDP_ROOT/Kconfig-notes/rt.config")

# What decides the kernel: the series, the config fragments, the flavour and
# the build recipe below (bump its version when changing make's arguments).
recipe="flavour=$flavour recipe=2"
key=$(series_key "${frags[@]}" <(echo "$recipe"))

up_to_date() {
	[ $force -eq 0 ] && [ -f "$out/kvmdp.key" ] && [ "$(cat "$out/kvmdp.key")" = "$key" ] &&
		[ -f "$out/arch/x86/boot/bzImage" ]
}
# Checked before and after taking the lock: an up-to-date kernel never waits
# for another flavour's build, and a build finished meanwhile is not redone.
if up_to_date || { lock_cache && up_to_date; }; then
	log "kernel ($flavour) is up to date: key $key"
	echo "$out/arch/x86/boot/bzImage"
	exit 0
fi

# 1. Pristine source + series.
prepare_tree

# 2. Configure.
export CCACHE_DIR=$KVMDP_CACHE/ccache CCACHE_BASEDIR=$KVMDP_CACHE CCACHE_NOHASHDIR=1
ccache -M 8G >/dev/null
mkdir -p "$out"
# LOCALVERSION= (empty): no "+" for the git tree; the release is 6.12.118-kvmdp.
mk=(make -C "$KVMDP_SRC" O="$out" -j"$(($(nproc) + 1))" CC="ccache gcc" LOCALVERSION=
	KBUILD_BUILD_USER=kvmdp KBUILD_BUILD_HOST="series-$key")
log "configuring ($flavour)"
"${mk[@]}" -s x86_64_defconfig >/dev/null
(cd "$out" && "$KVMDP_SRC/scripts/kconfig/merge_config.sh" -m -O "$out" .config \
	"$KVMDP_SRC/kernel/configs/kvm_guest.config" "${frags[@]}" >/dev/null)
"${mk[@]}" -s olddefconfig >/dev/null
# Every option of our fragments must have survived olddefconfig; where two
# fragments set one option, the later one's value counts (as in merge_config.sh:
# rt.config turns off THP, which PREEMPT_RT excludes).
for f in "${frags[@]}"; do
	grep -E '^CONFIG_[A-Z0-9_]+=' "$f" | sed "s|\$|=$f|"
done | tac | awk -F= '!seen[$1]++' | while IFS='=' read -r opt val f; do
	if [ "$val" = n ]; then
		if grep -q "^$opt=" "$out/.config"; then die "$opt should be off ($f)"; fi
	elif ! grep -q "^$opt=$val\$" "$out/.config"; then
		die "$opt=$val did not stick ($f)"
	fi
done

# 3. Build.
log "building bzImage ($flavour) in $out (log: $out/build.log)"
with_ticker "$out/build.log" "${mk[@]}" bzImage || exit 1
log "installing UAPI headers and building the kernel's KVM selftests"
with_ticker "$out/headers.log" "${mk[@]}" headers || exit 1
mkdir -p "$out/kselftest-kvm"
with_ticker "$out/kselftest.log" make -C "$KVMDP_SRC/tools/testing/selftests/kvm" \
	-j"$(($(nproc) + 1))" OUTPUT="$out/kselftest-kvm" \
	KHDR_INCLUDES="-isystem $out/usr/include" || exit 1

echo "$key" >"$out/kvmdp.key"
log "kernel $(cat "$out/include/config/kernel.release") ($flavour) built, key $key"
echo "$out/arch/x86/boot/bzImage"
