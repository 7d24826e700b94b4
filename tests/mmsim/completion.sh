#!/usr/bin/env bash
# The bash completion of mmsim (sim/mmsim/mmsim.bash): commands, --arch and
# its values, each command's options (the very ones `mmsim help COMMAND`
# lists), and files where scripts, traces, executables and option values
# go. Each case sets COMP_WORDS as bash would and calls _mmsim.
# usage: completion.sh MMSIM SOURCE_ROOT
set -u
mmsim=$(realpath "$1") src=$(realpath "$2")
# shellcheck disable=SC1091 # the file under test
source "$src/sim/mmsim/mmsim.bash" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
touch a.mmsim b.mmsim notes.txt prog
mkdir sub
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

# comp WANT WORD... : completing the last WORD (the one under the cursor)
# of `mmsim WORD...` offers exactly WANT (space-separated, any order).
comp() {
  local want=$1 got
  shift
  COMP_WORDS=("$mmsim" "$@")
  COMP_CWORD=$#
  COMP_LINE="mmsim $*"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _mmsim
  got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ')
  want=$(tr ' ' '\n' <<< "$want" | sed '/^$/d' | sort | tr '\n' ' ')
  if [ "$got" = "$want" ]; then ok "mmsim $* -> ${want:-nothing}"
  else bad "mmsim $*: got '$got', wanted '$want'"; fi
}

isas=$("$mmsim" --list-arch | tr '\n' ' ')
comp "run trace exec help --arch --version --list-arch --help" ""
comp "--arch --version --list-arch --help" --
comp "$isas" --arch ""
comp "x86_64" --arch x
comp "--arch=i386 --arch=i386-pae" --arch=i
comp "--arch=i386-pae" --arch=i386-
comp "$isas" --arch = ""
comp "run trace exec help --arch --version --list-arch --help" --arch i386 ""
comp "trace" --arch x86_64 tr
comp "run trace exec" help ""
comp "" help run ""
comp "a.mmsim b.mmsim sub" run ""
comp "a.mmsim" --arch i386 run --json a
comp "" run --tlb ""
comp "a.mmsim b.mmsim notes.txt prog sub" run --dot ""
comp "" run a.mmsim ""
comp "a.mmsim b.mmsim notes.txt prog sub" trace --fold ""
comp "--check-stale" trace --check
comp "prog" exec --eager pr
comp "a.mmsim b.mmsim notes.txt prog sub" exec prog ""
comp "" exec prog --j
comp "notes.txt" exec --trace no
comp "a.mmsim b.mmsim sub" run -- ""
# Each command's options are those its help lists.
for c in run trace exec; do
  want=$("$mmsim" help "$c" | sed -n '/^options:/,/^$/p' | grep -oE -- '^  --[a-z-]+' | tr -d ' ' | tr '\n' ' ')
  [ -n "$want" ] || bad "help $c lists no options"
  comp "$want" "$c" --
done
# Installed, the file is named mmsim and registers _mmsim for mmsim.
if complete -p mmsim | grep -q -- '-F _mmsim mmsim'; then ok "complete -F _mmsim mmsim"
else bad "not registered: $(complete -p mmsim)"; fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
