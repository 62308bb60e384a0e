#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""plot-postcopy.py RESULTS_DIR PNG: the bench-*.csv files postcopy-demo.sh
wrote (kvmdp bench --csv) as one Markdown table on stdout and a grouped bar
chart of pages/s per mechanism (gnuplot) in PNG."""
import csv
import glob
import os
import subprocess
import sys
import tempfile

MECHANISMS = ["kvm", "uffd-missing", "uffd-sharded", "uffd-minor"]


def load(results):
    rows = []
    for path in sorted(glob.glob(os.path.join(results, "bench-*.csv"))):
        with open(path, newline="") as f:
            rows.extend(csv.DictReader(f))
    if not rows:
        sys.exit(f"plot-postcopy.py: no bench-*.csv in {results}")
    return rows


def table(rows):
    print("| backing | vCPUs | mechanism | pages/s | per vCPU (min-max) | fault-to-install "
          "p50 / p99 (us) | bytes per fault | mismatches |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        per_vcpu = [float(v) for v in r["vcpu_pages_per_second"].split(";") if v]
        spread = f"{min(per_vcpu):,.0f}-{max(per_vcpu):,.0f}" if per_vcpu else "-"
        latency = ("-" if r["mechanism"] == "none" else
                   f"{float(r['fault_to_install_p50_us']):,.0f} / "
                   f"{float(r['fault_to_install_p99_us']):,.0f}")
        fault_bytes = "-" if r["mechanism"] == "none" else f"{int(r['bytes_per_fault']):,}"
        print(f"| {r['backing']} | {r['vcpus']} | {r['mechanism']} | "
              f"{float(r['pages_per_second']):,.0f} | {spread} | {latency} | {fault_bytes} | "
              f"{r['mismatches']} |")


def plot(rows, png):
    configs = []
    rate = {}
    for r in rows:
        config = f"{r['backing']} x{r['vcpus']}"
        if config not in configs:
            configs.append(config)
        rate[(config, r["mechanism"])] = float(r["pages_per_second"])
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as dat:
        dat.write("config " + " ".join(MECHANISMS) + "\n")
        for c in configs:
            dat.write(f'"{c}" ' + " ".join(str(rate.get((c, m), 0)) for m in MECHANISMS) + "\n")
    script = f"""
set terminal pngcairo size 1100,500 noenhanced
set output '{png}'
set title 'kvmdp bench: guest first-touch rate with every page fetched on demand (TCG guest)'
set ylabel 'pages/s'
set xlabel 'backing x vCPUs'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left
set grid ytics
set yrange [0:*]
plot '{dat.name}' using 2:xtic(1) title columnheader(2), \\
     '' using 3 title columnheader(3), '' using 4 title columnheader(4), \\
     '' using 5 title columnheader(5)
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    finally:
        os.unlink(dat.name)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = load(sys.argv[1])
    table(rows)
    plot(rows, sys.argv[2])


if __name__ == "__main__":
    main()
