#!/bin/bash
# The benchmarks on the project's normal kernel once Kconfig-notes/kvmdp.config
# sets HZ=100: issue 11's matrix, then run-demo.sh step 4's bench (the
# README's chart), then hugetlb 2 MiB over the 10 Gb/s wire. One boot each,
# multi-threaded TCG with the anchor VM, the host otherwise idle.
# run.sh RAW_DIR [BOOT...]: BOOT is matrix, postcopy or wire (default: all three).
set -u
cd "$(dirname "$0")/../../.."
raw=${1:-/tmp/hzk}
shift || true
boots=${*:-matrix postcopy wire}
mkdir -p "$raw"
boot() {
	local name=$1 limit=$2
	shift 2
	echo "[$(date +%T)] $name"
	selftests/vm/run-in-vm.sh --thread multi --timeout "$limit" --out "$raw/$name" -- "$@" \
		>"$raw/$name.log" 2>&1
	echo "[$(date +%T)] $name: exit $?"
}
want() { [[ " $boots " == *" $1 "* ]]; }
want matrix && boot matrix 2400 selftests/bench/method-matrix.sh
want postcopy && boot postcopy 2400 env POSTCOPY_DEMO_BENCH_ONLY=1 selftests/bench/postcopy-demo.sh 16M
want wire && boot wire 1200 sh -c 'scripts/kvmdp bench --mechanism all --backing hugetlb2m \
	--vcpus 1 --memory 16M --wire 10g --warmup 1 --repeat 3 --json >/out/wire-hugetlb2m-1.json'
