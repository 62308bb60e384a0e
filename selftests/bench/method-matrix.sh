#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# method-matrix.sh : the engine benchmark matrix of issue 11, run inside the
# test VM (multi-threaded TCG):
#   selftests/vm/run-in-vm.sh --thread multi --out results/matrix -- selftests/bench/method-matrix.sh
#   selftests/bench/method-matrix-table.py results/matrix
# Engine full (every mechanism, then kvm without pre-faulting, kvm-nopf, then
# kvm alone in its JVM, then kvm-prealloc alone) and minimal (kvm-prealloc, kvm,
# uffd-missing; one JVM each),
# in-memory source, anonymous and shmem, 1 and 2
# vCPUs x 8 MiB, 1 warm-up and 3 repetitions in rotated order per run; one
# JSON file per run in $KVMDP_OUT.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${KVMDP_OUT:-/out}
bench() { scripts/kvmdp bench --memory 8M --warmup 1 --repeat 3 --json "$@"; }
for b in anonymous shmem; do
	for v in 1 2; do
		bench --engine full --mechanism all --backing $b --vcpus $v \
			>"$out/full-$b-$v.json" 2>"$out/full-$b-$v.err"
		echo "method-matrix: full $b $v vCPU(s): exit $?"
		bench --engine full --mechanism kvm --no-kvm-pre-fault --backing $b --vcpus $v \
			>"$out/full-nopf-$b-$v.json" 2>"$out/full-nopf-$b-$v.err"
		echo "method-matrix: full kvm-nopf $b $v vCPU(s): exit $?"
		# The full engine with kvm alone in its JVM, as the minimal handler runs,
		# so that "full / minimal" compares like with like.
		bench --engine full --mechanism kvm --backing $b --vcpus $v \
			>"$out/full-alone-$b-$v.json" 2>"$out/full-alone-$b-$v.err"
		echo "method-matrix: full kvm alone $b $v vCPU(s): exit $?"
		# KVM with the guest memory allocated up front (rows kvm-prealloc), full
		# engine and minimal handler alike, each alone in its JVM.
		bench --engine full --mechanism kvm --kvm-prealloc --backing $b --vcpus $v \
			>"$out/full-prealloc-$b-$v.json" 2>"$out/full-prealloc-$b-$v.err"
		echo "method-matrix: full kvm-prealloc $b $v vCPU(s): exit $?"
		bench --engine minimal --mechanism kvm --kvm-prealloc --backing $b --vcpus $v \
			>"$out/min-prealloc-$b-$v.json" 2>"$out/min-prealloc-$b-$v.err"
		echo "method-matrix: minimal kvm-prealloc $b $v vCPU(s): exit $?"
		for m in kvm uffd-missing; do
			bench --engine minimal --mechanism $m --backing $b --vcpus $v \
				>"$out/min-$m-$b-$v.json" 2>"$out/min-$m-$b-$v.err"
			echo "method-matrix: minimal $m $b $v vCPU(s): exit $?"
		done
	done
done
