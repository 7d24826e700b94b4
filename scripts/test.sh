#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build with warnings as
# errors, run every test suite, then every host suite again under Valgrind
# memcheck (0 errors and 0 definite leaks required).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --werror build
ninja -C build
echo "== meson test"
meson test -C build --print-errorlogs
echo "== meson test --setup valgrind"
meson test -C build --setup valgrind --print-errorlogs
