#!/usr/bin/env bash
# Build the libFuzzer target with clang, whatever the project's compiler:
# mm-core and the harness with coverage (what the fuzzer should explore),
# the simulator and its MMU model without (they are the judge: tracing
# their check loops would only slow the fuzzer down), nor the scenario
# printer (scripts are printed by the replay only); ASan and UBSan on all.
# usage: build-libfuzzer.sh CLANG OUT ISA SOURCE_ROOT [EXTRA_CFLAGS...]
set -euo pipefail
clang=$1 out=$2 isa=$3 src=$4
shift 4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The ISA's MMU model: arch/<isa>/sim/model names its sources and folders.
model_src=() model_inc=()
for f in $(sed -n 's/^src://p' "$src/arch/$isa/sim/model"); do model_src+=("$src/$f"); done
for d in $(sed -n 's/^inc://p' "$src/arch/$isa/sim/model"); do model_inc+=(-I"$src/$d"); done
inc=(-I"$src/mm-core/include" -I"$src/arch/$isa/include" "${model_inc[@]}" -I"$src/sim/include" -I"$src/sim/src" -I"$src/sim/mmsim")
common=(-O1 -g -std=gnu11 -fsanitize=address,undefined -fno-sanitize-recover=undefined "$@")
objs=()
for f in "$src"/mm-core/src/*.c "$src/fuzz/fuzz.c"; do
  o="$work/$(basename "$f" .c)-cov.o"
  "$clang" "${common[@]}" -fsanitize=fuzzer-no-link "${inc[@]}" -c "$f" -o "$o"
  objs+=("$o")
done
for f in "$src/sim/src/sim.c" "${model_src[@]}" "$src/sim/mmsim/scenario.c"; do
  o="$work/$(basename "$f" .c).o"
  "$clang" "${common[@]}" "${inc[@]}" -c "$f" -o "$o"
  objs+=("$o")
done
"$clang" -fsanitize=fuzzer,address,undefined "${objs[@]}" -o "$out"
