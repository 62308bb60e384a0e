#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# run-demo.sh
#
# The main job, on a fresh Debian 12 machine (installs what it needs; root):
# builds the patched 6.12 kernel, boots it in the QEMU test VM (software
# emulation, nested SVM + NPT) and runs, as root inside:
#   1. the Java demo: the guest touches every page of its memory on each
#      backing, the host checks what it wrote, and the cost of one ioctl
#      through the JNI layer;
#   2. KVM demand paging against userfaultfd on the same workload, served by
#      the kernel's demand_paging_test (-k vs -u MISSING), as a table.
# The VM uses multi-threaded TCG here so that 2 vCPUs run in parallel.
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
cd "$root"
. selftests/vm/lib.sh

apt_install openjdk-17-jdk-headless maven cmake gcc make binutils python3 bc \
	qemu-system-x86

log "building the patched kernel (first time ~15 minutes, then seconds)"
selftests/vm/build-kernel.sh >/dev/null
kdir=$(build_dir normal)/kselftest-kvm

log "1/2 Java demo in the test VM"
selftests/run-vm-suite.sh --thread multi --smp 2 --bench-args "--size 64M --vcpus 1"

log "2/2 KVM demand paging vs userfaultfd (demand_paging_test) in the test VM"
selftests/vm/run-in-vm.sh --thread multi --smp 2 --timeout 1500 -- \
	selftests/bench/kselftest-bench.sh "$kdir" 64M
