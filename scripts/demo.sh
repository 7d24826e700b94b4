#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and run mmsim on
# the bundled default: a copy-on-write fork scenario (page tables, maps,
# statistics, and a Graphviz picture), the replay of a real program's
# memory trace, and the image of /bin/ls. Then boot the kernels in QEMU
# (i386, x86_64, riscv64 and aarch64: the same mm-core on four real MMUs).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/setup.sh build
ninja -C build >/dev/null
mmsim=$root/build/sim/mmsim/mmsim
mkdir -p build/demo
cd build/demo
echo "== mmsim run examples/scenarios/fork-cow.mmsim"
"$mmsim" run "$root/examples/scenarios/fork-cow.mmsim"
echo "   (the picture is in $(pwd))"
echo
echo "== mmsim trace examples/traces/true.lackey.gz   (valgrind --tool=lackey of /bin/true)"
"$mmsim" trace --image /bin/true --load-base 0x108000 "$root/examples/traces/true.lackey.gz"
echo
if [ -r /bin/ls ]; then
  echo "== mmsim exec /bin/ls"
  "$mmsim" exec /bin/ls | head -12
  echo
fi
cd "$root"
for isa in i386 x86_64 riscv64 aarch64; do
  image=build/kernel/mmkit-$isa.elf
  [ "$isa" = x86_64 ] && image=build/kernel/mmkit-x86_64.elf32
  how="-kernel $image"
  [ "$isa" = riscv64 ] && how="-machine virt -bios default -kernel $image (OpenSBI)"
  [ "$isa" = aarch64 ] && how="-machine virt -cpu cortex-a57 -semihosting -kernel $image (EL1)"
  echo "== booting the $isa kernel: qemu-system-$isa $how -m 128M"
  tests/kernel/boot.py --qemu "qemu-system-$isa" --kernel "$image" --mem 128M | grep -v '^# /'
  echo
done
