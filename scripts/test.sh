#!/usr/bin/env bash
# Quick start, command 2: install what is missing, check the code's format
# and run cppcheck and clang-tidy (scripts/lint.sh), build with warnings as
# errors, run every test suite,
# then every host suite again under ASan+UBSan (build-san/) and under
# Valgrind memcheck (0 errors and 0 definite leaks required).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --werror build
echo "== lint"
scripts/lint.sh build
ninja -C build
echo "== meson test"
meson test -C build --print-errorlogs
echo "== meson test --setup valgrind"
meson test -C build --setup valgrind --print-errorlogs
echo "== meson test --suite host, ASan+UBSan (build-san)"
# A second build with AddressSanitizer (and LeakSanitizer) and
# UndefinedBehaviorSanitizer; UBSan stops at the first report
# (-fno-sanitize-recover=all). meson.build leaves the kernels and the
# clang-built libFuzzer targets out of a sanitized build.
if [ ! -f build-san/build.ninja ]; then
  meson setup build-san -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fno-sanitize-recover=all >/dev/null
fi
ninja -C build-san
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-san --suite host --print-errorlogs
echo "== meson dist"
scripts/dist-check.sh build
