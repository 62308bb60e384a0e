#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# run-in-vm.sh [options] -- COMMAND [ARGS...]
#
# Boot the test kernel (built first by build-kernel.sh if needed) under QEMU
# with software emulation and -cpu max (SVM + nested paging), share the host
# root read-only over virtio-9p, run COMMAND as root in the guest (same working
# directory, KVMDP_* variables passed through, KVMDP_OUT=/out writable), power off.
#
# Exit status: COMMAND's; 124 on timeout; 125 when the guest died before
# COMMAND finished (under --thread multi, a guest that died while booting,
# before COMMAND started, is booted once more first); 126 when dmesg has a
# kernel splat (WARN, BUG, Oops, KASAN, lockdep, RCU, kmemleak) even though
# COMMAND passed.
#
# Options:
#   --debug            boot the debug kernel (KASAN, lockdep, kmemleak, ...)
#   --rt               boot the PREEMPT_RT kernel (lockdep, atomic-sleep checks; not in CI)
#   --smp N            vCPUs of the test VM (default 2)
#   --mem SIZE         RAM of the test VM (default 6G)
#   --hugepages N      2 MiB pages reserved at boot (default 512)
#   --thread single|multi  TCG threading (default single; multi for races and benchmarks:
#                      safe because guest-init.sh keeps an anchor VM open, see kvm-anchor.c)
#   --timeout SECONDS  hard limit for the whole boot + command (default 1800)
#   --append ARGS      extra kernel command line (e.g. kvm_amd.npt=0)
#   --out DIR          host directory mounted at /out (default: new temp dir)
#   --kernel IMAGE     boot this bzImage instead of building one (e.g. a saved
#                      build of an older series, to show a test failing on it)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=normal smp=2 mem=6G hugepages=512 thread=single timeout_s=1800 append="" out="" kernel=""
while [ $# -gt 0 ]; do
	case "$1" in
	--debug) flavour=debug ;;
	--rt) flavour=rt ;;
	--smp) smp=${2:?--smp needs a number}; shift ;;
	--mem) mem=${2:?--mem needs a size}; shift ;;
	--hugepages) hugepages=${2:?--hugepages needs a number}; shift ;;
	--thread) thread=${2:?--thread needs single or multi}; shift ;;
	--timeout) timeout_s=${2:?--timeout needs seconds}; shift ;;
	--append) append=${2?--append needs kernel arguments}; shift ;;
	--out) out=${2:?--out needs a directory}; shift ;;
	--kernel) kernel=${2:?--kernel needs a bzImage}; shift ;;
	--) shift; break ;;
	*) die "unknown option $1 (see the header of $0)" ;;
	esac
	shift
done
[ $# -gt 0 ] || die "usage: run-in-vm.sh [options] -- COMMAND [ARGS...]"
case "$thread" in single|multi) ;; *) die "--thread must be single or multi" ;; esac

apt_install qemu-system-x86 gcc libc6-dev # gcc: the anchor VM helper below
build_args=()
[ "$flavour" = normal ] || build_args+=(--"$flavour")
[ -n "$kernel" ] || kernel=$("$(dirname "$0")/build-kernel.sh" "${build_args[@]}" | tail -n 1)
[ -f "$kernel" ] || die "no kernel image at $kernel"

# The anchor VM that guest-init.sh keeps open for the whole boot (kvm-anchor.c).
anchor=$KVMDP_CACHE/kvm-anchor
anchor_src=$(dirname "$0")/kvm-anchor.c
if [ ! -x "$anchor" ] || [ "$anchor_src" -nt "$anchor" ]; then
	mkdir -p "$KVMDP_CACHE"
	# Per-process temporary name: two test VMs may start at once (run-tests.sh).
	gcc -O2 -Wall -Werror -o "$anchor.tmp.$$" "$anchor_src" && mv "$anchor.tmp.$$" "$anchor" ||
		die "cannot build $anchor_src"
fi

[ -n "$out" ] || out=$(mktemp -d /tmp/kvmdp-vm.XXXXXX)
mkdir -p "$out"
out=$(cd "$out" && pwd)
state=$out/.kvmdp
rm -rf "$state"
mkdir -p "$state"
# The guest mounts the out share on /out: the mount point must exist on the
# (read-only) shared root.
[ -d /out ] || mkdir /out

# Host paths the command needs even if the guest's tmpfs mounts hide them.
printf '%s\n' "$PWD" "$KVMDP_ROOT" >"$state/host-paths"
echo "$anchor" >"$state/anchor"
# When guest-init.sh dumps what a command that is still running is doing (Java
# thread dumps, blocked tasks), in guest uptime seconds: a hang then shows
# where it is, not only that the VM ran out of time.
dump_margin=$(( timeout_s >= 1200 ? 240 : timeout_s / 5 ))
echo $(( timeout_s - dump_margin )) >"$state/dump-at"

# The command, its working directory and KVMDP_* environment, for guest-init.sh.
{
	printf 'cd %q || exit 125\n' "$PWD"
	env | { grep -E '^KVMDP_[A-Z0-9_]*=' || true; } | { grep -v -E '^KVMDP_(OUT|IN_VM)=' || true; } |
		while IFS='=' read -r k v; do printf 'export %s=%q\n' "$k" "$v"; done
	printf '%q ' "$@"
	echo
} >"$state/cmd"

cmdline="console=ttyS0 root=root rootfstype=9p"
cmdline+=" rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose"
cmdline+=" ro init=$(cd "$(dirname "$0")" && pwd)/guest-init.sh panic=-1 quiet"
cmdline+=" hugepages=$hugepages transparent_hugepage=madvise $append"
cpu=max
# KVM refuses to load on PREEMPT_RT without a constant TSC, which -cpu max
# under TCG does not announce (CPUID 0x80000007 EDX[8], invariant TSC).
[ "$flavour" = rt ] && cpu=max,+invtsc,x-force-features=on
if [ "$flavour" = debug ]; then
	# -cpu max offers LA57. With 5-level paging, KASAN's idea of where its
	# shadow starts depends on the LA57 CPU feature bit, which identify_cpu()
	# clears and sets again while interrupts are on at boot: an interrupt in
	# that window is reported as a KASAN wild-memory-access in
	# do_raw_spin_lock (seen in two CI runs, in boot code before any KVM
	# code). 4-level paging, as on most hardware, has no such window.
	cmdline+=" no5lvl"
fi

log "booting $(basename "$(dirname "$(dirname "$(dirname "$(dirname "$kernel")")")")") ($flavour, smp $smp, $mem, tcg thread=$thread); results in $out"
# Under multi-threaded TCG the kernel now and then Oopses on an int3 while it
# patches its own text at boot (static keys; seen in sched_clock_cpu before
# init ran: README "The test VM"). A guest that died before guest-init.sh
# started the command gets one more boot: nothing had run, so only the boot
# is retried, and both consoles are kept. A death once the command started,
# and any death under single-threaded TCG, is the run's result.
boots=1
[ "$thread" = multi ] && boots=2
# Under multi-threaded TCG the whole guest has been seen to freeze (no CPU
# runs the guest's own watchdog): stall-watch.py then asks QEMU's monitor
# where the vCPUs are, once (KVMDP_STALL_S seconds without console output).
monitor=(-monitor none) watcher=""
if [ "$thread" = multi ]; then
	rm -f "$state/monitor.sock"
	monitor=(-monitor "unix:$state/monitor.sock,server,nowait")
	python3 "$(dirname "$0")/stall-watch.py" "$out/console.log" "$state/monitor.sock" \
		"${KVMDP_STALL_S:-240}" "$out/vcpu-registers.txt" &
	watcher=$!
fi
for boot in $(seq "$boots"); do
	set +e
	timeout -k 10 "$timeout_s" qemu-system-x86_64 \
		-machine q35 -accel tcg,thread="$thread" -cpu "$cpu" -smp "$smp" -m "$mem" \
		-display none "${monitor[@]}" -serial stdio -no-reboot \
		-kernel "$kernel" -append "$cmdline" \
		-virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap \
		-virtfs local,path="$out",mount_tag=out,security_model=none,multidevs=remap \
		</dev/null 2>&1 | sed -u 's/\r$//' | tee "$out/console.log"
	qemu_rc=${PIPESTATUS[0]}
	set -e
	if [ "$qemu_rc" -eq 124 ] || [ -f "$state/started" ] || [ "$boot" -eq "$boots" ]; then
		break
	fi
	mv "$out/console.log" "$out/console-boot$boot.log"
	log "the guest died while booting, before the command started (qemu exit $qemu_rc; see" \
		"$out/console-boot$boot.log); booting it again, once"
done

[ -z "$watcher" ] || kill "$watcher" 2>/dev/null || true
if [ "$qemu_rc" -eq 124 ]; then
	log "timeout: the VM ran longer than $timeout_s s"
	exit 124
fi
if [ ! -f "$state/rc" ]; then
	log "the guest died before the command finished (qemu exit $qemu_rc); see $out/console.log"
	exit 125
fi
rc=$(cat "$state/rc")
if [ -f "$state/dumped" ] && [ "$rc" -eq 0 ]; then
	log "the command finished less than $dump_margin s before the time limit, after the" \
		"watchdog's dump: counted as a timeout (raise --timeout or shorten the run)"
	rc=124
fi

# A kernel splat anywhere fails the run, whatever the command said.
# (lockdep reports start with "WARNING:"; "RCU lockdep checking is enabled" is not one.)
splat='WARNING:|BUG:|Oops|KASAN:|UBSAN:|general protection fault|possible (recursive|circular) locking'
splat+='|inconsistent lock state|suspicious RCU usage|blocked for more than|Call Trace:|kernel BUG|already present!'
if grep -E -n "$splat" "$state/dmesg.txt" "$out/console.log" >"$state/splats.txt"; then
	log "kernel splat in the guest log:"
	head -n 20 "$state/splats.txt" >&2
	[ "$rc" -eq 0 ] && rc=126
fi
if [ -s "$state/kmemleak.txt" ]; then
	log "kmemleak reports leaks:"
	head -n 20 "$state/kmemleak.txt" >&2
	[ "$rc" -eq 0 ] && rc=126
fi
log "guest command exit status $rc"
exit "$rc"
