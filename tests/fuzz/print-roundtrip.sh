#!/usr/bin/env bash
# Any fuzz input prints as an mmsim scenario script that replays: the path
# by which a fuzzer's find becomes a committed regression test.
# usage: print-roundtrip.sh FUZZ_REPLAY MMSIM ISA CORPUS
set -u
replay=$(realpath "$1") mmsim=$(realpath "$2") isa=$3 corpus=$(realpath "$4")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# Under `meson test --setup valgrind`, MMSIM_WRAPPER runs each replay under
# memcheck: one that leaks or touches freed memory fails like one that
# diverges. It runs the ISA's tool beside the driver directly, which halves
# the time of hundreds of runs (tests/mmsim covers the driver under memcheck).
if [ -n "${MMSIM_WRAPPER:-}" ]; then
  printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$MMSIM_WRAPPER" "$(dirname "$mmsim")/mmsim-$isa" > "$work/mmsim"
  chmod +x "$work/mmsim"
  mmsim="$work/mmsim"
fi
# Each printed script ends with every space destroyed and every kernel
# page unmapped, so the scripts of the whole corpus also replay one after
# another in a single mmsim run. Under memcheck that is the only run (one
# Valgrind start instead of one per input: its start-up is most of the
# cost); without it the batch runs as well as each input on its own.
"$replay" --print "$corpus" > all.mmsim 2> /dev/null
if ! "$mmsim" --arch "$isa" run all.mmsim > out 2> err; then
  echo "not ok - the corpus as one script (all.mmsim; the line number names the input): $(head -c 300 err)"
  exit 1
fi
if [ -n "${MMSIM_WRAPPER:-}" ]; then
  echo "$(ls "$corpus" | wc -l) inputs passed in one run"
  exit 0
fi
pass=0 fail=0
for f in $(ls "$corpus"); do
  "$replay" --print "$corpus/$f" > case.mmsim 2> /dev/null
  if "$mmsim" --arch "$isa" run case.mmsim > out 2> err; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "not ok - $f: $(head -c 300 err)"
  fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
