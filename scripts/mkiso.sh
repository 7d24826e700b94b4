#!/usr/bin/env bash
# Make a GRUB 2 (BIOS) boot ISO for a Multiboot kernel: how users boot it.
# usage: scripts/mkiso.sh KERNEL OUT.iso
set -euo pipefail
kernel=$1
out=$2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"
cp "$kernel" "$stage/boot/mmkit.elf"
cat > "$stage/boot/grub/grub.cfg" <<'CFG'
set timeout=0
set default=0
menuentry "mmkit" {
	multiboot /boot/mmkit.elf
	boot
}
CFG
grub-mkrescue -o "$out" "$stage" >/dev/null 2>&1 || {
  echo "mkiso: grub-mkrescue failed" >&2
  grub-mkrescue -o "$out" "$stage"
  exit 1
}
