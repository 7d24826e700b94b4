#!/usr/bin/env bash
# clang's static analyzer (scan-build, Debian's clang-tools) over the host
# code: mm-core, the simulator, mmsim, the tests, the fuzz harness, the
# examples and the benchmarks, each ISA. Not the kernels: their GCC-only
# flag stops scan-build's compiler wrapper (clang-tidy's clang-analyzer-*
# checks in scripts/lint.sh cover them). Exits 1 on any report; the HTML
# reports go to OUTDIR. About 2.5 minutes on 2 cores; not part of
# scripts/test.sh (clang-tidy there runs the same analyzer checks).
#
# usage: scripts/scan-build.sh [BUILDDIR [OUTDIR]]   (default: build-scan, BUILDDIR/reports)
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=${1:-build-scan}
outdir=${2:-$builddir/reports}
if [ ! -f "$builddir/build.ninja" ]; then
  scan-build -o "$outdir" meson setup "$builddir" >/dev/null
fi
# Every object file outside kernel/: the host code, compiled (and analysed)
# without linking anything.
mapfile -t objs < <(ninja -C "$builddir" -t targets all | sed -n 's/: .*//p' |
  grep '\.o$' | grep -v '^kernel/')
ninja -C "$builddir" -t clean "${objs[@]}" >/dev/null
scan-build -o "$outdir" --status-bugs ninja -C "$builddir" "${objs[@]}"
