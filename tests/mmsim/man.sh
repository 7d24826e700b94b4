#!/usr/bin/env bash
# docs/mmsim.1 renders without a warning (groff -ww, and man --warnings when
# man is there), and it names every command, option and scenario operation
# that mmsim's own help names. Skipped (77) without groff.
# usage: man.sh MMSIM SOURCE_ROOT
set -u
mmsim=$1 page=$2/docs/mmsim.1
command -v groff > /dev/null || { echo "groff is not installed: skipped"; exit 77; }
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
[ -z "$warn" ] && ok "groff -man -ww: no warnings" || bad "groff -man -ww: $warn"
if command -v man > /dev/null; then
  warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 > /dev/null)
  [ -z "$warn" ] && ok "man --warnings -l: no warnings" || bad "man --warnings -l: $warn"
fi
text=$(groff -man -Tutf8 -ww "$page" 2> /dev/null | sed 's/.\x08//g; s/\xe2\x80\x90/-/g')
for section in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "SCENARIO LANGUAGE" "EXIT STATUS" \
               EXAMPLES FILES "SEE ALSO"; do
  grep -q "^$section\$" <<< "$text" && ok "section $section" || bad "no section $section"
done
# What mmsim's help lists, the page must say.
words=$(for c in run trace exec; do "$mmsim" help "$c"; done | grep -oE -- '--[a-z-]+' | sort -u)
words+=" $("$mmsim" help run | sed -n '/^operations/,$p' | sed 1d | awk '{print $1}' | sort -u)"
words+=" run trace exec help --version --list-arch --help --arch $("$mmsim" --list-arch | tr "\n" " ")"
for w in $words; do
  grep -qF -- "$w" <<< "$text" && ok "the page names $w" || bad "the page does not name $w"
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
