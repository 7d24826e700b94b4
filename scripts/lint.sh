#!/usr/bin/env bash
# The lint step of the test command (scripts/test.sh): every C source and
# header in the tree formatted as .clang-format says (clang-format
# --dry-run --Werror: zero findings).
#
# usage: scripts/lint.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== clang-format --dry-run --Werror"
# Every .c and .h in the tree, but not in build directories.
find . \( -path ./.git -o -path './build*' \) -prune -o \
  -type f \( -name '*.c' -o -name '*.h' \) -print0 |
  sort -z | xargs -0 clang-format --dry-run --Werror
echo "lint: clang-format: 0 findings"
