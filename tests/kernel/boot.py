#!/usr/bin/env python3
"""Boot an mmkit kernel in QEMU and judge the TAP it prints on its serial line.

Passes only if QEMU leaves with the kernel's success code (33: x86 through
isa-debug-exit, riscv64 through the virt machine's test finisher, aarch64
through semihosting's SYS_EXIT, whose exit code QEMU exits with), the TAP
plan matches the tests run, and none failed: a hang (the timeout), a triple
fault or a reset (-no-reboot exits 0), a firmware shutdown (0) or a panic
(35) can never pass. A qemu-system-riscv64 boots the virt machine with
QEMU's OpenSBI (-bios default), which enters the kernel ELF in S-mode. A
qemu-system-aarch64 boots the virt machine (GICv2) with a Cortex-A57 unless
--cpu says otherwise, and -semihosting: QEMU loads the kernel ELF and enters
it at EL1, with the devicetree at the start of RAM.
Runs under QEMU's TCG; MMKIT_KVM=1 asks for KVM first (falling back to TCG),
a bonus only: on some hosts (nested virtualisation) KVM guests do not boot.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

SUCCESS = (0x10 << 1) | 1  # isa-debug-exit: status = (value << 1) | 1; the finisher: 33
FAILURE = (0x11 << 1) | 1  # 35


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qemu", required=True,
                    help="qemu-system-i386, qemu-system-x86_64, qemu-system-riscv64 or"
                    " qemu-system-aarch64")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--kernel", help="a Multiboot ELF32 image (x86) or an ELF (riscv64,"
                     " aarch64), booted by QEMU -kernel")
    src.add_argument("--iso", help="a GRUB ISO, booted from CD")
    ap.add_argument("--mem", default="128M", help="guest RAM (QEMU -m)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds")
    ap.add_argument("--append", help="kernel command line (QEMU -append; -kernel only)")
    ap.add_argument("--cpu", help="the CPU model (QEMU -cpu)")
    ap.add_argument("--machine-opt", metavar="OPT", action="append", default=[],
                    help="a property of the machine (QEMU -machine OPT, merged with the"
                    " machine chosen; e.g. virtualization=on); may be repeated")
    ap.add_argument("--expect-text", metavar="TEXT", action="append", default=[],
                    help="a passing boot must also print TEXT (may be repeated)")
    ap.add_argument("--expect-failure", "--expect-panic", dest="expect_failure", metavar="TEXT",
                    action="append",
                    help="pass only if the kernel prints TEXT (a panic, a refusal to run)"
                    " and exits with the failure status; may be repeated: all must be seen")
    ap.add_argument("--gdb", action="store_true", help="wait for GDB on :1234 (-s -S)")
    ap.add_argument("--sparse-ram", action="store_true",
                    help="back guest RAM by a sparse temporary file (shared mapping), so that"
                    " --mem may exceed the host's RAM; only what the guest touches is written")
    args = ap.parse_args()
    if args.sparse_ram:
        with tempfile.TemporaryDirectory(prefix="mmkit-ram-") as d:
            return run(args, ["-object", "memory-backend-file,id=ram,size=%s,mem-path=%s,share=on"
                              % (args.mem, os.path.join(d, "ram")),
                              "-machine", "memory-backend=ram"])
    return run(args, [])


def run(args, extra):

    cmd = [args.qemu, "-m", args.mem, "-display", "none", "-serial", "stdio",
           "-monitor", "none", "-no-reboot"]
    if "riscv" in os.path.basename(args.qemu):
        cmd += ["-machine", "virt", "-bios", "default"]
    elif "aarch64" in os.path.basename(args.qemu):
        cmd += ["-machine", "virt", "-semihosting"]
        if not args.cpu:
            cmd += ["-cpu", "cortex-a57"]
    else:
        cmd += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    use_kvm = os.environ.get("MMKIT_KVM") == "1" and os.access("/dev/kvm", os.R_OK | os.W_OK)
    cmd += ["-accel", "kvm", "-accel", "tcg"] if use_kvm else ["-accel", "tcg"]
    cmd += extra
    cmd += ["-kernel", args.kernel] if args.kernel else ["-cdrom", args.iso, "-boot", "d"]
    if args.append:
        cmd += ["-append", args.append]
    if args.cpu:
        cmd += ["-cpu", args.cpu]
    for opt in args.machine_opt:
        cmd += ["-machine", opt]
    if args.gdb:
        cmd += ["-s", "-S"]
    print("# " + " ".join(cmd), flush=True)
    try:
        run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=args.timeout)
        out, rc = run.stdout.decode(errors="replace"), run.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode(errors="replace"), None
    sys.stdout.write(out)

    lines = [l.rstrip("\r") for l in out.splitlines()]
    if args.expect_failure:
        seen = all(any(t in l for l in lines) for t in args.expect_failure)
        ok = rc == FAILURE and seen
        if not ok:
            print("boot: expected %r and exit status %d; got status %s%s"
                  % (args.expect_failure, FAILURE, rc, "" if seen else ", text not seen"))
        print("%d passed, %d failed" % (1 if ok else 0, 0 if ok else 1))
        return 0 if ok else 1
    ok = sum(1 for l in lines if re.match(r"ok \d+", l))
    bad = sum(1 for l in lines if re.match(r"not ok \d+", l))
    # Subtests (TAP 13: indented), e.g. the hostile user program's checks.
    sub_bad = [l.strip() for l in lines if re.match(r"\s+not ok \d+", l)]
    plans = [int(m.group(1)) for l in lines for m in [re.match(r"1\.\.(\d+)$", l)] if m]
    problems = []
    if rc is None:
        problems.append("timed out after %d s (a hang)" % args.timeout)
    elif rc != SUCCESS:
        problems.append("QEMU exit status %d, not %d (failure, panic or triple fault)"
                        % (rc, SUCCESS))
    if not plans:
        problems.append("no TAP plan: the kernel did not finish")
    elif plans[-1] != ok + bad:
        problems.append("plan 1..%d but %d tests ran" % (plans[-1], ok + bad))
    if bad:
        problems.append("%d test(s) failed" % bad)
    for t in args.expect_text:
        if not any(t in l for l in lines):
            problems.append("expected text not seen: %r" % t)
    for l in sub_bad:
        problems.append("subtest failed: " + l)
    for p in problems:
        print("boot: " + p)
    print("%d passed, %d failed" % (ok, bad + (1 if problems and not bad else 0)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
