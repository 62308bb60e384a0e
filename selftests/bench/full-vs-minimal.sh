#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# full-vs-minimal.sh : issue 11's "the engine's KVM rate within 10% of the
# minimal handler's", like for like. Run inside the test VM (multi-threaded TCG):
#   selftests/vm/run-in-vm.sh --thread multi --out results/fvm -- selftests/bench/full-vs-minimal.sh
#   selftests/bench/full-vs-minimal-table.py results/fvm
# Each run is one engine alone in its JVM, KVM demand paging with the guest
# memory allocated up front, 8 MiB per vCPU, 1 warm-up and 3 repetitions.
# Per backing and vCPU count the order is full, minimal, minimal, full, so
# that a drift during the boot weighs on both engines alike. One JSON file per
# run in $KVMDP_OUT: ENGINE-BACKING-VCPUS-RUN.json.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${KVMDP_OUT:-/out}
for b in anonymous shmem; do
	for v in 1 2; do
		run=0
		for e in full minimal minimal full; do
			run=$((run + 1))
			scripts/kvmdp bench --engine $e --mechanism kvm --kvm-prealloc \
				--backing $b --vcpus $v --memory 8M --warmup 1 --repeat 3 --json \
				>"$out/$e-$b-$v-$run.json" 2>"$out/$e-$b-$v-$run.err"
			echo "full-vs-minimal: $e $b $v vCPU(s) run $run: exit $?"
		done
	done
done
