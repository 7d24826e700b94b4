#!/usr/bin/env python3
"""Write a compile database for the clang-based lint tools and cppcheck.

usage: scripts/lint-db.py BUILDDIR OUTDIR [--cppcheck]

Reads BUILDDIR/compile_commands.json and writes OUTDIR/compile_commands.json:
- without the flags clang does not know: the kernels' GCC-only
  -fno-tree-loop-distribute-patterns (kernel/meson.build) would make every
  kernel file an error for clang-tidy;
- as an argument list ("arguments"): cppcheck reads meson's shell-quoted
  -DSCENARIO_DIR=\"...\" in "command" wrongly, and with --cppcheck the
  quotes of such a define are escaped once more, as cppcheck (not clang)
  wants them;
- C files only (not the kernels' assembly);
- with the C files that only scripts/cross-build.py compiles (the RISC-V
  kernels' arch/riscv code: BUILDDIR/**/*.lint.json), which Meson's
  database does not list;
- one entry per distinct (file, flags), where the include paths count
  only as the ISA they choose (arch/<isa>/include): fuzz/ builds mm-core
  and the simulator a second time with the same flags but more include
  paths (its plant_args are empty outside -Dplant), which would only add
  a third to the run time of clang-tidy.
"""
import glob
import json
import os
import re
import shlex
import sys

GCC_ONLY = {"-fno-tree-loop-distribute-patterns", "-fdiagnostics-color=always"}


def main():
    builddir, outdir = sys.argv[1], sys.argv[2]
    for_cppcheck = sys.argv[3:] == ["--cppcheck"]
    with open(os.path.join(builddir, "compile_commands.json")) as f:
        db = json.load(f)
    # The cross-built files no Meson target compiles (arch/riscv/kernel).
    known = {os.path.normpath(os.path.join(e["directory"], e["file"])) for e in db}
    for path in sorted(glob.glob(os.path.join(builddir, "**", "*.lint.json"), recursive=True)):
        with open(path) as f:
            for e in json.load(f):
                full = os.path.normpath(os.path.join(e["directory"], e["file"]))
                if full not in known:
                    known.add(full)
                    db.append({"directory": e["directory"], "file": e["file"],
                               "command": shlex.join(e["arguments"])})
    seen = set()
    out = []
    for e in db:
        if not e["file"].endswith(".c"):  # the kernels' .S files: not C
            continue
        args = shlex.split(e["command"])
        kept = []
        skip = False
        for a in args:
            if skip:
                skip = False
                continue
            if a in ("-MQ", "-MF", "-o"):  # build outputs: not part of the flags
                skip = True
                continue
            if a in GCC_ONLY or a == "-MD":
                continue
            if for_cppcheck and a.startswith("-D") and '"' in a:
                a = a.replace('"', '\\"')
            kept.append(a)
        # Include paths: only the ISA's (arch/<isa>/include) is part of the
        # key. The others are the target's private directory (foo.p, only
        # generated files we do not have) and directories that add headers
        # the file does not include (the fuzz harness's, the simulator's).
        key = (os.path.normpath(os.path.join(e["directory"], e["file"])),
               tuple(a for a in kept
                     if not a.startswith("-I") or re.search(r"arch/[^/]+/include$", a)))
        if key in seen:
            continue
        seen.add(key)
        out.append({"directory": os.path.abspath(e["directory"]),
                    "file": e["file"], "arguments": kept})
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "compile_commands.json"), "w") as f:
        json.dump(out, f, indent=1)
    print("lint-db: %d of %d entries" % (len(out), len(db)))


if __name__ == "__main__":
    main()
