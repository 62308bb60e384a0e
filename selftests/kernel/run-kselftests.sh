#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# run-kselftests.sh KSELFTEST_DIR LIST REPORT_XML [SUITE_NAME]
#
# Runs inside the test VM: each kernel KVM selftest of LIST (see
# kselftests.list) with a timeout, writing a JUnit XML report (a kselftest
# exit status of 4 is a skip) so the results count with the Java suite's.
set -uo pipefail

dir=${1:?kselftest dir} list=${2:?list} report=${3:?report xml} suite=${4:-kselftests}
per_test_timeout=${KVMDP_KSELFTEST_TIMEOUT:-300}

xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }

cases=() tests=0 failures=0 skipped=0
while IFS='|' read -r name cmd; do
	# Comments first: xargs (the trim below) chokes on their apostrophes.
	case "$name" in '#'*) continue ;; esac
	name=$(echo "$name" | xargs) cmd=$(echo "$cmd" | xargs)
	case "$name" in ''|'#'*) continue ;; esac
	out=$(mktemp)
	start=$(date +%s.%N)
	echo "kselftest: $name: $cmd"
	# shellcheck disable=SC2086
	(cd "$dir" && timeout -k 5 "$per_test_timeout" ./$cmd) >"$out" 2>&1
	rc=$?
	secs=$(echo "$(date +%s.%N) - $start" | bc)
	tail -n 4 "$out" | sed 's/^/    /'
	tests=$((tests + 1))
	body=""
	if [ $rc -eq 4 ]; then
		skipped=$((skipped + 1)) body="<skipped/>"
		echo "kselftest: $name SKIPPED"
	elif [ $rc -ne 0 ]; then
		failures=$((failures + 1))
		body="<failure message=\"exit status $rc\">$(tail -n 40 "$out" | xml_escape)</failure>"
		echo "kselftest: $name FAILED (exit $rc)"
	else
		echo "kselftest: $name passed in ${secs}s"
	fi
	cases+=("<testcase classname=\"$suite\" name=\"$name\" time=\"$secs\">$body<system-out>$(xml_escape <"$out")</system-out></testcase>")
	rm -f "$out"
done <"$list"

{
	echo '<?xml version="1.0" encoding="UTF-8"?>'
	echo "<testsuite name=\"$suite\" tests=\"$tests\" failures=\"$failures\" errors=\"0\" skipped=\"$skipped\">"
	printf '%s\n' "${cases[@]}"
	echo '</testsuite>'
} >"$report"
[ $failures -eq 0 ]
