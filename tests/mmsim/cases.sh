#!/usr/bin/env bash
# mmsim's command-line behaviour, for one ISA: the example scenarios pass,
# the bundled trace replays, bad input gets a clear message (file and line)
# and a non-zero exit, never a crash; --json gives one valid document; no
# name in a script reaches a shell.
# usage: cases.sh MMSIM ARCH SOURCE_ROOT
set -u
mmsim=$(realpath "$1") arch=$2 src=$(realpath "$3")
export MMSIM_ARCH=$arch # check_json.py: every document names this ISA
# Under `meson test --setup valgrind`, MMSIM_WRAPPER runs every mmsim (and
# the tool the driver execs) under memcheck; see below.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mmsim_plain=$mmsim # not under memcheck: for option errors, PATH and Ctrl-C, below
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

# A usage error: status 2, TEXT on stderr, nothing on stdout.
expect_usage() {
  local what=$1 text=$2; shift 2
  "$@" > out.txt 2> err.txt
  local rc=$?
  if [ $rc -eq 2 ] && grep -qF -- "$text" err.txt && [ ! -s out.txt ]; then ok "$what"
  else bad "$what: exit $rc, stderr: $(head -c 300 err.txt) (wanted: $text)"; fi
}
# --json: stdout must be one document that check_json.py validates, and the
# exit status 0 (ok) or 1 (error); the document is left in doc.json.
check_json=$src/tests/mmsim/check_json.py
expect_json() {
  local what=$1 want=$2; shift 2
  "$@" > doc.json 2> err.txt
  local rc=$? msg rc_want=0
  [ "$want" = error ] && rc_want=1
  if [ $rc -eq $rc_want ] && msg=$(python3 "$check_json" doc.json "$want"); then ok "$what"
  else bad "$what: exit $rc: $msg $(head -c 300 err.txt)"; fi
}
# A python3 assertion about the document in doc.json (as d).
json_assert() {
  local what=$1 expr=$2
  if python3 -c "import json; d = json.load(open('doc.json')); assert $expr, d" 2> assert.txt
  then ok "$what"; else bad "$what: $(tail -c 300 assert.txt)"; fi
}

for s in fork-cow stack-growth munmap-subrange isolation; do
  expect_ok "scenario $s" "$mmsim" --arch "$arch" run "$src/examples/scenarios/$s.mmsim"
done
[ -s fork-cow.dot ] && grep -q 'shared' fork-cow.dot && ok "the fork picture shows shared frames" \
  || bad "fork-cow.dot missing or without shared frames"

fold=""; case $arch in i386*) fold=--fold ;; esac # 32-bit user halves
expect_ok "bundled trace" "$mmsim" --arch "$arch" trace $fold "$src/examples/traces/true.lackey.gz"
grep -q "accesses          170538" out.txt && ok "trace: every access counted (170538)" \
  || bad "trace: wrong access count: $(grep accesses out.txt)"
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
case $arch in i386*)
  printf ' L 0400000,4\n L 1fff000000,8\n' > wide.trace
  expect_err "trace address outside the ISA" "wide.trace:2: address 0x1fff000000 is outside the $arch user half" "$mmsim" --arch "$arch" trace wide.trace
esac
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

# ---- --json: one valid document on stdout, whatever happens -----------------
for s in fork-cow stack-growth munmap-subrange isolation; do
  expect_json "run --json $s" ok "$mmsim" --arch "$arch" run --json --dot "json-$s.dot" "$src/examples/scenarios/$s.mmsim"
done
json_assert "run --json: the picture of --dot is listed" 'd["pictures"][-1]["dot"] == "json-isolation.dot"'
cat > chatty.mmsim <<'END'
create a
mmap a 0x10000 2 rw
switch a
write 0x10000 7
read 0x10000
echo hello "json" \ world
show maps
show tables a
show stats
dot chatty.dot
fail-next 0
map a 0x40000 1 rw
fail-next off
END
expect_json "run --json: a script that prints (echo, show, read, mmap, dot, injected ENOMEM)" ok \
  "$mmsim" --arch "$arch" run --json chatty.mmsim
json_assert "run --json: the printed text is in the document's output" \
  '"hello \"json\" \\ world" in d["output"] and "# read 0x10000 = 0x7" in d["output"] and "# map: ENOMEM (injected)" in d["output"]'
json_assert "run --json: the space, its region and its resident page" \
  'd["spaces"][0]["name"] == "a" and d["spaces"][0]["active"] and d["spaces"][0]["regions"][0]["start"] == "0x10000" and d["spaces"][0]["regions"][0]["resident_pages"] == 1 and d["stats"]["faults_resolved"]["demand_zero"] == 1'
printf 'create a\nmap a 0x1001 1 rw\n' > jbad.mmsim
expect_json "run --json of a failing script: an error document" error "$mmsim" --arch "$arch" run --json jbad.mmsim
json_assert "run --json error: file, line and message" \
  'd["error"]["file"] == "jbad.mmsim" and d["error"]["line"] == 2 and "EINVAL" in d["error"]["message"]'
grep -qF "jbad.mmsim:2: map: EINVAL" err.txt && ok "run --json error: the message on stderr too" || bad "run --json error on stderr: $(cat err.txt)"
printf 'create q"x\\y\ncreate \377\001z\n' > names.mmsim
expect_json "run --json: names with quotes, backslashes, control and non-UTF-8 bytes" ok "$mmsim" --arch "$arch" run --json names.mmsim
json_assert "run --json: the names escaped, not mangled" \
  '[s["name"] for s in d["spaces"]] == ["q\"x\\y", "\ufffd\u0001z"]'
expect_json "trace --json" ok "$mmsim" --arch "$arch" trace --json $fold "$src/examples/traces/true.lackey.gz"
json_assert "trace --json: every access counted, the trace's lines" \
  'd["stats"]["accesses"] == 170538 and d["trace"]["lines"] > 0 and d["stats"]["resident_pages"] > 0'
printf ' L 0400000,4\n X 0400000,4\n' > jbad.trace
expect_json "trace --json of a bad trace: an error document" error "$mmsim" --arch "$arch" trace --json jbad.trace
json_assert "trace --json error: its line" 'd["error"]["line"] == 2'
expect_json "exec --json of a file that is not ELF: an error document" error "$mmsim" --arch "$arch" exec --json script.sh
if [ "$arch" = x86_64 ] && [ -r /bin/ls ]; then
  expect_json "exec --json /bin/ls" ok "$mmsim" exec --json /bin/ls -l
  json_assert "exec --json: the entry in a code region of /bin/ls, the stack pointer in the stack" \
    'any(int(r["start"],16) <= int(d["spaces"][0]["image"]["entry"],16) < int(r["end"],16) and r["kind"] == "code" and r["path"] == "/bin/ls" for r in d["spaces"][0]["regions"]) and any(int(r["start"],16) <= int(d["spaces"][0]["image"]["sp"],16) < int(r["end"],16) and r["kind"] == "stack" for r in d["spaces"][0]["regions"])'
fi

# ---- nothing in a script reaches a shell; names are escaped in DOT -------------
printf "create a\ndot x';touch\${IFS}INJECTED;'.dot\n" > inject.mmsim
expect_ok "a dot file name with shell syntax" "$mmsim" --arch "$arch" run inject.mmsim
[ ! -e INJECTED ] && [ -s "x';touch\${IFS}INJECTED;'.dot" ] \
  && ok "dot: the shell injection created nothing; the file has the name as given" \
  || bad "dot: injection: $(ls)"
expect_ok "--dot FILE with shell syntax" "$mmsim" --arch "$arch" run --dot "y\$(touch INJECTED2)\`touch INJECTED3\`.dot" inject.mmsim
[ ! -e INJECTED2 ] && [ ! -e INJECTED3 ] && ok "--dot: the shell injection created nothing" || bad "--dot: injection: $(ls)"
printf 'create q"x\\y\ndot -esc.dot\n' > esc.mmsim
expect_ok "names with DOT syntax, a file name like an option" "$mmsim" --arch "$arch" run esc.mmsim
grep -qF 'label="q\"x\\y (' -- -esc.dot && ok "dot: quotes and backslashes in names escaped" \
  || bad "dot: escaping: $(grep label -- -esc.dot)"
if command -v dot > /dev/null; then
  grep -qF 'rendered to -esc.dot.svg' out.txt && [ -s ./-esc.dot.svg ] && ok "dot renders the escaped file" \
    || bad "dot did not render the escaped file: $(cat out.txt err.txt)"
fi

printf 'create a\ndot nodot.dot\n' > nodot.mmsim
expect_json "no dot on PATH: the DOT file, no SVG, still a document" ok env PATH=/nonexistent "$mmsim_plain" --arch "$arch" run --json nodot.mmsim
json_assert "no dot on PATH: the picture without an SVG, and how to get one" \
  'd["pictures"] == [{"dot": "nodot.dot", "svg": None}] and "# picture: nodot.dot (Graphviz; install graphviz to render it)" in d["output"]'

# ---- numbers: every numeric option, strictly (exit 2) ---------------------------
# (Without MMSIM_WRAPPER: option errors end mmsim before anything is
# allocated, and fifty more runs under memcheck would only cost time.)
for v in abc -1 "" " 8" 8x 0x 5 65540 99999999999999999999 1e3 +8 010x; do
  expect_usage "--tlb '$v'" "--tlb" "$mmsim_plain" --arch "$arch" run --tlb "$v" inject.mmsim
done
for v in abc 0 3 65537 -4 0x 99999999999999999999 " 16" 16MiB; do
  expect_usage "--mem '$v'" "--mem" "$mmsim_plain" --arch "$arch" trace --mem "$v" plain.trace
done
for v in zz 0 0x1001 -4096 0x10000000000000000 0xffffffffffff0000 " 0x1000"; do
  expect_usage "--load-base '$v'" "--load-base" "$mmsim_plain" --arch "$arch" trace --load-base "$v" plain.trace
done
expect_usage "--tlb without a value" "needs a value" "$mmsim" --arch "$arch" run inject.mmsim --tlb
expect_usage "an unknown option" "unknown option '--frob'" "$mmsim" --arch "$arch" run --frob inject.mmsim
expect_usage "an unknown command" "unknown command 'walk'" "$mmsim" --arch "$arch" walk x
expect_usage "run without a script" "run takes one SCRIPT" "$mmsim" --arch "$arch" run
expect_ok "--tlb 0 (no TLB) and --mem 16 are fine" "$mmsim" --arch "$arch" trace --tlb 0 --mem 16 $fold plain.trace

# ---- numbers, operands and names in scripts (exit 1) ----------------------------
n=0
while IFS='|' read -r line text; do
  n=$((n + 1))
  printf 'create a\nmmap a 0x10000 1 rw\nswitch a\n%s\n' "$line" > "num$n.mmsim"
  expect_err "script: $line" "num$n.mmsim:4: $text" "$mmsim" --arch "$arch" run "num$n.mmsim"
done <<'END'
map a 010x 1 rw|bad virtual address '010x'
map a 0x20000 +1 rw|bad page count '+1'
map a 0x20000 0x1ffffffffffffffff rw|bad page count '0x1ffffffffffffffff'
map a 0x20000 1e3 rw|bad page count '1e3'
write 0x10000 -1|bad value '-1'
read 0x10000 abc|bad expected value 'abc'
fail-next -1|bad allocation number '-1'
fail-next 0x8000000000000000|allocation number 0x8000000000000000 is out of range
stack a 0x100000 0x100|page count 0x100 is out of range (1 to 255)
stack a 0x1000 1|stack: top 0x1000 leaves no room
fault read 0x10000 acess|fault: unknown verdict 'acess'
fault fetch 0x10000 segv|fault: access 'fetch' is read, write or exec
create a b|create: too many operands
switch|switch: missing operands
show|show: missing operands
show frames|show: usage
expect-error EWHAT|expect-error: unknown error name 'EWHAT'
fork a b sideways|fork mode 'sideways'
mmap a any 1 rw private|mmap option 'private'
END
for code in EOVERFLOW ENOTSUP EPERM ENOENT ENOMEM EACCES EFAULT EBUSY EEXIST EINVAL; do
  printf 'expect-error %s\ncreate b\n' "$code" > "code-$code.mmsim"
  expect_err "expect-error knows $code" "code-$code.mmsim:2: create: expected $code:" "$mmsim" --arch "$arch" run "code-$code.mmsim"
done
expect_err "a directory as the script" "cannot read '.': Is a directory" "$mmsim" --arch "$arch" run .
printf 'create a\nexpect-error EBUSY\n' > dangling.mmsim
expect_err "expect-error with no operation after it" "expect-error EBUSY at the end: no operation follows" "$mmsim" --arch "$arch" run dangling.mmsim
printf 'create a\nexpect-error EBUSY\ncreate a\n' > twice.mmsim
expect_err "expect-error: another error is still reported" "an address space named 'a' exists already" "$mmsim" --arch "$arch" run twice.mmsim
printf 'create a\nswitch a\nexpect-error EBUSY\ndestroy a\nshow maps a\nswitch kernel\ndestroy a\ncheck\n' > busy.mmsim
expect_ok "expect-error EBUSY: destroy of the active space refused" "$mmsim" --arch "$arch" run busy.mmsim
grep -q "# maps of a" out.txt && ok "the space that refused destruction is still there" || bad "busy: $(cat out.txt)"

# ---- show maps (smaps' Rss, Shared, Private) and show mem (QEMU's info mem) ----
cat > smaps.mmsim <<'END'
create a
mmap a 0x10000 4 rw
mmap a 0x20000 2 r-x
mmap a 0x30000 2 rw shared
mmap a 0x400000 1024 rw
populate a 0x400000 1024 write
switch a
write 0x10000 1
write 0x11000 2
write 0x13000 3
read 0x20000
fork a b
write 0x10000 4
write 0x400000 5
show maps a
show mem a
END
expect_ok "show maps and show mem after a fork" "$mmsim" --arch "$arch" run --mem 64 smaps.mmsim
# The same on every ISA but for the address widths (the ISA's VA bits) and
# the x of pages without NX (i386 has none): both read off the tool's first
# lines; every count and run below is asserted exactly.
w=$(sed -n '/^# maps of a/{n;s/-.*//p;q}' out.txt); w=${#w}
m=$(sed -n '/^# mem of a/{n;s/-.*//p;q}' out.txt); m=${#m}
x=$(sed -n '/^# mem of a/{n;s/.*\(.\)$/\1/p;q}' out.txt)
# Only i386 (32-bit paging) has no NX: every other format's rw page is not x.
want_x=-; [ "$arch" = i386 ] && want_x=x
[ "$x" = "$want_x" ] && ok "show mem: the x of a rw page is '$want_x' on $arch" \
  || bad "show mem: the x of a rw page is '$x' on $arch, not '$want_x'"
hex() { printf "%0${1}x" "$2"; }
{
  echo "# maps of a (4 regions, 1030 resident pages)"
  for r in "0x10000 0x14000 rw-p mmap 12 8 4" "0x20000 0x22000 r-xp mmap 4 4 0" \
           "0x30000 0x32000 rw-s shared 8 8 0" "0x400000 0x800000 rw-p mmap 4096 4092 4"; do
    set -- $r
    printf '%s-%s %s 00000000 00:00 0 %-24s # %s, Rss %s kB, Shared %s kB, Private %s kB\n' \
      "$(hex $w "$1")" "$(hex $w "$2")" "$3" "" "$4" "$5" "$6" "$7"
  done
  echo "# mem of a: present pages by run (u user, w writable, x executable)"
  for r in "0x10000 0x11000 urw$x" "0x11000 0x12000 ur-$x" "0x13000 0x14000 ur-$x" \
           "0x20000 0x21000 ur-x" "0x30000 0x32000 urw$x" "0x400000 0x401000 urw$x" \
           "0x401000 0x800000 ur-$x"; do
    set -- $r
    echo "$(hex $m "$1")-$(hex $m "$2") $(hex $m $(($2 - $1))) $3"
  done
} > smaps.want
# The kernel half's direct map (64 MiB from 1 MiB) closes show mem.
sed -n '/^# maps of a/,$p' out.txt | grep -v -- "-rw$x\$" > smaps.got
if [ "$m" -ge 8 ] && diff smaps.want smaps.got > smaps.diff; then ok "show maps: Rss, Shared, Private of each region, exactly; show mem: the runs"
else bad "show maps / show mem: $(head -c 1500 smaps.diff)"; fi
# The last run: 64 MiB of the kernel half from its direct map's 1 MiB,
# supervisor read-write.
last=$(tail -n 1 out.txt)
kdm_size=$(hex "$m" $((64 << 20)))
case $last in
  *-*" $kdm_size -rw$x") start=${last%%-*}; end=${last#*-}; end=${end%% *}
    [ $((0x$end - 0x$start)) -eq $((64 << 20)) ] && [ $((0x$start & 0xfffff)) -eq 0 ] \
      && case ${start:0:1} in [89a-f]) true;; *) false;; esac && ok "show mem: the kernel half's direct map, one run" \
      || bad "show mem's kernel run: $last";;
  *) bad "show mem's kernel run: $last";;
esac
expect_json "run --json: smaps counts" ok "$mmsim" --arch "$arch" run --json --mem 64 smaps.mmsim
json_assert "run --json: rss, shared and private of each region, in kB" \
  '[(r["rss"], r["shared"], r["private"]) for r in [s for s in d["spaces"] if s["name"] == "a"][0]["regions"]] == [(12, 8, 4), (4, 4, 0), (8, 8, 0), (4096, 4092, 4)]'
printf 'create a\nshow mem a\nshow mem\nshow mem b\n' > memb.mmsim
expect_err "show mem of a space that does not exist" "memb.mmsim:4: no address space named 'b'" "$mmsim" --arch "$arch" run memb.mmsim

# ---- exec: an image lives as long as its spaces, and no longer ------------------
if [ "$arch" = x86_64 ] && [ -r /bin/true ]; then
  printf 'exec a /bin/true\nfork a b\nexec a /bin/true\nshow maps b\ndestroy b\nexec c /bin/true\ndestroy c\nexec c /bin/true\ncheck\n' > images.mmsim
  expect_ok "exec, fork, exec again, destroy, exec into a reused slot" "$mmsim" run images.mmsim
  [ "$(grep -c ' /bin/true ' out.txt)" -ge 4 ] && ok "the child of an exec'd image keeps its file names" \
    || bad "the child's maps lost the file names: $(cat out.txt)"
fi

# ---- the usual manners: --version, help, where --arch goes, the progress bar ----
expect_ok "--version" "$mmsim" --version
grep -qE '^mmsim [0-9]+\.[0-9]+' out.txt && ok "--version names mmsim and its version" || bad "--version: $(cat out.txt)"
expect_ok "help run" "$mmsim" --arch "$arch" help run
grep -qF "usage: mmsim [--arch $("$mmsim" --list-arch | paste -sd'|')] run" out.txt && grep -qF 'fork PARENT CHILD [cow|eager]' out.txt \
  && grep -qF -- '--json' out.txt && ! grep -qF -- '--eager' out.txt \
  && ok "help run: its synopsis, options and the scenario operations" || bad "help run: $(cat out.txt)"
cp out.txt help-run.txt
expect_ok "run --help" "$mmsim" --arch "$arch" run --help
cmp -s out.txt help-run.txt && ok "run --help says what help run says" || bad "run --help differs from help run"
expect_ok "help trace" "$mmsim" --arch "$arch" help trace
grep -qF -- '--load-base ADDR' out.txt && grep -qF -- '--tlb N' out.txt && ok "help trace: its options" || bad "help trace: $(cat out.txt)"
expect_ok "exec --help" "$mmsim" --arch "$arch" exec --help
grep -qF -- '--eager' out.txt && ok "exec --help: its options" || bad "exec --help: $(cat out.txt)"
expect_ok "--help" "$mmsim" --help
grep -qF 'help COMMAND' out.txt && grep -q '^  run ' out.txt && ok "--help lists the commands" || bad "--help: $(cat out.txt)"
expect_usage "help of an unknown command" "help takes one command" "$mmsim" --arch "$arch" help frob
expect_usage "--arch after the command" "--arch goes before the command" "$mmsim" run --arch "$arch" inject.mmsim
expect_usage "an option before the command" "'--json' before the command" "$mmsim" --arch "$arch" --json run inject.mmsim
expect_usage "an option the command does not take" "run takes no --eager" "$mmsim" --arch "$arch" run --eager inject.mmsim
expect_usage "--arch without a value" "--arch needs a value" "$mmsim" --arch
# No message names the per-ISA tools (mmsim-i386, mmsim-x86_64).
for args in "run --frob x" "run --tlb" "--arch $arch run --arch $arch x" "--arch $arch walk" "--arch $arch run"; do
  # shellcheck disable=SC2086
  "$mmsim" $args > out.txt 2> err.txt
  grep -q 'mmsim-' err.txt && bad "'mmsim $args' names an internal tool: $(cat err.txt)" \
    || { grep -q '^mmsim: ' err.txt && ok "'mmsim $args': the message is mmsim's"; } \
    || bad "'mmsim $args': $(cat err.txt)"
done
if [ "$arch" = x86_64 ] && [ -r /bin/true ]; then
  # After the ELF, --arch is the program's argument: the driver must not act on it.
  expect_json "exec: --arch after the ELF belongs to the program" ok "$mmsim" exec --json /bin/true --arch i386
  json_assert "exec: the ISA stays the one before the command" 'd["arch"] == "x86_64"'
fi
# --thp: a first touch of an mmap'd region that covers an aligned large
# page maps it whole (show tables gives its size); a COW write after fork
# copies 4 KiB in the child, whose large page is then split, while the
# parent's stays whole. The large page is 4 MiB on i386, 2 MiB elsewhere.
big=2048; [ "$arch" = i386 ] && big=4096
cat > thp.mmsim <<'END'
create a
mmap a 0x40000000 1024 rw
switch a
write 0x40001000 7
show tables a
fork a b cow
switch b
write 0x40002000 9
read 0x40001000 7
show tables b
show tables a
check
END
expect_ok "--thp: a first touch maps a large page" "$mmsim" --arch "$arch" run --thp thp.mmsim
n=$(grep -cE "^ *[A-Z0-9]+ *\[ *[0-9]+\] 0*40000000 -> frame 0x[0-9a-f]+ r[w-][x-]u( cow)? $big KiB page( shared\(refs=2\))?$" out.txt)
[ "$n" = 2 ] && ok "--thp: show tables gives the $big KiB page, in a and still in a after b's write"   || bad "--thp: $n lines with the $big KiB page, wanted 2: $(head -c 600 out.txt)"
grep -qE "^ *[A-Z0-9]+ +\[ *2\] 0*40002000 -> frame 0x[0-9a-f]+ rw[x-]u$" out.txt \
  && ok "--thp: b's write copied one 4 KiB page" || bad "--thp: no 4 KiB copy in b: $(head -c 600 out.txt)"
expect_json "--thp --json" ok "$mmsim" --arch "$arch" run --json --thp thp.mmsim
json_assert "--thp: stats.large_pages counts a's large page" 'd["stats"]["large_pages"] == 1'
expect_ok "without --thp: 4 KiB pages" "$mmsim" --arch "$arch" run thp.mmsim
grep -q "KiB page" out.txt && bad "without --thp: a large page: $(head -c 300 out.txt)"   || ok "without --thp: no large page"
# The progress bar fits the terminal, whatever its width (run on a pty).
for cols in 100 40 16; do
  if python3 "$src/tests/mmsim/pty_width.py" "$cols" "$mmsim" --arch "$arch" trace $fold "$src/examples/traces/true.lackey.gz" > "pty$cols.txt" 2>&1
  then ok "the progress bar fits $cols columns"; else bad "progress bar at $cols columns: $(tail -c 400 "pty$cols.txt")"; fi
done
grep -qE '\|\[#{50}\] 100% 0\.2M lines, [0-9.]+M/s\|' pty100.txt && ok "100 columns: the whole bar, the lines and the rate" \
  || bad "100 columns: $(head -c 400 pty100.txt)"
grep -qE '\|100% 0\.2M lines?\|' pty16.txt && ok "16 columns: no room for a bar, the text cut to fit" || bad "16 columns: $(head -c 400 pty16.txt)"
# (Not under memcheck: a million lines would take it minutes, and it has
# its own say on a fatal signal.)
if python3 "$src/tests/mmsim/pty_interrupt.py" "$mmsim_plain" --arch "$arch" > pty-int.txt 2>&1
then ok "Ctrl-C during a replay erases the progress bar's line"; else bad "Ctrl-C: $(tail -c 300 pty-int.txt)"; fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
