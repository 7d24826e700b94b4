#!/usr/bin/env bash
# Install what mmkit needs on Debian 12 (as root, or with sudo), then
# configure the build directory. Safe to run again: it installs only what is
# missing and reconfigures an existing build directory in place.
#
# usage: scripts/setup.sh [--werror] [BUILDDIR]   (default: build)
#   --werror  treat compiler warnings as errors (the test command and CI)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
werror=false
if [ "${1:-}" = "--werror" ]; then
  werror=true
  shift
fi
builddir=${1:-build}

# Debian package names. Keep this list the single source of truth.
pkgs=(build-essential meson ninja-build pkg-config check libsubunit-dev
      valgrind clang-format gcc-multilib qemu-system-x86 grub-pc-bin
      grub-common xorriso zlib1g-dev graphviz clang libclang-rt-14-dev gdb
      cppcheck clang-tidy clang-tools python3 groff-base qemu-system-misc lld doxygen
      qemu-system-arm)
# The RISC-V kernels are built by clang --target with ld.lld (lld), not by
# gcc-riscv64-linux-gnu, which Debian will not install beside gcc-multilib;
# qemu-system-misc runs them, with the OpenSBI firmware QEMU ships.

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

cd "$here"
if [ -d "$builddir" ] && [ -f "$builddir/build.ninja" ]; then
  meson configure "$builddir" -Dwerror=$werror >/dev/null
else
  meson setup "$builddir" -Dwerror=$werror >/dev/null
fi
echo "setup: configured $builddir (werror=$werror)"
