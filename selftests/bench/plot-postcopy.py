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
    print("| backing | vCPUs | mechanism | pages/s median (min-max) | fault-to-install "
          "p50 / p99 (us) | guest stall p50 (us) | bytes per fault | mismatches |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        none = r["mechanism"] == "none"
        latency = ("-" if none else
                   f"{float(r['fault_to_install_p50_us']):,.0f} / "
                   f"{float(r['fault_to_install_p99_us']):,.0f}")
        stall = "-" if none else f"{float(r['guest_stall_p50_us']):,.0f}"
        fault_bytes = "-" if none else f"{int(r['bytes_per_fault']):,}"
        print(f"| {r['backing']} | {r['vcpus']} | {r['mechanism']} | "
              f"{float(r['pages_per_second']):,.0f} ({float(r['pages_per_second_min']):,.0f}-"
              f"{float(r['pages_per_second_max']):,.0f}) | {latency} | {stall} | "
              f"{fault_bytes} | {r['mismatches']} |")


def plot(rows, png):
    """Clustered bars of the median pages/s, error bars from the slowest to the fastest
    repetition; "none" (the ceiling, 10-100x higher) is left out so the bars stay readable."""
    configs = []
    rate = {}
    for r in rows:
        config = f"{r['backing']} x{r['vcpus']}"
        if config not in configs:
            configs.append(config)
        rate[(config, r["mechanism"])] = (r["pages_per_second"], r["pages_per_second_min"],
                                          r["pages_per_second_max"])
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as dat:
        for c in configs:
            cells = [" ".join(rate.get((c, m), ("0", "0", "0"))) for m in MECHANISMS]
            dat.write(f'"{c}" ' + " ".join(cells) + "\n")
    columns = ", ".join(
        f"'{dat.name if i == 0 else ''}' using {2 + 3 * i}:{3 + 3 * i}:{4 + 3 * i}"
        + (":xtic(1)" if i == 0 else "") + f" title '{m}'"
        for i, m in enumerate(MECHANISMS))
    script = f"""
set terminal pngcairo size 1100,500 noenhanced
set output '{png}'
set title 'kvmdp bench: guest first-touch rate, every page fetched on demand (TCG guest); median of 3, bars: min-max'
set ylabel 'pages/s'
set xlabel 'backing x vCPUs'
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set key top left
set grid ytics
set yrange [0:*]
plot {columns}
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
