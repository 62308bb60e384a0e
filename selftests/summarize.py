#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Add up JUnit XML reports (TEST-*.xml: Surefire, JUnit console launcher, kselftests).

usage: summarize.py LABEL=DIR_OR_FILE [LABEL=DIR_OR_FILE ...]

Prints one line per label, the failed test cases, and a last line
"N passed, N failed, N skipped". Exits 1 if anything failed or if a label
has no report at all (a missing report is a failure, not a pass).
"""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def reports(path):
    p = Path(path)
    if p.is_file():
        return [p]
    return sorted(p.rglob("*.xml")) if p.is_dir() else []


def cases(report):
    root = ET.parse(report).getroot()
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    for suite in suites:
        for case in suite.findall("testcase"):
            if case.find("skipped") is not None:
                status = "skipped"
            elif case.find("failure") is not None or case.find("error") is not None:
                status = "failed"
            else:
                status = "passed"
            name = f"{case.get('classname', suite.get('name', '?'))}.{case.get('name')}"
            yield name, status


def main(args):
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    failed_names, ok = [], True
    for arg in args:
        label, _, path = arg.partition("=")
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        found = reports(path)
        for report in found:
            if not report.name.startswith("TEST-"):
                continue
            for name, status in cases(report):
                counts[status] += 1
                if status == "failed":
                    failed_names.append(f"{label}: {name}")
        if not sum(counts.values()):
            print(f"{label}: no test reports under {path}")
            ok = False
        else:
            print(f"{label}: {counts['passed']} passed, {counts['failed']} failed, "
                  f"{counts['skipped']} skipped")
        for key in totals:
            totals[key] += counts[key]
    for name in failed_names:
        print(f"FAILED {name}")
    print(f"{totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
    return 0 if ok and not totals["failed"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
