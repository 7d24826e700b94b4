#!/usr/bin/env python3
"""Build a freestanding image with a compiler Meson does not drive.

Meson has one C compiler per machine, and the host's GCC cannot make
RISC-V code (Debian's gcc-multilib, which the i386 kernel needs, conflicts
with its RISC-V cross compilers); clang can, with --target. This compiles
each source alone with CC and CFLAGS (with a dependency file), wraps each
BLOB (name=path) as read-only data between the symbols name_start and
name_end, links everything with CC and LDFLAGS, and writes one dependency
file for Meson (a depfile naming every header read), and OUT.lint.json:
the compile commands of its C files, which scripts/lint-db.py adds to the
lint tools' database (Meson's compile_commands.json does not see them).

usage: cross-build.py OUT DEPFILE CC CFLAGS... :: LDFLAGS... :: INPUTS...
  INPUTS: .c and .S sources, and name=path blobs
"""
import json
import os
import subprocess
import sys
import tempfile


def split(argv):
    parts, cur = [], []
    for a in argv:
        if a == "::":
            parts.append(cur)
            cur = []
        else:
            cur.append(a)
    parts.append(cur)
    if len(parts) != 3 or not parts[0]:
        sys.exit(__doc__)
    return parts


def deps_of(path):
    """The prerequisites listed in a make-style dependency file."""
    text = open(path).read().replace("\\\n", " ")
    _, _, rest = text.partition(":")
    return [d for d in rest.split() if d]


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    out, depfile, cc = sys.argv[1:4]
    (cflags, ldflags, inputs) = split(sys.argv[4:])
    deps = []
    lint = []
    with tempfile.TemporaryDirectory(prefix="mmkit-cross-") as tmp:
        objs = []
        for i, src in enumerate(inputs):
            obj = os.path.join(tmp, "%d.o" % i)
            if "=" in src:
                name, path = src.split("=", 1)
                asm = os.path.join(tmp, "%d.S" % i)
                with open(asm, "w") as f:
                    f.write('\t.section .rodata.%s, "a"\n\t.balign 16\n\t.global %s_start\n'
                            '%s_start:\n\t.incbin "%s"\n\t.global %s_end\n%s_end:\n'
                            '\t.section .note.GNU-stack, "", @progbits\n'
                            % (name, name, name, os.path.abspath(path), name, name))
                cmd = [cc] + cflags + ["-c", asm, "-o", obj]
                deps.append(path)
            else:
                d = os.path.join(tmp, "%d.d" % i)
                cmd = [cc] + cflags + ["-MD", "-MF", d, "-c", src, "-o", obj]
                if src.endswith(".c"):
                    lint.append({"directory": os.getcwd(), "file": src,
                                 "arguments": [cc] + cflags + ["-c", src]})
            r = subprocess.run(cmd)
            if r.returncode:
                sys.exit(r.returncode)
            if "=" not in src:
                deps += deps_of(d)
            objs.append(obj)
        r = subprocess.run([cc] + cflags + objs + ldflags + ["-o", out])
        if r.returncode:
            sys.exit(r.returncode)
    with open(out + ".lint.json", "w") as f:
        json.dump(lint, f, indent=1)
    with open(depfile, "w") as f:
        f.write("%s: %s\n" % (out.replace(" ", "\\ "),
                              " ".join(sorted(set(p.replace(" ", "\\ ") for p in deps)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
