#!/usr/bin/env bash
# The lint step of the test command (scripts/test.sh): every C source and
# header in the tree formatted as .clang-format says (clang-format
# --dry-run --Werror), then cppcheck and clang-tidy over BUILDDIR's compile
# database (once BUILDDIR is configured); zero findings from each.
#
# usage: scripts/lint.sh [BUILDDIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== clang-format --dry-run --Werror"
# Every .c and .h in the tree, but not in build directories.
find . \( -path ./.git -o -path './build*' \) -prune -o \
  -type f \( -name '*.c' -o -name '*.h' \) -print0 |
  sort -z | xargs -0 clang-format --dry-run --Werror
echo "lint: clang-format: 0 findings"

# cppcheck over the build's compile database (the host code and the
# kernels, every ISA): errors, warnings, portability and performance, zero
# findings. Each suppression is inline (cppcheck-suppress) with its reason.
builddir=${1:-build}
# Regenerate the build files (and the headers meson writes at configure
# time, e.g. sim/mmsim/mmkit_isas.h) if meson.build changed since setup.
if [ -f "$builddir/build.ninja" ]; then
  ninja -C "$builddir" build.ninja > /dev/null
  # The RISC-V and aarch64 kernels' own C files reach the database only
  # when built (scripts/cross-build.py writes their compile commands): build them.
  rv=$(ninja -C "$builddir" -t targets all |
    sed -n 's/^\(kernel\/mmkit-\(riscv\|aarch64\)[^:]*\.elf\): .*/\1/p')
  if [ -n "$rv" ]; then
    # shellcheck disable=SC2086 # target names, one word each
    ninja -C "$builddir" $rv > /dev/null
  fi
fi
if [ -f "$builddir/compile_commands.json" ]; then
  echo "== cppcheck"
  scripts/lint-db.py "$builddir" "$builddir/lint-cppcheck" --cppcheck
  cppcheck --project="$builddir/lint-cppcheck/compile_commands.json" \
    --enable=warning,portability,performance --inline-suppr --quiet \
    --error-exitcode=1 -j "$(nproc)" \
    --template='{file}:{line}: {severity}: {message} [{id}]'
  echo "lint: cppcheck: 0 findings"
fi

# clang-tidy (.clang-tidy's checks) over the same database, with the
# kernels' GCC-only flag left out (scripts/lint-db.py): every C file of the
# host code and of the kernels, each once per distinct build of it (ISA,
# hosted or freestanding), zero findings. A suppression is a
# NOLINT(check) with its reason, where the finding is wrong. One clang-tidy
# per file, $(nproc) at a time: 1.5 to 2.5 minutes on 2 shared cores.
# MMKIT_TIDY=0 skips it (for a quick local check; the test command runs it).
if [ "${MMKIT_TIDY:-1}" != 0 ] && [ -f "$builddir/compile_commands.json" ]; then
  echo "== clang-tidy"
  scripts/lint-db.py "$builddir" "$builddir/lint-tidy"
  out="$builddir/lint-tidy/clang-tidy.txt"
  start=$(date +%s)
  rc=0
  # The longest first (a file's size times its builds), so that no long
  # file starts last while the other cores are idle.
  python3 -c 'import collections, json, os, sys
n = collections.Counter(os.path.join(e["directory"], e["file"]) for e in json.load(open(sys.argv[1])))
for f in sorted(n, key=lambda f: (-n[f] * os.path.getsize(f), f)):
    print(os.path.relpath(f, sys.argv[2]))' \
    "$builddir/lint-tidy/compile_commands.json" "$builddir" |
    (cd "$builddir" && xargs -P "$(nproc)" -n 1 clang-tidy -p lint-tidy --quiet \
      --header-filter='.*' --warnings-as-errors='*') >"$out" 2>&1 || rc=$?
  # One line per finding: a header's finding is reported once, however many
  # files include it, and whatever the path it was reached by.
  findings=$(python3 -c 'import os, re, sys
root = os.getcwd()
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"(\S+?):(\d+):(\d+): (warning|error): (.*?)(,-warnings-as-errors)?(\])?$", line)
    if m:
        path = os.path.relpath(os.path.normpath(os.path.join(sys.argv[2], m[1])), root)
        print("%s:%s:%s: %s: %s%s" % (path, m[2], m[3], m[4], m[5], m[7] or ""))' \
    "$out" "$builddir" | sort -u)
  n=0
  [ -z "$findings" ] || n=$(printf '%s\n' "$findings" | wc -l)
  [ -z "$findings" ] || printf '%s\n' "$findings"
  echo "lint: clang-tidy: $n findings in $(($(date +%s) - start)) s (all in $out)"
  if [ "$n" -eq 0 ] && [ "$rc" -ne 0 ]; then
    echo "lint: clang-tidy failed (exit $rc) without a finding: see $out" >&2
  fi
  [ "$n" -eq 0 ] && [ "$rc" -eq 0 ]
fi
