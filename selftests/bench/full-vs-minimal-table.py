#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""full-vs-minimal-table.py DIR: the table of full-vs-minimal.sh's JSON files (Markdown).

Per backing and vCPU count: each run's median pages/s with its min-max and
p50 / p99 guest stall per fault (the vCPU thread's time from the exit to
its next KVM_RUN, which both engines measure alike; their fault-to-install
starts at different points), then full / minimal as the ratio of the two
engines' medians over their runs (the median of two runs is their mean)."""
import json
import statistics
import sys
from pathlib import Path


def runs(directory, engine, backing, vcpus):
    """The kvm-prealloc row of each finished run, in run order."""
    found = []
    for path in sorted(directory.glob(f"{engine}-{backing}-{vcpus}-*.json")):
        if path.stat().st_size == 0:  # the run did not finish
            continue
        found += [(path.stem.rsplit("-", 1)[1], r) for r in json.loads(path.read_text())["rows"]]
    return found


def cell(run, row):
    return (f"run {run}: {row['pages_per_second']:,.0f} "
            f"({row['pages_per_second_min']:,.0f}-{row['pages_per_second_max']:,.0f}), "
            f"{row['guest_stall_p50_us']:.0f} / {row['guest_stall_p99_us']:.0f} us")


def main():
    directory = Path(sys.argv[1])
    print("| backing | vCPUs | full: pages/s median (min-max), stall p50 / p99 | "
          "minimal: pages/s median (min-max), stall p50 / p99 | full / minimal |")
    print("|---|---|---|---|---|")
    for b in ("anonymous", "shmem"):
        for v in (1, 2):
            full, minimal = runs(directory, "full", b, v), runs(directory, "minimal", b, v)
            if not full or not minimal:
                continue
            ratio = (statistics.median(r["pages_per_second"] for _, r in full)
                     / statistics.median(r["pages_per_second"] for _, r in minimal))
            print(f"| {b} | {v} | {'<br>'.join(cell(*x) for x in full)} "
                  f"| {'<br>'.join(cell(*x) for x in minimal)} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
