#!/usr/bin/env bash
# Quick start, command 2: install what is missing, check the code's format
# and run cppcheck and clang-tidy (scripts/lint.sh), build with warnings as
# errors, run every test suite,
# then every host suite again under ASan+UBSan (build-san/) and under
# Valgrind memcheck (0 errors and 0 definite leaks required), and the i386
# host suites with the recursive mapping (build-rec/, -Dtables=recursive).
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
echo "== i386 host suites with the recursive mapping (build-rec)"
# mm-core reaching page tables through a self-map root entry instead of the
# direct map (-Dtables=recursive builds the i386 port alone; its kernel
# boots in the main build: boot-i386-recursive*). Every i386 host suite,
# then the Check suites again under Valgrind (about 1.5 minutes in all).
if [ ! -f build-rec/build.ninja ]; then
  meson setup build-rec -Dwerror=true -Dtables=recursive >/dev/null
fi
ninja -C build-rec
meson test -C build-rec --suite i386 --no-suite kernel --no-suite fuzz-run --print-errorlogs
checks=$(sed -n "s/^host_tests = \[\(.*\)\]$/\1/p" tests/meson.build | tr -d "'," |
  sed 's/\([a-z]\+\)/\1-i386/g')
# shellcheck disable=SC2086 # test names, one word each
meson test -C build-rec --setup valgrind --print-errorlogs $checks recursive-i386
echo "== meson dist"
scripts/dist-check.sh build
