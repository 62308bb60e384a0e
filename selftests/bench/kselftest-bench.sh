#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# kselftest-bench.sh KSELFTEST_DIR [MEMORY_PER_VCPU]
#
# Runs inside the test VM: the kernel's demand_paging_test with KVM demand
# paging (-k, the in-kernel reference handler; -k -p also pre-faults each
# served page) and with userfaultfd MISSING
# (-u MISSING) on the same workload, for 1 and 2 vCPUs on anonymous and
# hugetlb 2 MiB backings, and prints one table. Absolute numbers under
# emulation mean little: compare the columns of one run.
set -uo pipefail
dir=${1:?kselftest dir} mem=${2:-64M}

rate() { # prints the overall pages/s of one demand_paging_test run
	timeout 180 "$dir/demand_paging_test" "$@" 2>&1 | awk '/Overall demand paging rate/ { printf "%.0f", $5 }'
}

printf '%-10s %-22s %14s %16s %14s %8s\n' vCPUs backing kvm-dp-pages/s kvm-dp-p-pages/s uffd-pages/s ratio
for backing in anonymous anonymous_hugetlb_2mb; do
	for vcpus in 1 2; do
		per_vcpu=$mem
		kvm=$(rate -k -v "$vcpus" -b "$per_vcpu" -s "$backing")
		kvmp=$(rate -k -p -v "$vcpus" -b "$per_vcpu" -s "$backing")
		uffd=$(rate -u MISSING -v "$vcpus" -b "$per_vcpu" -s "$backing")
		ratio=$(echo "scale=2; ${kvmp:-0} / ${uffd:-1}" | bc 2>/dev/null)
		printf '%-10s %-22s %14s %16s %14s %8s\n' "$vcpus" "$backing" "${kvm:-error}" \
			"${kvmp:-error}" "${uffd:-error}" "${ratio:-?}"
	done
done
echo "(kvm-dp-p: -k -p, each served page pre-faulted with KVM_PRE_FAULT_MEMORY; ratio: kvm-dp-p / uffd)"
echo "(uffd on hugetlb fetches 2 MiB per fault, so its pages/s counts 4 KiB guest pages touched"
echo " per second while copying 512x the data; kvm-dp fetches 4 KiB per fault on every backing)"
