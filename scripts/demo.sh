#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and run the
# bundled example (the tour) in the simulator for every ISA.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
ninja -C build >/dev/null
for isa in i386 x86_64; do
  build/examples/tour-$isa
  echo
done
