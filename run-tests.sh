#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# run-tests.sh [--no-debug]
#
# Every test of the project, as CI runs it, on a fresh Debian 12 machine
# (installs what it needs; root for apt and QEMU):
#   1. host tier: mvn verify (unit tests, JNI, syscalls the host allows)
#   2. builds the patched 6.12 kernel (selftests/vm/build-kernel.sh) and checks
#      that jni/linux-headers/ holds the series' UAPI headers
#   3. the JUnit suite inside the QEMU test VM, as root, on that kernel, then
#      its demand-paging classes again with shadow paging (kvm_amd.npt=0)
#   4. the kernel's KVM selftests in the VM, with TDP and with shadow paging, and
#      the series' race tests under multi-threaded emulation (race.list)
#   5. the JUnit suite and the kernel selftests again on the debug kernel
#      (KASAN, lockdep, kmemleak), unless --no-debug
# Steps 3-4 (normal kernel) and 5 (debug kernel) run side by side, each in
# its own test VM: single-threaded TCG keeps a VM on one host core, so the
# two chains share the machine's two cores instead of queueing. The normal
# chain, the shorter, then runs the debug kernel's slowest JUnit class
# (DeviceBackendProcessTest), and the debug chain the debug kernel's selftests
# after its suite, so the chains end about together (measured 2026-12-03, warm:
# about 36 and 32 min on a slow machine, 15.5 and 12.7 min on a fast one). The
# race tests, which need multi-threaded TCG and both cores, run after both.
# A kernel splat, crash or timeout of any VM run is a failed test.
# Reports go to target/test-results; the last line is "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")" && pwd)
cd "$root"
. selftests/vm/lib.sh

debug=1
for a in "$@"; do
	case "$a" in
	--no-debug) debug=0 ;;
	*) die "unknown option $a (use --no-debug)" ;;
	esac
done

results=$root/target/test-results
rm -rf "$results"
mkdir -p "$results/steps"
steps_xml=$results/steps/TEST-steps.xml
step_dir=$results/steps/cases
mkdir -p "$step_dir"

# step NAME CMD... : run a step, record it as a test case (its exit status).
# Each case is a file, so steps of chains running in parallel all count.
step() {
	local name=$1 rc start=$SECONDS
	shift
	log "=== $name"
	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "<testcase classname=\"steps\" name=\"$name\" time=\"$((SECONDS - start))\"/>" \
			>"$step_dir/$name"
	else
		log "=== $name FAILED (exit $rc)"
		echo "<testcase classname=\"steps\" name=\"$name\" time=\"$((SECONDS - start))\"><failure message=\"exit status $rc\"/></testcase>" \
			>"$step_dir/$name"
	fi
	return $rc
}

write_steps() {
	local cases=("$step_dir"/*)
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo "<testsuite name=\"steps\" tests=\"${#cases[@]}\">"
		cat "${cases[@]}"
		echo '</testsuite>'
	} >"$steps_xml"
}

# chain NAME FUNCTION: run FUNCTION in the background, its output prefixed
# with [NAME] as it comes.
chain() {
	local name=$1 fn=$2
	{ "$fn" 2>&1 | sed -u "s/^/[$name] /"; } &
}

install_project_deps

host_tests() {
	mvn -B -q -Dstyle.color=never verify
	local rc=$?
	mkdir -p "$results/host"
	find . -path '*/target/surefire-reports/TEST-*.xml' -exec cp {} "$results/host/" \;
	return $rc
}

# kselftests FLAVOUR LIST NAME [run-in-vm options]
kselftests() {
	local flavour=$1 list=$2 name=$3
	shift 3
	local opts=() kdir
	[ "$flavour" = debug ] && opts+=(--debug)
	kdir=$(build_dir "$flavour")/kselftest-kvm
	selftests/vm/run-in-vm.sh "${opts[@]}" "$@" --out "$results/$name" -- \
		selftests/kernel/run-kselftests.sh "$kdir" "$list" "/out/TEST-$name.xml" "$name"
}

normal_kernel_chain() {
	step vm-junit-suite selftests/run-vm-suite.sh --no-build --out "$results/vm-junit" &&
		step vm-junit-shadow-paging selftests/run-vm-suite.sh --no-build --shadow-paging \
			--out "$results/vm-junit-shadow"
	step kselftests-tdp kselftests normal selftests/kernel/kselftests.list kselftests-tdp
	step kselftests-shadow kselftests normal selftests/kernel/shadow-paging.list \
		kselftests-shadow --append kvm_amd.npt=0
	# The debug kernel's JUnit suite is the longest step: this chain takes over
	# its slowest class.
	if [ $debug_built -eq 1 ]; then
		step vm-junit-debug-backend selftests/run-vm-suite.sh --no-build --debug \
			--timeout 2400 --class DeviceBackendProcessTest \
			--out "$results/vm-junit-debug-backend"
	fi
}

debug_kernel_chain() {
	step vm-junit-debug selftests/run-vm-suite.sh --no-build --debug --timeout 3000 \
		--exclude-class DeviceBackendProcessTest --out "$results/vm-junit-debug"
	step kselftests-debug kselftests debug selftests/kernel/debug-kernel.list \
		kselftests-debug --timeout 2400
}

step host-tier host_tests
normal_built=0 debug_built=0
step kernel-build selftests/vm/build-kernel.sh >/dev/null && normal_built=1
# The JNI library compiles against a copy of the series' UAPI headers: it must
# be the series' current one.
step linux-headers-current scripts/update-linux-headers.sh --check
if [ $debug -eq 1 ]; then
	step kernel-build-debug selftests/vm/build-kernel.sh --debug >/dev/null && debug_built=1
fi
[ $normal_built -eq 1 ] && chain normal normal_kernel_chain
[ $debug_built -eq 1 ] && chain debug debug_kernel_chain
wait
[ $normal_built -eq 1 ] && step kselftests-race kselftests normal selftests/kernel/race.list \
	kselftests-race --thread multi
[ $debug_built -eq 1 ] && step kselftests-race-debug kselftests debug selftests/kernel/race.list \
	kselftests-race-debug --thread multi --timeout 1200

write_steps
selftests/summarize.py steps="$results/steps" host="$results/host" \
	vm="$results/vm-junit" vm-shadow-paging="$results/vm-junit-shadow" \
	kselftests="$results/kselftests-tdp" \
	kselftests-shadow="$results/kselftests-shadow" \
	kselftests-race="$results/kselftests-race" \
	$([ $debug -eq 1 ] && echo vm-debug="$results/vm-junit-debug" \
		vm-debug-backend="$results/vm-junit-debug-backend" \
		kselftests-debug="$results/kselftests-debug" \
		kselftests-race-debug="$results/kselftests-race-debug")
