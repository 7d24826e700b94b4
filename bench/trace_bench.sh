#!/usr/bin/env bash
# Lackey trace replay rate, beside `zcat FILE | wc -l` on the same file in
# the same run, and the replay's peak memory for a trace 1x and 8x as long
# (a streaming pass: it must not grow). Figures only; nothing is asserted.
# usage: trace_bench.sh MMSIM TRACE.gz [REPS]
set -euo pipefail
mmsim=$(realpath "$1") trace=$(realpath "$2") reps=${3:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A longer input from the bundled trace: the program run 40 times over.
for _ in $(seq 40); do zcat "$trace"; done | gzip -1 > "$work/long.gz"
for _ in $(seq 8); do zcat "$work/long.gz"; done | gzip -1 > "$work/long8.gz"
lines=$(zcat "$work/long.gz" | wc -l)
accesses=$("$mmsim" trace --json --quiet "$work/long.gz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["accesses"])')

median() { sort -g | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%.3f %.3f %.3f\n", m, a[1], a[NR]}'; }
secs() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
read -r m_med m_min m_max < <(for _ in $(seq "$reps"); do secs "$mmsim" trace --quiet "$work/long.gz"; done | median)
read -r z_med z_min z_max < <(for _ in $(seq "$reps"); do secs sh -c "zcat '$work/long.gz' | wc -l"; done | median)
rss1=$(/usr/bin/time -f %M "$mmsim" trace --quiet "$work/long.gz" 2>&1 >/dev/null | tail -1)
rss8=$(/usr/bin/time -f %M "$mmsim" trace --quiet "$work/long8.gz" 2>&1 >/dev/null | tail -1)
echo "== Lackey trace replay ($(basename "$trace") x40: $lines lines, $accesses accesses, $(( $(stat -c %s "$work/long.gz") / 1024 )) KiB gzip), medians of $reps"
awk -v a="$accesses" -v m="$m_med" -v mn="$m_min" -v mx="$m_max" 'BEGIN {printf "  mmsim trace             %6.3f s (min %.3f, max %.3f)  %5.1f M accesses/s\n", m, mn, mx, a/m/1e6}'
awk -v l="$lines" -v m="$z_med" -v mn="$z_min" -v mx="$z_max" 'BEGIN {printf "  zcat FILE | wc -l       %6.3f s (min %.3f, max %.3f)  %5.1f M lines/s\n", m, mn, mx, l/m/1e6}'
awk -v m="$m_med" -v z="$z_med" 'BEGIN {printf "  ratio                   %.2fx the time of zcat | wc -l\n", m/z}'
echo "  peak RSS                ${rss1} KiB for the trace, ${rss8} KiB for one 8x as long"
