#!/usr/bin/env bash
# The lint step of the test command (scripts/test.sh): every C source and
# header in the tree formatted as .clang-format says (clang-format
# --dry-run --Werror), and cppcheck over BUILDDIR's compile database (once
# BUILDDIR is configured); zero findings from each.
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
if [ -f "$builddir/compile_commands.json" ]; then
  echo "== cppcheck"
  scripts/lint-db.py "$builddir" "$builddir/lint-cppcheck" --cppcheck
  cppcheck --project="$builddir/lint-cppcheck/compile_commands.json" \
    --enable=warning,portability,performance --inline-suppr --quiet \
    --error-exitcode=1 -j "$(nproc)" \
    --template='{file}:{line}: {severity}: {message} [{id}]'
  echo "lint: cppcheck: 0 findings"
fi
