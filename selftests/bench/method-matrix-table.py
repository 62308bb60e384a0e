#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""method-matrix-table.py DIR: the tables of method-matrix.sh's JSON files (Markdown).

"install" is fault-to-install (the engine's view); "stall" is the vCPU
thread's time from the exit to its next KVM_RUN (fault-to-resume)."""
import json
import sys
from pathlib import Path

BACKINGS = ["anonymous", "shmem"]
VCPUS = [1, 2]
# "full alone": the full engine with kvm as the only mechanism in its JVM, as minimal runs.
ROWS = [("full", "kvm"), ("full", "kvm-nopf"), ("full", "uffd-missing"), ("full", "uffd-sharded"),
        ("full", "uffd-minor"), ("full", "none"), ("full alone", "kvm"),
        ("full alone", "kvm-prealloc"), ("minimal", "kvm"), ("minimal", "kvm-prealloc"),
        ("minimal", "uffd-missing")]


def load(directory):
    rows = {}
    for b in BACKINGS:
        for v in VCPUS:
            files = [("full", directory / f"full-{b}-{v}.json"),
                     ("full", directory / f"full-nopf-{b}-{v}.json"),
                     ("full alone", directory / f"full-alone-{b}-{v}.json"),
                     ("full alone", directory / f"full-prealloc-{b}-{v}.json")]
            files += [("minimal", directory / f"min-{m}-{b}-{v}.json")
                      for m in ("kvm", "uffd-missing", "prealloc")]
            for engine, path in files:
                if not path.exists() or path.stat().st_size == 0:  # not run, or did not finish
                    continue
                for r in json.loads(path.read_text())["rows"]:
                    rows[(engine, r["mechanism"], b, v)] = r
    return rows


def tail(r):
    """p99 / p50 of fault-to-install and of the stall."""
    return (f"{r['fault_to_install_p99_us'] / r['fault_to_install_p50_us']:.1f}, "
            f"{r['guest_stall_p99_us'] / r['guest_stall_p50_us']:.1f}")


def main():
    rows = load(Path(sys.argv[1]))
    print("| backing | vCPUs | engine | mechanism | pages/s median (min-max) "
          "| install p50 / p99 (us) | stall p50 / p99 (us) |")
    print("|---|---|---|---|---|---|---|")
    for b in BACKINGS:
        for v in VCPUS:
            for engine, m in ROWS:
                r = rows.get((engine, m, b, v))
                if r is None:
                    continue
                p50, p99 = r.get("fault_to_install_p50_us"), r.get("fault_to_install_p99_us")
                latency = f"{p50:.0f} / {p99:.0f}" if p50 else "-"
                stall = (f"{r['guest_stall_p50_us']:.0f} / {r['guest_stall_p99_us']:.0f}"
                         if r.get("guest_stall_p50_us") else "-")
                print(f"| {b} | {v} | {engine} | {m} | {r['pages_per_second']:,.0f} "
                      f"({r['pages_per_second_min']:,.0f}-{r['pages_per_second_max']:,.0f}) "
                      f"| {latency} | {stall} |")
    print()
    print("kvm-prealloc runs alone in its JVM, uffd-missing and uffd-minor in the shared one.")
    print()
    print("| backing | vCPUs | kvm-prealloc / uffd-missing | kvm-prealloc / uffd-minor "
          "| kvm-prealloc / kvm alone | full / minimal kvm-prealloc | 2 vCPUs / 1 "
          "| kvm-prealloc p99 / p50: install, stall |")
    print("|---|---|---|---|---|---|---|---|")
    for b in BACKINGS:
        for v in VCPUS:
            pre = rows.get(("full alone", "kvm-prealloc", b, v))
            if pre is None or ("full", "uffd-missing", b, v) not in rows:
                continue
            rate = pre["pages_per_second"]

            def ratio(key, fmt="{:.2f}x"):
                other = rows.get(key)
                return fmt.format(rate / other["pages_per_second"]) if other else "-"
            print(f"| {b} | {v} | {ratio(('full', 'uffd-missing', b, v))} "
                  f"| {ratio(('full', 'uffd-minor', b, v))} "
                  f"| {ratio(('full alone', 'kvm', b, v))} "
                  f"| {ratio(('minimal', 'kvm-prealloc', b, v), '{:.2f}')} "
                  f"| {ratio(('full alone', 'kvm-prealloc', b, 1)) if v > 1 else '-'} "
                  f"| {tail(pre)} |")
    print()
    print("| backing | vCPUs | kvm / uffd-missing | kvm / uffd-sharded | full kvm / minimal kvm "
          "| full kvm alone / minimal kvm | kvm 2 vCPUs / 1 | kvm p99 / p50: install, stall "
          "| kvm / kvm-nopf |")
    print("|---|---|---|---|---|---|---|---|---|")
    for b in BACKINGS:
        for v in VCPUS:
            if ("full", "kvm", b, v) not in rows:  # the configuration did not finish
                continue
            kvm = rows[("full", "kvm", b, v)]
            rate = kvm["pages_per_second"]
            one = rows.get(("full", "kvm", b, 1))
            scale = f"{rate / one['pages_per_second']:.2f}x" if v > 1 and one else "-"
            nopf = rows.get(("full", "kvm-nopf", b, v))
            pre_fault = f"{rate / nopf['pages_per_second']:.2f}x" if nopf else "-"
            minimal = rows[("minimal", "kvm", b, v)]["pages_per_second"]
            alone = rows.get(("full alone", "kvm", b, v))
            like_for_like = f"{alone['pages_per_second'] / minimal:.2f}" if alone else "-"
            print(f"| {b} | {v} "
                  f"| {rate / rows[('full', 'uffd-missing', b, v)]['pages_per_second']:.2f}x "
                  f"| {rate / rows[('full', 'uffd-sharded', b, v)]['pages_per_second']:.2f}x "
                  f"| {rate / minimal:.2f} | {like_for_like} | {scale} "
                  f"| {tail(kvm)} "
                  f"| {pre_fault} |")


if __name__ == "__main__":
    main()
