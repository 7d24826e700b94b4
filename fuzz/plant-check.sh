#!/usr/bin/env bash
# Prove the fuzzer finds planted bugs: for each, build the fuzz targets with
# -Dplant=BUG in their own build directory, fuzz from an empty corpus for at
# most MAX seconds and report the time to the first failing input; then
# replay the committed corpus (tests/fuzz/corpus) input by input on the
# planted build and name the inputs that catch the bug.
# With --corpus, only the replay: it exits 1 if the corpus misses a bug.
# usage: fuzz/plant-check.sh [--corpus] [ISA] [MAX_SECONDS] [BUG...]
set -u
cd "$(dirname "$0")/.."
corpus_only=false
if [ "${1:-}" = "--corpus" ]; then
  corpus_only=true
  shift
fi
isa=${1:-x86_64}
max=${2:-300}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
bugs=("$@")
[ ${#bugs[@]} -gt 0 ] || bugs=(missing-invlpg cow-keeps-ref copy-user-entries keep-empty-table
  cow-reuse-shared cow-no-protect cow-no-flush cow-break-no-invlpg kernel-unmap-no-invlpg
  cow-no-bbm)
missed=0
for bug in "${bugs[@]}"; do
  dir=build-plant-$bug
  [ -d "$dir" ] || meson setup "$dir" -Dplant="$bug" >/dev/null || exit 2
  if ! $corpus_only; then
    ninja -C "$dir" "fuzz/fuzz-libfuzzer-$isa" >/dev/null
    work=$(mktemp -d)
    start=$(date +%s.%N)
    "$dir/fuzz/fuzz-libfuzzer-$isa" -max_total_time="$max" -max_len=1024 -len_control=0 \
      -artifact_prefix="$work/" "$work" > "$work/log" 2>&1
    rc=$?
    end=$(date +%s.%N)
    secs=$(python3 -c "print(round($end - $start, 1))")
    why=$(grep -m1 -oE 'divergence after operation [0-9]+: .{0,90}' "$work/log" ||
      grep -m1 -oE 'ERROR: [A-Za-z]+Sanitizer: .{0,60}' "$work/log")
    if [ $rc -ne 0 ] && [ -n "$why" ]; then
      echo "$bug ($isa): found in ${secs} s: $why"
    else
      echo "$bug ($isa): NOT found in ${max} s"
    fi
    rm -rf "$work"
  fi
  ninja -C "$dir" "fuzz/fuzz-replay-$isa" >/dev/null || exit 2
  caught=()
  for f in tests/fuzz/corpus/*; do
    { "$dir/fuzz/fuzz-replay-$isa" "$f"; } >/dev/null 2>&1 || caught+=("$(basename "$f")")
  done
  if [ ${#caught[@]} -gt 0 ]; then
    echo "$bug ($isa): the corpus catches it: ${caught[*]}"
  else
    echo "$bug ($isa): the corpus MISSES it"
    missed=$((missed + 1))
  fi
done
[ $missed -eq 0 ]
