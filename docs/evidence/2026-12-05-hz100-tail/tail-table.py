#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# tail-table.py DIR... : per boot, engine, backing and vCPU count the guest
# stall p50 / p99 and their ratio, and pages/s, from full-vs-minimal.sh's
# JSON files (a run whose JSON is empty, because its guest died, is listed).
import glob, json, os, statistics, sys

print("| boot | kernel | engine | backing | vCPUs | pages/s (runs) | stall p50 / p99 us (runs) | p99 / p50 |")
print("|---|---|---|---|---|---|---|---|")
for d in sys.argv[1:]:
    boot, kernel = os.path.basename(d.rstrip("/")).split("-", 1)
    groups = {}
    for f in sorted(glob.glob(os.path.join(d, "*.json"))):
        engine, backing, vcpus, _ = os.path.basename(f)[:-5].split("-")
        try:
            row = json.load(open(f))["rows"][0]
        except ValueError:
            row = None
        groups.setdefault((engine, backing, vcpus), []).append(row)
    for (engine, backing, vcpus), rows in sorted(groups.items(), key=lambda g: (g[0][1], g[0][2], g[0][0])):
        ok = [r for r in rows if r]
        rates = ", ".join("%d" % r["pages_per_second"] for r in ok)
        stalls = ", ".join("%.0f / %.0f" % (r["guest_stall_p50_us"], r["guest_stall_p99_us"]) for r in ok)
        ratios = ", ".join("%.1f" % (r["guest_stall_p99_us"] / r["guest_stall_p50_us"]) for r in ok)
        lost = " (1 run lost: guest died)" * (len(rows) - len(ok))
        print(f"| {boot} | {kernel} | {engine} | {backing} | {vcpus} | {rates}{lost} | {stalls} | {ratios} |")
