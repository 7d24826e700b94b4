#!/usr/bin/env bash
# Prove the fuzzer finds planted bugs: for each, build the libFuzzer target
# with -Dplant=BUG in its own build directory, fuzz from an empty corpus for
# at most MAX seconds, and report the time to the first failing input.
# usage: fuzz/plant-check.sh [ISA] [MAX_SECONDS] [BUG...]
set -u
cd "$(dirname "$0")/.."
isa=${1:-x86_64}
max=${2:-300}
shift 2 2>/dev/null || true
bugs=("$@")
[ ${#bugs[@]} -gt 0 ] || bugs=(missing-invlpg cow-keeps-ref copy-user-entries keep-empty-table)
for bug in "${bugs[@]}"; do
  dir=build-plant-$bug
  [ -d "$dir" ] || meson setup "$dir" -Dplant="$bug" >/dev/null
  ninja -C "$dir" "fuzz/fuzz-libfuzzer-$isa" >/dev/null
  work=$(mktemp -d)
  start=$(date +%s.%N)
  "$dir/fuzz/fuzz-libfuzzer-$isa" -max_total_time="$max" -max_len=1024 -len_control=0 \
    -artifact_prefix="$work/" "$work" > "$work/log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  secs=$(python3 -c "print(round($end - $start, 1))")
  why=$(grep -m1 -oE 'divergence after operation [0-9]+: .{0,90}' "$work/log")
  if [ $rc -ne 0 ] && [ -n "$why" ]; then
    echo "$bug ($isa): found in ${secs} s: $why"
  else
    echo "$bug ($isa): NOT found in ${max} s"
  fi
  rm -rf "$work"
done
