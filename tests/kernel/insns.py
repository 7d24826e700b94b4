#!/usr/bin/env python3
"""Fail if an x86 executable uses instructions a CPU it must run on lacks.

The i386 kernel and its user programs are built for a 486 (-march=i486);
boot.S checks CPUID only for what it uses on purpose (PSE). A boot under
QEMU -cpu 486 runs only the paths it takes; this reads every instruction
(objdump -d) and fails on any from a later CPU: CMOVcc/FCMOVcc/FCOMI
(P6), CMPXCHG8B and RDTSC (Pentium), MMX and SSE registers.
"""
import argparse
import re
import subprocess
import sys

FORBIDDEN = re.compile(r"\t(cmov\w*|fcmov\w*|f(u)?comip?|cmpxchg8b|rdtscp?)\b|%[xy]?mm\d")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--objdump", default="objdump")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    bad = 0
    for f in args.files:
        out = subprocess.run([args.objdump, "-d", f], check=True, stdout=subprocess.PIPE,
                             text=True).stdout
        hits = [l.strip() for l in out.splitlines() if FORBIDDEN.search(l)]
        for h in hits[:10]:
            print("%s: %s" % (f, h))
        print("%s: %d instruction(s) a 486 lacks" % (f, len(hits)))
        bad += len(hits)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
