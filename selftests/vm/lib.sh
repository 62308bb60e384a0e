# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the kernel build and VM runner scripts (sourced, not run).

KVMDP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KVMDP_CACHE=${KVMDP_CACHE:-$HOME/.cache/kvmdp}
KVMDP_SRC=$KVMDP_CACHE/linux
KVMDP_LINUX_TARBALL=${KVMDP_LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# apt_install PKG... : install the Debian packages that are missing.
apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing Debian packages: ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || die "need root to install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null ||
		die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

# install_project_deps : what the Java build, the VM runs and the result
# summary need on a fresh Debian 12 machine (the kernel build installs its own);
# iproute2 for the migrate tests' network namespaces.
install_project_deps() {
	apt_install openjdk-17-jdk-headless maven cmake gcc make binutils python3 bc \
		qemu-system-x86 iproute2
}

# build_dir FLAVOUR : where the kernel of that flavour is built (make O=).
build_dir() { echo "$KVMDP_CACHE/build-$1"; }

# with_ticker LOG CMD... : run CMD with output to LOG, printing progress
# every 30 s so long builds do not look hung; on failure show the log tail.
with_ticker() {
	local logf=$1 pid rc start=$SECONDS next=30
	shift
	"$@" >"$logf" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		if [ $((SECONDS - start)) -ge $next ] && kill -0 "$pid" 2>/dev/null; then
			log "  ... $((SECONDS - start)) s, $(grep -c -E '^ +(CC|LD|AR|AS)' "$logf") objects so far"
			next=$((next + 30))
		fi
	done
	wait "$pid"
	rc=$?
	if [ $rc -ne 0 ]; then
		tail -n 40 "$logf" >&2
		log "failed (exit $rc), full log: $logf"
	fi
	return $rc
}

# series_key EXTRA... : a short hash of the series, its patches and EXTRA files.
series_key() {
	{ cat "$KVMDP_ROOT/kernel-patch/series"
	  grep -v '^#' "$KVMDP_ROOT/kernel-patch/series" | while read -r p; do
		[ -z "$p" ] || cat "$KVMDP_ROOT/kernel-patch/$p"; done
	  [ $# -eq 0 ] || cat "$@"; } | sha256sum | cut -c1-16
}

# prepare_tree : make $KVMDP_SRC a git tree whose first commit is the pristine
# Debian source (tag "pristine") with kernel-patch/series applied on top.
# Re-applies only when the series changed since the last time.
prepare_tree() {
	apt_install linux-source-6.12 build-essential flex bison bc libelf-dev \
		libssl-dev cpio ccache git rsync python3 pkg-config
	mkdir -p "$KVMDP_CACHE"
	if ! git -C "$KVMDP_SRC" rev-parse -q --verify pristine >/dev/null 2>&1; then
		[ -f "$KVMDP_LINUX_TARBALL" ] || die "missing $KVMDP_LINUX_TARBALL"
		log "extracting $(basename "$KVMDP_LINUX_TARBALL") into $KVMDP_SRC"
		rm -rf "$KVMDP_SRC" "$KVMDP_CACHE/linux-source-6.12"
		tar -C "$KVMDP_CACHE" -xf "$KVMDP_LINUX_TARBALL"
		mv "$KVMDP_CACHE/linux-source-6.12" "$KVMDP_SRC"
		local ver
		ver=$(make -s -C "$KVMDP_SRC" kernelversion)
		log "making the pristine git commit for $ver"
		git -C "$KVMDP_SRC" init -q
		# No auto-gc in the cache tree: the pristine commit leaves ~80k loose
		# objects, and the gc it would start in the background outlived this
		# script holding the cache lock (see lock_cache).
		git -C "$KVMDP_SRC" config gc.auto 0
		# Debian's top-level .gitignore ignores everything ("/*"): add with -f.
		git -C "$KVMDP_SRC" add -A -f
		# Fixed identity and dates: the same tarball always gives the same
		# commit id, so the series' base-commit is reproducible.
		GIT_AUTHOR_DATE=2025-01-01T00:00:00Z GIT_COMMITTER_DATE=2025-01-01T00:00:00Z \
		git -C "$KVMDP_SRC" -c user.name=kvmdp -c user.email=kvmdp@localhost \
			commit -q -m "Linux $ver (Debian linux-source-6.12, pristine)"
		git -C "$KVMDP_SRC" tag pristine
	fi
	local key stamp=$KVMDP_SRC/.git/kvmdp-series
	key=$(series_key)
	if [ "${KVMDP_KEEP_TREE:-0}" = 1 ]; then
		log "KVMDP_KEEP_TREE=1: building $KVMDP_SRC as it is"
	elif [ "$(cat "$stamp" 2>/dev/null)" != "$key" ] ||
		[ -n "$(git -C "$KVMDP_SRC" status --porcelain --untracked-files=no)" ]; then
		log "applying kernel-patch/series"
		# Trees made before gc.auto was set at init get it here.
		git -C "$KVMDP_SRC" config gc.auto 0
		"$KVMDP_ROOT/kernel-patch/apply-series.sh" "$KVMDP_SRC" >&2 9>&-
		echo "$key" >"$stamp"
	fi
}

# uapi_headers : install the tree's UAPI headers; prints the include dir.
uapi_headers() {
	prepare_tree
	local key dir
	key=$(series_key)
	dir=$KVMDP_CACHE/uapi-$key
	if [ ! -f "$dir/usr/include/linux/kvm.h" ]; then
		log "installing UAPI headers into $dir"
		make -s -C "$KVMDP_SRC" O="$dir" headers >/dev/null || die "make headers failed"
	fi
	ln -sfn "$dir/usr/include" "$KVMDP_CACHE/uapi-include"
	echo "$dir/usr/include"
}

# lock_cache : serialize scripts that write the shared source tree or build
# directories (parallel builds in one tree corrupt it). Held until exit.
# bash cannot open fd 9 close-on-exec, so every command run under the lock
# inherits it; a command that leaves a process behind (git's detached auto-gc
# did, for a minute after the pristine commit) would hold the lock after this
# script exits. Hence gc.auto=0 in the cache tree, git() below and "9>&-" on
# the commands prepare_tree runs: nothing this script starts keeps fd 9.
lock_cache() {
	mkdir -p "$KVMDP_CACHE"
	exec 9>"$KVMDP_CACHE/.lock"
	if ! flock -n 9; then
		log "waiting for another kernel build or header install to finish"
		flock 9
	fi
}

# git ARGS... : git without the cache lock's fd and without auto-gc, whatever
# the repository's config says.
git() { command git -c gc.auto=0 "$@" 9>&-; }
