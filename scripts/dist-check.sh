#!/usr/bin/env bash
# meson dist from the committed tree (BUILDDIR configured): the tarball must
# hold exactly the files of HEAD (meson dist packs the last commit), no more
# (no build output, no stray files) and no fewer. --no-tests: the test
# command runs the tests already.
#
# usage: scripts/dist-check.sh [BUILDDIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=${1:-build}
name=$(meson introspect "$builddir" --projectinfo |
  python3 -c 'import json, sys; p = json.load(sys.stdin); print(p["descriptive_name"] + "-" + p["version"])')
meson dist -C "$builddir" --no-tests --formats xztar --allow-dirty >/dev/null
tarball="$builddir/meson-dist/$name.tar.xz"
diff -u <(git ls-tree -r --name-only HEAD | sort) \
  <(tar -tJf "$tarball" | sed -n "s|^$name/||p" | grep -v '/$' | grep -v '^$' | sort)
echo "dist: $tarball holds exactly the $(git ls-tree -r --name-only HEAD | wc -l) files of HEAD"
