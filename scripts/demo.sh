#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, run the bundled
# example (the tour) in the simulator, then boot both kernels in QEMU (TCG)
# and show what they print on their serial line.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
ninja -C build >/dev/null
for isa in i386 x86_64; do
  build/examples/tour-$isa
  echo
done
for isa in i386 x86_64; do
  image=build/kernel/mmkit-$isa.elf
  [ "$isa" = x86_64 ] && image=build/kernel/mmkit-x86_64.elf32
  echo "== booting the $isa kernel: qemu-system-$isa -kernel $image -m 128M"
  tests/kernel/boot.py --qemu "qemu-system-$isa" --kernel "$image" --mem 128M | grep -v '^# /'
  echo
done
