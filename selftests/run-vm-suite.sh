#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# run-vm-suite.sh [suite options] [run-in-vm.sh options]
#
# Builds the project on the host (mvn package, tests skipped), boots the test
# kernel with selftests/vm/run-in-vm.sh and runs the selftests JUnit suite as
# root inside it with the JUnit console launcher. JUnit XML lands in OUT/junit
# on the host. Exit status: the suite's (run-in-vm.sh's: 124 timeout, 125 guest
# died, 126 kernel splat).
#
# Suite options:
#   --out DIR          host directory for results (default: a new temp dir)
#   --class NAME       run only this test class (repeatable; simple or full name)
#   --exclude-class NAME  run the suite without this class (repeatable), e.g. to run
#                      a slow class in another VM at the same time
#   --bench            run org.kvmdp.bench.FoundationBench instead of the suite
#   --bench-class NAME run this benchmark main class instead (implies --bench),
#                      e.g. org.kvmdp.bench.DemandPagingBench
#   --bench-args ARGS  ... with these arguments (one word: "--size 64M --vcpus 2")
#   --shadow-paging    boot with kvm_amd.npt=0 (shadow paging) and run the classes
#                      that must hold in both paging modes (SHADOW_PAGING_CLASSES
#                      below) unless --class names others
#   --no-build         reuse the last build
# run-in-vm.sh options (passed through): --debug --smp N --mem SIZE
#   --hugepages N --thread single|multi --timeout S --append ARGS --kernel IMAGE
#   (default --append "hugepagesz=1G hugepages=2" so HUGETLB_1G is testable)
# Environment: KVMDP_EXPECTED_KERNEL_BUILD=<text> makes the suite check that
#   /proc/version in the guest contains it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
die() { printf 'run-vm-suite.sh: %s\n' "$*" >&2; exit 2; }

# Tests that must pass with shadow paging too (page-table walks by KVM, SPTE zaps).
SHADOW_PAGING_CLASSES=(DemandPagingZapTest DemandPagingTouchTest DemandPagingApiTest
	InternalWaitTest TouchPagesTest PreFaultTest)

out="" bench=0 bench_class=org.kvmdp.bench.FoundationBench bench_args="" build=1 have_append=0
shadow=0
classes=() excluded=() vm_opts=()
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=${2:?--out needs a directory}; shift ;;
	--class) classes+=("${2:?--class needs a name}"); shift ;;
	--exclude-class) excluded+=("${2:?--exclude-class needs a name}"); shift ;;
	--bench) bench=1 ;;
	--bench-class) bench=1; bench_class=${2:?--bench-class needs a class name}; shift ;;
	--shadow-paging) shadow=1 ;;
	--bench-args) bench=1; bench_args=${2?--bench-args needs arguments}; shift ;;
	--no-build) build=0 ;;
	--debug) vm_opts+=("$1") ;;
	--append) have_append=1; vm_opts+=("$1" "${2?--append needs kernel arguments}"); shift ;;
	--smp|--mem|--hugepages|--thread|--timeout|--kernel) vm_opts+=("$1" "${2:?$1 needs a value}"); shift ;;
	-h|--help) sed -n '3,27p' "$0"; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done
if [ "$shadow" = 1 ]; then
	[ "$have_append" = 0 ] || die "--shadow-paging sets the kernel arguments; drop --append"
	vm_opts+=(--append "kvm_amd.npt=0 hugepagesz=1G hugepages=2")
	[ ${#classes[@]} -gt 0 ] || classes=("${SHADOW_PAGING_CLASSES[@]}")
elif [ "$have_append" = 0 ]; then
	vm_opts+=(--append "hugepagesz=1G hugepages=2")
fi
[ -n "$out" ] || out=$(mktemp -d /tmp/kvmdp-suite.XXXXXX)
mkdir -p "$out"
out=$(cd "$out" && pwd)

cd "$root"
if [ "$build" = 1 ]; then
	echo "run-vm-suite.sh: building (mvn package, host tests skipped)" >&2
	mvn -q -DskipTests package </dev/null
fi
launcher=$root/selftests/target/junit/junit-platform-console-standalone.jar
cp_file=$root/selftests/target/test-classpath.txt
[ -f "$launcher" ] && [ -f "$cp_file" ] || die "missing $launcher or $cp_file: build first"
classpath=$root/selftests/target/test-classes:$(cat "$cp_file")
java=$(readlink -f "$(command -v java)")

# Small heap, C1 only and one GC thread: the guest runs under emulation.
jvm=(-Xmx768m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.io.tmpdir=/tmp
	"-Dkvmdp.testClasspath=$classpath") # for tests that start a child JVM
if [ -n "${KVMDP_EXPECTED_KERNEL_BUILD:-}" ]; then
	jvm+=("-Dkvmdp.expectedKernelBuild=$KVMDP_EXPECTED_KERNEL_BUILD")
fi

if [ "$bench" = 1 ]; then
	# shellcheck disable=SC2206 # bench_args is a word list on purpose
	cmd=("$java" "${jvm[@]}" -cp "$classpath" $bench_class $bench_args)
else
	select=(--scan-class-path)
	if [ ${#classes[@]} -gt 0 ]; then
		select=()
		for c in "${classes[@]}"; do
			[[ "$c" == *.* ]] || c=org.kvmdp.selftests.$c
			select+=(--select-class "$c")
		done
	fi
	for c in "${excluded[@]}"; do
		[[ "$c" == *.* ]] || c=org.kvmdp.selftests.$c
		select+=(--exclude-classname "^${c//./\\.}\$")
	done
	cmd=("$java" "${jvm[@]}" -jar "$launcher" execute --disable-banner --disable-ansi-colors --details=tree
		--details-theme=ascii --fail-if-no-tests --class-path "$classpath"
		"${select[@]}" --reports-dir /out/junit)
fi

set +e
"$root/selftests/vm/run-in-vm.sh" "${vm_opts[@]}" --out "$out" -- "${cmd[@]}"
rc=$?
set -e

xml=$out/junit/TEST-junit-jupiter.xml
if [ -f "$xml" ]; then
	summary=$(grep -o -m1 '<testsuite [^>]*>' "$xml" |
		grep -o -E '(tests|failures|errors|skipped)="[0-9]+"' | tr '\n' ' ')
	echo "run-vm-suite.sh: $summary(JUnit XML in $out/junit)"
elif [ "$bench" = 0 ]; then
	echo "run-vm-suite.sh: no JUnit XML in $out/junit (see $out/console.log)" >&2
fi
exit "$rc"
