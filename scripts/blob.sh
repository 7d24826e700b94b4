#!/usr/bin/env bash
# Wrap a file as a linkable object with symbols SYMBOL_start and SYMBOL_end
# (read-only data), to link a user program into a kernel.
# usage: scripts/blob.sh IN OUT.o BFD-FORMAT BFD-ARCH SYMBOL
set -euo pipefail
in=$(realpath "$1")
out=$(realpath -m "$2")
base=$(basename "$in")
mangled=_binary_$(printf '%s' "$base" | sed 's/[^A-Za-z0-9_]/_/g')
cd "$(dirname "$in")"
objcopy -I binary -O "$3" -B "$4" \
  --rename-section .data=.rodata,alloc,load,readonly,data,contents \
  --redefine-sym "${mangled}_start=$5_start" --redefine-sym "${mangled}_end=$5_end" \
  --strip-symbol "${mangled}_size" \
  --add-section .note.GNU-stack=/dev/null \
  "$base" "$out"
