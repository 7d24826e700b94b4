#!/usr/bin/env bash
# The install, as a user of mmkit meets it: `meson install` into a
# temporary DESTDIR, then, for every ISA, build examples/consumer/fork_cow.c
# against what was installed, through pkg-config only (mmkit-sim-<isa>,
# which requires mmkit-core-<isa>), and run it; and compile every installed
# header alone, so that one including a private header fails here. Then
# the Meson project examples/consumer twice: finding mmkit by pkg-config
# (no fallback allowed), and as a subproject (a link to the source tree,
# the fallback forced).
#
# usage: tests/install/consume.sh BUILDDIR SRCDIR CC ISA...
set -euo pipefail
builddir=$1 srcdir=$2 cc=$3
shift 3
dest=$(mktemp -d "${TMPDIR:-/tmp}/mmkit-install-XXXXXX")
trap 'rm -rf "$dest"' EXIT
meson install -C "$builddir" --no-rebuild --destdir "$dest" >"$dest.log" 2>&1 \
  || { cat "$dest.log"; rm -f "$dest.log"; echo "consume: meson install failed"; exit 1; }
rm -f "$dest.log"
pcdir=$(dirname "$(find "$dest" -name 'mmkit-core-x86_64.pc' | head -1)")
[ -d "$pcdir" ] || { echo "consume: no mmkit-core-x86_64.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_LIBDIR=$pcdir
fail=0
for isa in "$@"; do
  flags=$(pkg-config --cflags --libs "mmkit-sim-$isa")
  # shellcheck disable=SC2086 # the flags are words
  if ! "$cc" -std=gnu11 -Wall -Wextra -Werror "$srcdir/examples/consumer/fork_cow.c" \
      $flags -o "$dest/fork_cow-$isa"; then
    echo "not ok - $isa: fork_cow does not build against the installed mmkit"
    fail=1
    continue
  fi
  out=$("$dest/fork_cow-$isa") || { echo "not ok - $isa: fork_cow failed: $out"; fail=1; continue; }
  case $out in
    *"($isa): the child read 111 after the parent wrote 222"*) echo "ok - $isa: $out" ;;
    *) echo "not ok - $isa: unexpected output: $out"; fail=1 ;;
  esac
  nh=0
  for h in $(cd "$dest" && find . -path '*/include/mmkit/*' -name '*.h' | sort); do
    case $h in */arch/*) case $h in */arch/$isa/*|*/arch/riscv/include/*) ;; *) continue ;; esac ;; esac
    case $h in */riscv_pte.h) continue ;; esac # included by a port's pte.h, never alone
    nh=$((nh + 1))
    inc=${h#*/include/mmkit/}
    inc=${inc#arch/$isa/include/}
    # shellcheck disable=SC2086
    if ! echo "#include <$inc>" | "$cc" -std=gnu11 -Wall -Wextra -Werror -fsyntax-only \
        $(pkg-config --cflags "mmkit-sim-$isa") -x c -; then
      echo "not ok - $isa: the installed <$inc> does not compile alone"
      fail=1
    fi
  done
  if [ "$nh" -lt 7 ]; then
    echo "not ok - $isa: only $nh installed headers found"
    fail=1
  else
    echo "ok - $isa: each of the $nh installed headers compiles alone"
  fi
done
# examples/consumer as a Meson project: by pkg-config, then as a subproject.
for how in pkg-config subproject; do
  proj=$dest/consumer-$how
  mkdir -p "$proj"
  cp "$srcdir/examples/consumer/meson.build" "$srcdir/examples/consumer/fork_cow.c" "$proj/"
  if [ "$how" = pkg-config ]; then
    opts=(--wrap-mode=nofallback)
  else
    mkdir -p "$proj/subprojects"
    ln -s "$srcdir" "$proj/subprojects/mmkit"
    opts=(--force-fallback-for=mmkit-sim-x86_64)
  fi
  if (cd "$proj" && meson setup build "${opts[@]}" >setup.log 2>&1 && ninja -C build >build.log 2>&1 \
      && meson test -C build >test.log 2>&1); then
    echo "ok - examples/consumer built with mmkit by $how, and its test passed"
  else
    echo "not ok - examples/consumer with mmkit by $how:"
    cat "$proj"/*.log
    fail=1
  fi
done
# examples/minikernel, a Multiboot x86_64 kernel outside mmkit's build:
# against the installed libmmcore-kernel-x86_64.a (pkg-config), then with
# mm-core built from the subproject; each booted in QEMU and judged by
# tests/kernel/boot.py (every TAP line ok, exit status 33).
qemu=$(command -v qemu-system-x86_64 || true)
for how in installed subproject; do
  proj=$dest/minikernel-$how
  mkdir -p "$proj"
  cp "$srcdir"/examples/minikernel/{meson.build,meson_options.txt,boot.S,main.c,linker.ld} "$proj/"
  if [ "$how" = subproject ]; then
    mkdir -p "$proj/subprojects"
    ln -s "$srcdir" "$proj/subprojects/mmkit"
  fi
  if ! (cd "$proj" && meson setup build -Dmmkit=$how >setup.log 2>&1 \
      && ninja -C build >build.log 2>&1); then
    echo "not ok - examples/minikernel with mm-core $how does not build:"
    cat "$proj"/*.log
    fail=1
    continue
  fi
  if [ -z "$qemu" ]; then
    echo "ok - examples/minikernel built with mm-core $how # SKIP no qemu-system-x86_64 to boot it"
  elif out=$("$srcdir/tests/kernel/boot.py" --qemu "$qemu" --kernel "$proj/build/minikernel.elf32" \
      --mem 64M --timeout 120 2>&1); then
    echo "ok - examples/minikernel with mm-core $how booted: $(echo "$out" | tail -1)"
  else
    echo "not ok - examples/minikernel with mm-core $how:"
    echo "$out"
    fail=1
  fi
done
exit $fail
