#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# postcopy-demo.sh MEMORY_PER_VCPU : run inside the test VM as root (run-demo.sh
# does). Two parts:
#   1. kvmdp bench --mechanism all (KVM demand paging, userfaultfd MISSING,
#      sharded and MINOR and the no-demand-paging baseline, each on a fresh VM,
#      1 warm-up and 3 repetitions in rotated order;
#      MINOR only on shared memory) on anonymous, shmem and hugetlb 2 MiB
#      memory with 1 and 2 vCPUs; CSV files land in
#      $KVMDP_OUT (the host's results directory) for plot-postcopy.py;
#   2. kvmdp migrate of a running guest between two network namespaces joined
#      by a veth pair, once per mechanism: source and destination are separate
#      processes, the destination prints progress and the verdict; then once
#      more with kvm while the veth goes down and up mid-migration: the
#      destination pauses, reconnects, resends what it was waiting for and
#      finishes (postcopy recovery).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
memory=${1:-16M}
out=${KVMDP_OUT:-/tmp}
kvmdp=$root/scripts/kvmdp
say() { printf '\n== %s\n' "$*"; }

# POSTCOPY_DEMO_MIGRATE_ONLY=1 skips part 1, POSTCOPY_DEMO_BENCH_ONLY=1 part 2.
# The benchmark method: one warm-up, then three repetitions with the
# mechanisms in rotated order; pages/s is the median repetition.
for backing in anonymous shmem hugetlb2m; do
	[ "${POSTCOPY_DEMO_MIGRATE_ONLY:-0}" = 1 ] && break
	for vcpus in 1 2; do
		say "kvmdp bench --mechanism all --backing $backing --vcpus $vcpus --memory $memory --warmup 1 --repeat 3"
		"$kvmdp" bench --mechanism all --backing "$backing" --vcpus "$vcpus" \
			--memory "$memory" --warmup 1 --repeat 3 --csv >"$out/bench-$backing-$vcpus.csv"
		cat "$out/bench-$backing-$vcpus.csv"
	done
done
[ "${POSTCOPY_DEMO_BENCH_ONLY:-0}" = 1 ] && exit 0

say "two network namespaces, 10.231.0.1 (source) and 10.231.0.2 (destination)"
ip netns add kvmdp-src
ip netns add kvmdp-dst
trap 'ip netns del kvmdp-src; ip netns del kvmdp-dst' EXIT
ip link add kvmdp-veth0 type veth peer name kvmdp-veth1
ip link set kvmdp-veth0 netns kvmdp-src
ip link set kvmdp-veth1 netns kvmdp-dst
ip -n kvmdp-src addr add 10.231.0.1/24 dev kvmdp-veth0
ip -n kvmdp-dst addr add 10.231.0.2/24 dev kvmdp-veth1
for ns in kvmdp-src kvmdp-dst; do
	ip -n "$ns" link set lo up
done
ip -n kvmdp-src link set kvmdp-veth0 up
ip -n kvmdp-dst link set kvmdp-veth1 up

# start_source [OPTION...]: a 2 x 32M source in its namespace, logging to
# $log; returns once it listens (sets source_pid).
start_source() {
	log=$(mktemp)
	ip netns exec kvmdp-src "$kvmdp" migrate --role source --listen 10.231.0.1:4444 \
		--vcpus 2 --memory 32M --timeout 300 "$@" >"$log" 2>&1 &
	source_pid=$!
	until grep -q "source: listening" "$log"; do
		kill -0 "$source_pid" 2>/dev/null || { cat "$log"; exit 1; }
		sleep 0.5
	done
}

# migrate_once MECHANISM: one migration; the destination's exit status.
migrate_once() {
	local rc=0
	start_source
	ip netns exec kvmdp-dst "$kvmdp" migrate --role destination --connect 10.231.0.1:4444 \
		--mechanism "$1" --backing shmem --timeout 300 2>&1 | tee "$dlog" || rc=$?
	# A failed destination may leave the source waiting for it to come back.
	[ $rc -eq 0 ] || kill "$source_pid" 2>/dev/null || true
	wait "$source_pid" || true
	sed 's/^/  /' "$log"
	rm -f "$log"
	return $rc
}

# QEMU's nested SVM under multi-threaded TCG now and then resumes a vCPU
# with the L1 host's state, with or without this series (README, "The test
# VM": QEMU resumes a busy vCPU with the host's RIP): the guest triple faults
# with its registers at reset values, or spins at a host kernel address,
# outside its program, which the destination's probe reports. kvmdp migrate
# then exits with 4 (EMULATOR_DEFECT): such a run is rerun, loudly, up to 3
# times; any other failure stands. (kvmdp bench reruns such a run by itself.)
dlog=$(mktemp)
for mechanism in kvm uffd-missing uffd-minor; do
	say "kvmdp migrate, 2 vCPUs x 32M, destination on shmem with $mechanism"
	reruns=0
	while :; do
		rc=0
		migrate_once "$mechanism" || rc=$?
		[ $rc -eq 0 ] && break
		[ $rc -eq 4 ] || exit 1
		reruns=$((reruns + 1))
		[ "$reruns" -le 3 ] || exit 1
		say "the emulator broke the nested guest (see above); rerun $reruns of at most 3"
	done
done

say "kvmdp migrate with kvm while the link between the namespaces goes down and up"
# --hold-after-pages, a fault option of the test launcher (KVMDP_FAULT_INJECTION=1,
# not of kvmdp): after 64 pages the source holds back until the destination
# has reconnected, so the drop is always mid-migration.
export KVMDP_FAULT_INJECTION=1
start_source --hold-after-pages 64
unset KVMDP_FAULT_INJECTION
: >"$dlog" # the loop above left the last destination's output there
(
	ip netns exec kvmdp-dst "$kvmdp" migrate --role destination --connect 10.231.0.1:4444 \
		--mechanism kvm --backing shmem --timeout 300 --reconnect-attempts 20 \
		--request-timeout-ms 3000 \
		--reconnect-backoff-ms 200 2>&1 | tee "$dlog"
	exit "${PIPESTATUS[0]}"
) &
destination_pid=$!
until grep -q "guest resumed" "$dlog"; do
	kill -0 "$destination_pid" 2>/dev/null || { cat "$log"; exit 1; }
	sleep 0.2
done
say "link down"
ip -n kvmdp-dst link set kvmdp-veth1 down
until grep -q "reconnecting" "$dlog"; do
	kill -0 "$destination_pid" 2>/dev/null || break
	sleep 0.2
done
sleep 2
say "link up"
ip -n kvmdp-dst link set kvmdp-veth1 up
wait "$destination_pid"
wait "$source_pid"
sed 's/^/  /' "$log"
rm -f "$log" "$dlog"
