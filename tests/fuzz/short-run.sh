#!/usr/bin/env bash
# A short libFuzzer run (ASan + UBSan) from a copy of the committed corpus:
# bounded in time, fails on any divergence or sanitizer report.
# usage: short-run.sh FUZZER CORPUS SECONDS
set -u
fuzzer=$(realpath "$1") corpus=$(realpath "$2") secs=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus" "$work/corpus"
cd "$work"
"$fuzzer" -max_total_time="$secs" -max_len=1024 -len_control=0 -print_final_stats=1 corpus 2> log
rc=$?
grep -E "cov:|stat::number_of_executed_units|divergence|ERROR" log | tail -4
if [ $rc -eq 0 ]; then echo "1 passed, 0 failed"; else tail -30 log; echo "0 passed, 1 failed"; fi
exit $rc
