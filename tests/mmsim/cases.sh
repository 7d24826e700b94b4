#!/usr/bin/env bash
# mmsim's command-line behaviour, for one ISA: the example scenarios pass,
# the bundled trace replays, and bad input gets a clear message (file and
# line) and a non-zero exit, never a crash.
# usage: cases.sh MMSIM ARCH SOURCE_ROOT
set -u
mmsim=$(realpath "$1") arch=$2 src=$(realpath "$3")
# Under `meson test --setup valgrind`, MMSIM_WRAPPER runs every mmsim (and
# the tool the driver execs) under memcheck; see below.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if [ -n "${MMSIM_WRAPPER:-}" ]; then
  printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$MMSIM_WRAPPER" "$mmsim" > "$work/mmsim"
  chmod +x "$work/mmsim"
  mmsim="$work/mmsim"
fi
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

# A command that must succeed.
expect_ok() {
  local what=$1; shift
  if "$@" > out.txt 2> err.txt; then ok "$what"; else bad "$what: exit $?: $(head -c 300 err.txt)"; fi
}
# A command that must fail with status 1 and print TEXT on stderr.
expect_err() {
  local what=$1 text=$2; shift 2
  "$@" > out.txt 2> err.txt
  local rc=$?
  if [ $rc -eq 1 ] && grep -qF -- "$text" err.txt; then ok "$what"
  else bad "$what: exit $rc, stderr: $(head -c 300 err.txt) (wanted: $text)"; fi
}

for s in fork-cow stack-growth munmap-subrange isolation; do
  expect_ok "scenario $s" "$mmsim" --arch "$arch" run "$src/examples/scenarios/$s.mmsim"
done
[ -s fork-cow.dot ] && grep -q 'shared' fork-cow.dot && ok "the fork picture shows shared frames" \
  || bad "fork-cow.dot missing or without shared frames"

fold=""; [ "$arch" = i386 ] && fold=--fold
expect_ok "bundled trace" "$mmsim" --arch "$arch" trace $fold "$src/examples/traces/true.lackey.gz"
grep -q "accesses          170538" out.txt && ok "trace: every access counted (170538)" \
  || bad "trace: wrong access count: $(grep accesses out.txt)"
expect_ok "trace --json" "$mmsim" --arch "$arch" trace --json $fold "$src/examples/traces/true.lackey.gz"
python3 -c 'import json,sys; d=json.load(open("out.txt")); assert d["accesses"]==170538 and d["tlb_hits"]+d["tlb_misses"]==d["accesses"] and d["resident_pages"]>0' \
  && ok "trace --json is valid JSON with consistent counts" || bad "trace --json"
zcat "$src/examples/traces/true.lackey.gz" | head -20000 > plain.trace
expect_ok "trace from stdin, uncompressed" sh -c "'$mmsim' --arch $arch trace $fold - < plain.trace"

# Bad input: a clear message naming the file and line; exit 1.
printf 'create a\nfrobnicate a\n' > bad-op.mmsim
expect_err "unknown operation" "bad-op.mmsim:2: unknown operation 'frobnicate'" "$mmsim" --arch "$arch" run bad-op.mmsim
printf 'create a\nmap a 0x1001 1 rw\n' > unaligned.mmsim
expect_err "unaligned address" "unaligned.mmsim:2: map: EINVAL" "$mmsim" --arch "$arch" run unaligned.mmsim
printf 'create a\nmmap a 0xffffffff80000000 1 rw\n' > outside.mmsim
expect_err "address outside the user half" "outside.mmsim:2: mmap:" "$mmsim" --arch "$arch" run outside.mmsim
printf 'create a\nmmap a 0x10000 1 r\nswitch a\nread 0x10000 5\n' > expect.mmsim
expect_err "a failed expectation" "expect.mmsim:4: read 0x10000: got 0x0, expected 5" "$mmsim" --arch "$arch" run expect.mmsim
printf 'create a\nmap a 0x10000 zz rw\n' > badnum.mmsim
expect_err "a bad number" "badnum.mmsim:2: bad page count 'zz'" "$mmsim" --arch "$arch" run badnum.mmsim
printf ' L 0400000,4\n X 0400000,4\n' > badop.trace
expect_err "malformed trace operation" "badop.trace:2: malformed trace line" "$mmsim" --arch "$arch" trace badop.trace
printf ' L 0400000,4\n L zzzz,4\n' > badaddr.trace
expect_err "malformed trace address" "badaddr.trace:2: malformed trace line" "$mmsim" --arch "$arch" trace badaddr.trace
printf ' L 0400000,4\n S 0400000\n' > nosize.trace
expect_err "trace line without a size" "nosize.trace:2: malformed trace line" "$mmsim" --arch "$arch" trace nosize.trace
printf ' L 0400000,4\n L 1ffffffffffff0000,4\n' > toobig.trace
expect_err "trace address beyond 64 bits" "toobig.trace:2: malformed trace line" "$mmsim" --arch "$arch" trace toobig.trace
if [ "$arch" = i386 ]; then
  printf ' L 0400000,4\n L 1fff000000,8\n' > wide.trace
  expect_err "trace address outside the ISA" "wide.trace:2: address 0x1fff000000 is outside the i386 user half" "$mmsim" --arch "$arch" trace wide.trace
fi
printf '#!/bin/sh\necho hi\n' > script.sh
expect_err "exec of a non-ELF file" "not a valid $arch ELF executable" "$mmsim" --arch "$arch" exec script.sh
head -c 100 /bin/true > truncated.elf 2>/dev/null
expect_err "exec of a truncated ELF" "not a valid $arch ELF executable" "$mmsim" --arch "$arch" exec truncated.elf
expect_err "a missing file" "cannot open" "$mmsim" --arch "$arch" run /nonexistent.mmsim
"$mmsim" --arch sparc run x.mmsim > /dev/null 2> err.txt
[ $? -eq 2 ] && grep -q "unknown --arch 'sparc'" err.txt && ok "unknown --arch" || bad "unknown --arch"

# A real executable: the regions of /bin/ls (the host's programs are x86_64).
if [ "$arch" = x86_64 ] && [ -r /bin/ls ]; then
  expect_ok "exec /bin/ls" "$mmsim" exec /bin/ls -l /tmp
  [ "$(grep -c '/bin/ls' out.txt)" -ge 4 ] && grep -q 'r-xp' out.txt && grep -q '\[stack\]' out.txt \
    && ok "exec /bin/ls: its four PT_LOAD regions and a stack" || bad "exec /bin/ls maps: $(cat out.txt)"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
