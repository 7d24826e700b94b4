#!/usr/bin/env python3
"""The core benchmarks of every ISA beside the first one's, in one run.

Runs each `bench-linux-<isa>` given (the first is the reference, x86_64 in
meson's benchmark), one after the other, in --rounds rounds (so that no
ISA always runs first, or while the machine is still warming up), and
prints per ISA the median over the rounds of each of the mm-core
rows the ports are judged on: COW clone, map and unmap per page at the
largest resident set (--max-pages), and translation per access (TLB hit, TLB miss
with a full walk), each with its ratio to the reference and the goal
(at most 1.2x). Figures are the benchmarks' own medians; nothing here is
timed.

usage: isa_compare.py [--reps N] [--max-pages N] [--rounds N] BENCH_LINUX_REF BENCH_LINUX...
Exit status: 0, or 1 if a benchmark failed or printed no figure for a row.
"""
import argparse
import re
import statistics
import subprocess
import sys

ROWS = [
    ("COW clone, per page", "mm-core COW clone, per page"),
    ("map (frames given), per page", "mm-core map (frames given), per page"),
    ("unmap, per page", "mm-core unmap, per page"),
    ("translation, TLB hit", "TLB hit, per access"),
    ("translation, TLB miss and full walk", "TLB miss and full page walk, per access"),
]
GOAL = 1.2


def figures(exe, reps, max_pages):
    out = subprocess.run([exe, "--reps", str(reps), "--max-pages", str(max_pages),
                          "--svg", "/dev/null"],
                         check=True, capture_output=True, text=True).stdout
    isa = re.search(r"mm-core \(([^,]+), simulator\)", out)
    got = {}
    for name, label in ROWS:
        m = re.findall(r"^\s+" + re.escape(label) + r"\s+([0-9.]+) ns", out, re.M)
        if m:  # the last match: the largest resident set, the least noisy
            got[name] = float(m[-1])
    return (isa.group(1) if isa else exe), got


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--max-pages", type=int, default=16384)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("bench", nargs="+", help="bench-linux-<isa> executables, reference first")
    args = ap.parse_args()
    per = {b: [] for b in args.bench}
    names = {}
    for r in range(args.rounds):
        # Each round starts one ISA further on.
        order = args.bench[r % len(args.bench):] + args.bench[:r % len(args.bench)]
        for b in order:
            isa, got = figures(b, args.reps, args.max_pages)
            names[b] = isa
            per[b].append(got)
    runs = []
    for b in args.bench:
        med = {}
        for name, _ in ROWS:
            vals = [g[name] for g in per[b] if name in g]
            if len(vals) == len(per[b]):
                med[name] = statistics.median(vals)
        runs.append((names[b], med))
    ref_isa, ref = runs[0]
    bad = False
    head = "| per page / per access | " + ref_isa + " |"
    line = "|---|---|"
    for isa, _ in runs[1:]:
        head += " %s | ratio |" % isa
        line += "---|---|"
    print(head)
    print(line)
    over = []
    for name, _ in ROWS:
        if name not in ref:
            bad = True
            continue
        row = "| %s | %.2f ns |" % (name, ref[name])
        for isa, got in runs[1:]:
            if name not in got:
                bad = True
                row += " - | - |"
                continue
            ratio = got[name] / ref[name]
            row += " %.2f ns | %.2fx |" % (got[name], ratio)
            if ratio > GOAL:
                over.append("%s %s %.2fx" % (isa, name, ratio))
        print(row)
    print("medians of %d rounds of %d repetitions each; goal: every ratio at most %.1fx; %s" %
          (args.rounds, args.reps, GOAL, "over it: " + "; ".join(over) if over else "all within it"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
