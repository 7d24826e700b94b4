#!/usr/bin/env python3
"""QEMU's view as a check: compare the page tables QEMU walks with mm-core.

Run by python3, this boots an mmkit kernel under QEMU (TCG), stopped, with
its GDB stub and its QMP monitor on Unix sockets in a temporary directory,
then runs GDB in batch mode on the ELF with symbols, with this same file as
its Python script. Inside GDB, breakpoints on the kernel's functions stop
it a bounded number of times:

  fork    mm_space_clone() called by sys_fork, after it returns
  fault   mm_fault() called by trap() (the #PF handler), before and after;
          one of them a write to a copy-on-write page after a fork
  munmap  mm_munmap() called by the munmap (or sbrk shrink) system call
  exec    mm_space_destroy() of the old image, called by sys_exec
  exit    mm_space_destroy() called by proc_exit, before and after

At each stop it reads QEMU's `info mem` (effective U/S and R/W of every
range) and `info tlb` (every present leaf: frame, NX, U, W) through QMP,
and mm-core's view (the current space's root, regions, user_pages,
table_pages; the frame allocator's counters and reference counts) from
kernel memory through GDB, and checks:

  - CR3 holds the root mm-core says is active;
  - no page of the kernel half has the user bit: none user accessible
    (info mem), and no leaf with U set (info tlb);
  - the kernel half's large pages (info tlb's P flag: PS set) are exactly
    as many as mm-core's kernel.large_leaves, more than none, and each
    maps the frame of its direct-map (x86_64: or image) address;
  - the user half has exactly user_pages present pages (at most, with a
    PROT_NONE region, whose pages mm-core counts but are not present), each user
    accessible and inside a region, writable only if its region is, and
    executable (x86_64, PAE: NX clear) only if its region is; none in a
    region without read access;
  - every present user page maps a frame mm-core holds as a user (or
    kernel) frame with a reference: its own metadata, read through GDB;
    with --high ADDR, at least one of them lies at or above ADDR (a boot
    whose user frames come from high memory, e.g. above 4 GiB on PAE);
  - after fork: parent and child (seen by pointing CR3 at the child's root
    for a moment) map the same pages to the same frames, every private
    page of a writable region read-only on both sides;
  - after a resolved fault: the page is there, writable if the access was
    a write (a COW write: now writable, and on a frame of its own if the
    frame was shared);
  - after munmap: nothing present, and no region, in the range;
  - after exec: the new image checked as above, the old space gone;
  - after exit: the kernel space active, no user page in it, the space's
    table frames and every user frame it alone referenced back on the free
    list (exact count), one space fewer.

Exits 0 when every kind of stop was seen and every check held.
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

# ---- driver (plain python3) ------------------------------------------------


def drive():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qemu", required=True, help="qemu-system-i386 or qemu-system-x86_64")
    ap.add_argument("--gdb", default="gdb", help="GDB (with Python)")
    ap.add_argument("--kernel", required=True, help="the image QEMU boots (-kernel)")
    ap.add_argument("--elf", required=True, help="the ELF with symbols GDB reads")
    ap.add_argument("--mem", default="32M", help="guest RAM (QEMU -m)")
    ap.add_argument("--cpu", help="the CPU model (QEMU -cpu)")
    ap.add_argument("--timeout", type=int, default=90, help="seconds")
    ap.add_argument("--machine-opt", metavar="OPT", action="append", default=[],
                    help="a property of the machine (QEMU -machine OPT); may be repeated")
    ap.add_argument("--high", type=lambda x: int(x, 0), default=0, metavar="ADDR",
                    help="some user page must map a frame at or above physical ADDR")
    ap.add_argument("--windows", default="0",
                    help="a kernel with the recursive mapping: the first address of its "
                         "windows (their leaves are user tables' entries, U set, reached "
                         "through a supervisor-only root entry)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mmkit-qv-") as d:
        gsock, qsock = os.path.join(d, "gdb.sock"), os.path.join(d, "qmp.sock")
        qcmd = [args.qemu, "-m", args.mem, "-display", "none", "-monitor", "none",
                "-serial", "file:" + os.path.join(d, "serial.txt"), "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-accel", "tcg",
                "-kernel", args.kernel, "-S",
                "-gdb", "unix:%s,server=on,wait=off" % gsock,
                "-qmp", "unix:%s,server=on,wait=off" % qsock]
        if args.cpu:
            qcmd += ["-cpu", args.cpu]
        for opt in args.machine_opt:
            qcmd += ["-machine", opt]
        print("# " + " ".join(qcmd), flush=True)
        qlog = open(os.path.join(d, "qemu.txt"), "w+")
        qemu = subprocess.Popen(qcmd, stdout=qlog, stderr=subprocess.STDOUT)
        for _ in range(200):
            if (os.path.exists(gsock) and os.path.exists(qsock)) or qemu.poll() is not None:
                break
            time.sleep(0.05)
        if not (os.path.exists(gsock) and os.path.exists(qsock)):
            qemu.kill()
            qemu.wait()
            qlog.seek(0)
            sys.stdout.write(qlog.read())
            print("qemu_view: QEMU did not open its GDB and QMP sockets")
            return 1
        env = dict(os.environ, MMKIT_QV_GDB=gsock, MMKIT_QV_QMP=qsock,
                   MMKIT_QV_HIGH=str(args.high), MMKIT_QV_WINDOWS=args.windows)
        gcmd = [args.gdb, "-batch", "-nx", "-ex", "set pagination off", "-ex",
                "set confirm off", "-x", os.path.abspath(__file__), args.elf]
        print("# " + " ".join(gcmd), flush=True)
        t0 = time.time()
        try:
            g = subprocess.run(gcmd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=args.timeout)
            out, rc = g.stdout.decode(errors="replace"), g.returncode
        except subprocess.TimeoutExpired as e:
            out, rc = (e.stdout or b"").decode(errors="replace"), None
        finally:
            if qemu.poll() is None:
                qemu.kill()
            qemu.wait()
        sys.stdout.write(out)
        qlog.seek(0)
        sys.stdout.write("".join("# qemu: " + l + "\n" for l in qlog.read().splitlines()))
        qlog.close()
        serial = open(os.path.join(d, "serial.txt"), errors="replace").read()
        # The kernel's own view, for a reader of a failure.
        sys.stdout.write("".join("# serial: " + l + "\n" for l in serial.splitlines()[-8:]))
        lines = out.splitlines()
        verdict = [l for l in lines if l.startswith("qemu_view: ")]
        ok = rc == 0 and verdict and verdict[-1].startswith("qemu_view: PASS")
        if rc is None:
            print("qemu_view: timed out after %d s" % args.timeout)
        print("# %.1f s" % (time.time() - t0))
        if not ok:
            # A CI log may show only the end of this output (the serial
            # lines): the failures, the stop counts and the verdict again,
            # last, in their order.
            why = [l for l in lines if l.startswith(("qemu_view: ", "Python Exception "))
                   or re.match(r"# \d+ stops in ", l)]
            print("# qemu_view failed (GDB exit status %s); its failures again:" % rc)
            if len(why) > 40:
                print("# (%d lines above left out here)" % (len(why) - 40))
            sys.stdout.write("".join(l + "\n" for l in why[-40:]))
            if rc is None:
                print("qemu_view: FAIL: timed out after %d s" % args.timeout)
            elif not verdict:
                print("qemu_view: FAIL: GDB gave no verdict (exit status %s)" % rc)
            elif verdict[-1].startswith("qemu_view: PASS"):
                print("qemu_view: FAIL: GDB exit status %s after the checks passed" % rc)
        return 0 if ok else 1


# ---- checker (inside GDB) -------------------------------------------------

PROT_R, PROT_W, PROT_X = 1, 2, 4
ACCESS_WRITE, ACCESS_EXEC = 1, 2
BACKING_SHARED = 2
PAGE = 4096
# Stops of each kind before the check ends (a bound on its run time).
FRAME_USER, FRAME_KERNEL = 2, 3  # enum mm_frame_kind
LIMITS = {"fork": 2, "fault": 3, "cow-fault": 1, "munmap": 2, "exec": 1, "exit": 2}


class Checker:
    def __init__(self, gdb):
        self.gdb = gdb
        self.x86_64 = int(gdb.parse_and_eval("sizeof(void *)")) == 8
        self.user_end = 0x800000000000 if self.x86_64 else 0xC0000000
        # The recursive mapping's windows (0: none): `info tlb` prints a
        # window page's raw PTE, a user table's PDE, U set, although the
        # walk's root entry makes it supervisor-only (`info mem`, which
        # ANDs the levels' rights, checks that).
        self.windows = int(os.environ.get("MMKIT_QV_WINDOWS", "0"), 0)
        # NX exists in 4-level and PAE paging, not in 32-bit paging: an
        # 8-byte entry (arch_pte_t) says which. Not CR4.PAE, which is 0
        # here: GDB attaches at the reset vector, before boot.S sets it.
        self.nx = int(gdb.parse_and_eval("sizeof(arch_pte_t)")) == 8
        self.high = int(os.environ.get("MMKIT_QV_HIGH", "0"))
        self.high_seen = 0  # user pages seen on frames at or above self.high
        self.ranges = None  # mm-core's RAM ranges: (base, pages, first index)
        self.failures = 0
        self.checks = 0
        self.counts = {k: 0 for k in LIMITS}
        self.pending = None  # the stop a breakpoint asked for
        self.busy = False  # a stop is being checked: no breakpoint stops then
        self.qmp = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.qmp.connect(os.environ["MMKIT_QV_QMP"])
        self.qbuf = b""
        self._qmp_read()  # greeting
        self._qmp_send({"execute": "qmp_capabilities"})

    # -- QEMU's view
    def _qmp_read(self):
        while b"\n" not in self.qbuf:
            chunk = self.qmp.recv(1 << 20)
            if not chunk:
                raise RuntimeError("QMP closed")
            self.qbuf += chunk
        line, self.qbuf = self.qbuf.split(b"\n", 1)
        return json.loads(line)

    def _qmp_send(self, msg):
        self.qmp.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._qmp_read()
            if "return" in r or "error" in r:
                return r

    def hmp(self, cmd):
        r = self._qmp_send({"execute": "human-monitor-command",
                            "arguments": {"command-line": cmd}})
        if "error" in r:
            raise RuntimeError("QMP %s: %s" % (cmd, r["error"]))
        return r["return"]

    def info_mem(self):
        """[(start, end, 'urw')] as QEMU's `info mem` prints them."""
        out = []
        for l in self.hmp("info mem").splitlines():
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) [0-9a-f]+ ([u-][r-][w-])$", l.strip())
            if m:
                out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
        return out

    def user_tlb(self):
        """{va: (pa, flags)} for the present user-half leaves of `info tlb`;
        and the kernel-half leaves with the U bit (flags' 8th letter)."""
        out, kernel_u, kernel_large = {}, [], []
        self.window_leaves = 0
        for l in self.hmp("info tlb").splitlines():
            m = re.match(r"([0-9a-f]+): ([0-9a-f]+) ([-A-Z]{9})$", l.strip())
            if not m:
                continue
            va = int(m.group(1), 16)
            # QEMU prints PAE entries with XD (bit 63) in the address.
            pa = int(m.group(2), 16) & 0x000FFFFFFFFFF000
            if va < self.user_end:
                out[va] = (pa, m.group(3))
            elif self.windows and va >= self.windows:
                self.window_leaves += 1
            else:
                if m.group(3)[7] == "U":
                    kernel_u.append(va)
                if m.group(3)[2] == "P":  # PS: a large page, listed once
                    kernel_large.append((va, pa))
        self.kernel_u = kernel_u
        self.kernel_large = kernel_large
        return out

    def cr3(self):
        return int(self.gdb.parse_and_eval("$cr3")) & ~0xFFF

    def set_cr3(self, v):
        """Load CR3 through the GDB stub (QEMU flushes its TLB): the way to
        see a space that is not the loaded one. $cr3 has a flags type, so
        the value is built with that type."""
        t = self.gdb.parse_and_eval("$cr3").type
        self.gdb.set_convenience_variable(
            "qv_cr3", self.gdb.Value(v.to_bytes(t.sizeof, "little"), t))
        self.gdb.execute("set $cr3 = $qv_cr3")
        self.gdb.execute("maint flush register-cache")
        if self.cr3() != v:
            raise RuntimeError("could not load CR3 with 0x%x" % v)

    # -- mm-core's view
    def val(self, expr):
        return self.gdb.parse_and_eval(expr)

    def space(self, ptr):
        s = self.val("*(struct mm_space *)%d" % ptr)
        regs = []
        node = s["region_first"]  # the region tree's nodes, in address order
        while int(node) != 0:
            r = node.dereference()["r"]
            regs.append((int(r["start"]), int(r["end"]), int(r["prot"]), int(r["backing"])))
            node = node.dereference()["next"]
        if len(regs) != int(s["nregions"]):
            raise RuntimeError("the region list holds %d regions, nregions says %d"
                               % (len(regs), int(s["nregions"])))
        return {"ptr": ptr, "root": int(s["root"]), "user_pages": int(s["user_pages"]),
                "table_pages": int(s["table_pages"]), "region_pages": int(s["region_pages"]),
                "regions": regs}

    def frames(self):
        f = self.val("kmm()->frames")
        return {"nfree": int(f["nfree"]), "user": int(f["in_use"][2]),
                "pt": int(f["in_use"][1]), "region": int(f["in_use"][4]),
                "nspaces": int(self.val("kmm()->nspaces"))}

    def refs(self, pa):
        f = self.val("kmm()->frames")
        for i in range(int(f["nranges"])):
            base, pages = int(f["range"][i]["base"]), int(f["range"][i]["pages"])
            if base <= pa < base + pages * PAGE:
                idx = int(f["first_index"][i]) + (pa - base) // PAGE
                return int(f["meta"][idx]["ref_or_next"])
        return None

    def cur_space(self):
        return int(self.val("(unsigned long)proc_current()->space"))

    # -- checks
    def check(self, ok, what):
        self.checks += 1
        if not ok:
            self.failures += 1
            print("qemu_view: FAIL: " + what, flush=True)
        return ok

    def frame_meta(self, pa):
        """(kind, references) of mm-core's metadata for the frame at @pa,
        or None if mm-core does not manage it."""
        if self.ranges is None:
            f = "kmm()->frames."
            n = int(self.val(f + "nranges"))
            self.ranges = [(int(self.val(f + "range[%d].base" % i)),
                            int(self.val(f + "range[%d].pages" % i)),
                            int(self.val(f + "first_index[%d]" % i))) for i in range(n)]
        for base, pages, first in self.ranges:
            if base <= pa < base + pages * 4096:
                i = first + (pa - base) // 4096
                return (int(self.val("kmm()->frames.meta[%d].kind" % i)),
                        int(self.val("kmm()->frames.meta[%d].ref_or_next" % i)))
        return None

    def check_active(self, label, sp):
        """CR3 (QEMU) and mm-core's active space both say @sp."""
        active = int(self.val("(unsigned long)kmm()->active"))
        return self.check(self.cr3() == sp["root"] and active == sp["ptr"],
                          "%s: CR3 0x%x, mm-core's active space 0x%x: not the space 0x%x "
                          "(root 0x%x)" % (label, self.cr3(), active, sp["ptr"], sp["root"]))

    def region_of(self, sp, va):
        for r in sp["regions"]:
            if r[0] <= va < r[1]:
                return r
        return None

    def check_space(self, label, sp):
        """The loaded CR3 is @sp's root: compare QEMU's walk with @sp."""
        mem = self.info_mem()
        bad = [(a, b, f) for a, b, f in mem if f[0] == "u" and b > self.user_end]
        self.check(not bad, "%s: user bit in the kernel half: %s" % (
            label, ", ".join("%x-%x %s" % x for x in bad[:4])))
        tlb = self.user_tlb()
        self.check(not self.windows or self.window_leaves > 0,
                   "%s: no leaf in the recursive mapping's windows" % label)
        self.check(not self.kernel_u, "%s: kernel-half leaves with the U bit: %s" % (
            label, ", ".join("%x" % v for v in self.kernel_u[:4])))
        # The direct map (and x86_64's image alias) in large pages: QEMU
        # walks exactly the large pages mm-core counts, each mapping its
        # direct-map (or image) address's own frame.
        want = int(self.val("kmm()->kernel.large_leaves"))
        self.check(want > 0 and len(self.kernel_large) == want,
                   "%s: QEMU walks %d large kernel pages, mm-core counts %d"
                   % (label, len(self.kernel_large), want))
        bases = (0xFFFF800000000000, 0xFFFFFFFF80000000) if self.x86_64 else (0xC0000000,)
        wrong = [(va, pa) for va, pa in self.kernel_large
                 if not any(va - b == pa for b in bases)]
        self.check(not wrong, "%s: large kernel pages off the direct map: %s" % (
            label, ", ".join("%x->%x" % x for x in wrong[:4])))
        # user_pages also counts PROT_NONE leaves, which hold a frame but
        # are not present: with a region without read access the count
        # QEMU sees can only be lower.
        if all(r[2] & PROT_R for r in sp["regions"]):
            self.check(len(tlb) == sp["user_pages"],
                       "%s: QEMU sees %d present user-half pages, mm-core counts user_pages %d"
                       % (label, len(tlb), sp["user_pages"]))
        else:
            self.check(len(tlb) <= sp["user_pages"],
                       "%s: QEMU sees %d present user-half pages, more than user_pages %d"
                       % (label, len(tlb), sp["user_pages"]))
        eff = {}
        for a, b, f in mem:
            if a < self.user_end:
                eff[(a, b)] = f
        problems = []
        for va, (pa, fl) in sorted(tlb.items()):
            f = next((f for (a, b), f in eff.items() if a <= va < b), None)
            r = self.region_of(sp, va)
            if r is None:
                problems.append("%x: no region" % va)
                continue
            if f is None or f[0] != "u":
                problems.append("%x: not user accessible (%s)" % (va, f))
                continue
            if not (r[2] & PROT_R):
                problems.append("%x: present in a region without read access" % va)
            if f[2] == "w" and not (r[2] & PROT_W):
                problems.append("%x: writable, its region is not" % va)
            if self.nx and fl[0] != "X" and not (r[2] & PROT_X):
                problems.append("%x: executable (NX clear), its region is not" % va)
            if self.nx and fl[0] == "X" and (r[2] & PROT_X):
                problems.append("%x: NX set in an executable region" % va)
        self.check(not problems, "%s: pages not as their regions allow: %s"
                   % (label, "; ".join(problems[:6])))
        # The frames QEMU's walk finds, as mm-core's own metadata has them.
        unheld = []
        for va, (pa, fl) in sorted(tlb.items()):
            m = self.frame_meta(pa)
            if m is None or m[0] not in (FRAME_USER, FRAME_KERNEL) or m[1] < 1:
                unheld.append("%x->%x %s" % (va, pa, m))
            if self.high and pa >= self.high:
                self.high_seen += 1
        self.check(not unheld, "%s: user pages on frames mm-core does not hold: %s"
                   % (label, "; ".join(unheld[:6])))
        print("# %s: %d user pages, %d regions, %d table pages: as QEMU sees them"
              % (label, len(tlb), len(sp["regions"]), sp["table_pages"]), flush=True)
        return tlb, mem

    def writable(self, mem, va):
        return any(a <= va < b and f[2] == "w" for a, b, f in mem)

    def finish(self, label):
        """Run the function stopped at its breakpoint (the newest frame) to
        its return; its return value. The checks after it must see the
        state after the call: GDB can report the breakpoint it stands on
        again before the function has run (a resume from a breakpoint that
        did not advance, seen on a loaded host), and a `finish` stopped
        there leaves `$` holding an older value. Stop.stop() lets no
        breakpoint stop while a stop is checked (self.busy), and here the
        stop must be at the caller's resume address, the callee's frame
        popped."""
        gdb = self.gdb
        frame = gdb.newest_frame()
        ret_pc, sp = frame.older().pc(), int(frame.read_register("sp"))
        gdb.execute("finish", to_string=True)
        now = gdb.newest_frame()
        at, now_sp = now.pc(), int(now.read_register("sp"))
        if at != ret_pc or now_sp <= sp:
            raise RuntimeError("%s: finish stopped at pc 0x%x sp 0x%x, not at the return to "
                               "0x%x above sp 0x%x" % (label, at, now_sp, ret_pc, sp))
        return int(gdb.parse_and_eval("$"))

    # -- the stops
    def at_fork(self, parent_p, child_p):
        n = self.counts["fork"]
        ret = self.finish("fork %d" % n)
        if not self.check(ret == 0, "fork: mm_space_clone returned %d" % ret):
            return
        parent, child = self.space(parent_p), self.space(child_p)
        self.check_active("fork %d" % n, parent)
        self.check(self.cur_space() == parent_p, "fork %d: the parent is not current" % n)
        ptlb, pmem = self.check_space("fork %d parent" % n, parent)
        saved = self.cr3()
        self.set_cr3(child["root"])
        try:
            ctlb, cmem = self.check_space("fork %d child" % n, child)
        finally:
            self.set_cr3(saved)
        self.check(saved == self.cr3(), "fork: CR3 not restored")
        self.check({v: p for v, (p, _) in ptlb.items()} == {v: p for v, (p, _) in ctlb.items()},
                   "fork %d: parent and child do not map the same pages to the same frames" % n)
        cow = ro = 0
        for va in ptlb:
            r = self.region_of(parent, va)
            if r and (r[2] & PROT_W) and r[3] != BACKING_SHARED:
                cow += 1
                ro += self.check(not self.writable(pmem, va) and not self.writable(cmem, va),
                                 "fork %d: COW page 0x%x writable: parent %s, child %s"
                                 % (n, va, self.writable(pmem, va), self.writable(cmem, va)))
        print("# fork %d: %d of %d COW pages read-only in parent and child" % (n, ro, cow))
        self.counts["fork"] += 1

    def at_fault(self, sp_p, va, access, cow):
        page = va & ~(PAGE - 1)
        sp = self.space(sp_p)
        kind = "cow-fault" if cow else "fault"
        label = "%s %d at 0x%x (%s)" % (kind, self.counts[kind], va,
                                        "write" if access & ACCESS_WRITE else
                                        "fetch" if access & ACCESS_EXEC else "read")
        self.check_active(label, sp)
        before, _ = self.check_space(label + ", before", sp)
        old_pa = before.get(page, (None,))[0]
        old_refs = self.refs(old_pa) if old_pa is not None else None
        verdict = self.finish(label)
        sp = self.space(sp_p)
        after, mem = self.check_space(label + ", after", sp)
        if verdict == 0:
            self.check(page in after, label + ": resolved, but QEMU sees no page")
            if access & ACCESS_WRITE:
                self.check(self.writable(mem, page), label + ": resolved write, page read-only")
            if cow and page in after:
                self.check(old_refs != 1 or after[page][0] == old_pa,
                           label + ": sole owner's frame was copied")
                self.check(old_refs == 1 or after[page][0] != old_pa,
                           label + ": shared frame (refs %s) not copied" % old_refs)
                print("# %s: frame 0x%x (refs %s) -> 0x%x, writable"
                      % (label, old_pa, old_refs, after[page][0]))
        self.counts[kind] += 1

    def at_munmap(self, sp_p, va, npages):
        n = self.counts["munmap"]
        label = "munmap %d of 0x%x, %d pages" % (n, va, npages)
        ret = self.finish(label)
        sp = self.space(sp_p)
        self.check_active(label, sp)
        tlb, _ = self.check_space(label, sp)
        if ret == 0:
            end = va + npages * PAGE
            left = [v for v in tlb if va <= v < end]
            self.check(not left, label + ": still present: %s" % ", ".join(
                "%x" % v for v in left[:4]))
            regs = [r for r in sp["regions"] if r[0] < end and r[1] > va]
            self.check(not regs, label + ": a region remains in the range")
        self.counts["munmap"] += 1

    def at_destroy(self, kind, sp_p):
        n = self.counts[kind]
        sp = self.space(sp_p)
        label = "%s %d" % (kind, n)
        # The dying space is no longer loaded: look at it through its root.
        saved = self.cr3()
        kroot = int(self.val("kmm()->kernel.root"))
        if kind == "exit":
            self.check(saved == kroot and int(self.val("kmm()->active == &kmm()->kernel")),
                       label + ": CR3 0x%x, or mm-core's active space, is not the kernel's"
                       % saved)
            mem = self.info_mem()
            self.check(not [x for x in mem if x[0] < self.user_end],
                       label + ": the kernel space maps user-half pages")
        self.set_cr3(sp["root"])
        try:
            tlb, _ = self.check_space(label + ", dying space", sp)
        finally:
            self.set_cr3(saved)
        per_frame = {}
        for va, (pa, _) in tlb.items():
            per_frame[pa] = per_frame.get(pa, 0) + 1
        freed = sum(1 for pa, c in per_frame.items() if self.refs(pa) == c)
        f0 = self.frames()
        ret = self.finish(label)
        f1 = self.frames()
        self.check(ret == 0, label + ": mm_space_destroy returned %d" % ret)
        self.check(f1["nfree"] - f0["nfree"] == sp["table_pages"] + sp["region_pages"] + freed,
                   label + ": %d frames freed, expected %d table + %d region-node + %d user"
                   " frames" % (f1["nfree"] - f0["nfree"], sp["table_pages"],
                                sp["region_pages"], freed))
        self.check(f0["user"] - f1["user"] == freed and f0["pt"] - f1["pt"] == sp["table_pages"]
                   and f0["region"] - f1["region"] == sp["region_pages"],
                   label + ": in-use counters: user %d -> %d, page tables %d -> %d, region"
                   " nodes %d -> %d" % (f0["user"], f1["user"], f0["pt"], f1["pt"],
                                        f0["region"], f1["region"]))
        self.check(f1["nspaces"] == f0["nspaces"] - 1, label + ": still listed")
        if kind == "exit":
            mem = self.info_mem()
            self.check(not [x for x in mem if x[0] < self.user_end],
                       label + ": user-half pages after exit")
        else:
            cur = self.space(self.cur_space())
            self.check_active(label + ", new image", cur)
            self.check_space(label + ", new image", cur)
        print("# %s: %d user pages (%d frames of its own) and %d tables freed, %d free frames"
              % (label, len(tlb), freed, sp["table_pages"], f1["nfree"]))
        self.counts[kind] += 1

    def done(self):
        return all(self.counts[k] >= LIMITS[k] for k in LIMITS)


def in_gdb():
    import gdb

    gdb.execute("target remote " + os.environ["MMKIT_QV_GDB"], to_string=True)
    if int(gdb.parse_and_eval("sizeof(void *)")) == 4:
        gdb.execute("set architecture i386", to_string=True)
    c = Checker(gdb)

    def caller(names):
        f = gdb.newest_frame().older()
        return f is not None and f.name() in names

    class Stop(gdb.Breakpoint):
        def __init__(self, spec, kind, test):
            super().__init__(spec, internal=True)
            self.kind, self.test = kind, test

        def stop(self):
            if c.busy:  # inside a check (its finish): not a new stop
                return False
            try:
                r = self.test()
            except gdb.error:
                return False
            if r is None:
                return False
            c.pending = (self.kind, r)
            return True

    def arg(name):
        return int(gdb.parse_and_eval("(unsigned long)" + name))

    def fork_test():
        if c.counts["fork"] < LIMITS["fork"] and caller(("sys_fork",)):
            return (arg("parent"), arg("child"))
        return None

    def fault_test():
        if not caller(("trap",)):
            return None
        va, access, sp = arg("va"), arg("access"), arg("s")
        if c.counts["fault"] < LIMITS["fault"]:
            return (sp, va, access, False)
        if c.counts["fork"] and c.counts["cow-fault"] < LIMITS["cow-fault"] and \
                access & ACCESS_WRITE:
            page = va & ~(PAGE - 1)
            # A write to a present, read-only page in a writable region: COW.
            present = any(a <= page < b for a, b, f in c.info_mem() if a < c.user_end)
            r = c.region_of(c.space(sp), page)
            if present and r and r[2] & PROT_W:
                return (sp, va, access, True)
        return None

    def munmap_test():
        if c.counts["munmap"] < LIMITS["munmap"] and caller(("syscall_dispatch", "sys_sbrk")):
            return (arg("s"), arg("va"), arg("npages"))
        return None

    def destroy_test():
        if c.counts["exit"] < LIMITS["exit"] and caller(("proc_exit",)):
            return ("exit", arg("s"))
        if c.counts["exec"] < LIMITS["exec"] and caller(("sys_exec",)):
            return ("exec", arg("s"))
        return None

    # The in-kernel tests before the first process call these functions
    # thousands of times: the stops start with the processes.
    gdb.Breakpoint("proc_spawn", temporary=True, internal=True)
    gdb.execute("continue", to_string=True)
    Stop("mm_space_clone", "fork", fork_test)
    Stop("mm_fault", "fault", fault_test)
    Stop("mm_munmap", "munmap", munmap_test)
    Stop("mm_space_destroy", "destroy", destroy_test)
    t0 = time.time()
    stops = 0
    while not c.done():
        c.pending = None
        gdb.execute("continue", to_string=True)
        if c.pending is None:
            print("qemu_view: the kernel stopped elsewhere (ended?) with stops %s" % c.counts)
            c.failures += 1
            break
        stops += 1
        kind, a = c.pending
        c.busy = True
        try:
            if kind == "fork":
                c.at_fork(*a)
            elif kind == "fault":
                c.at_fault(*a)
            elif kind == "munmap":
                c.at_munmap(*a)
            else:
                c.at_destroy(*a)
        finally:
            c.busy = False
    print("# %d stops in %.1f s: %s" % (stops, time.time() - t0, c.counts))
    if c.high:
        c.check(c.high_seen > 0, "no user page on a frame at or above 0x%x" % c.high)
        print("# %d user pages seen on frames at or above 0x%x" % (c.high_seen, c.high))
    if c.failures or not c.done():
        print("qemu_view: FAIL: %d of %d checks failed" % (c.failures, c.checks), flush=True)
    else:
        print("qemu_view: PASS: %d checks at %d stops" % (c.checks, stops), flush=True)
    try:
        gdb.execute("kill", to_string=True)
    except gdb.error:
        pass  # QEMU may close the connection first


try:
    import gdb  # noqa: F401  (present only inside GDB)
except ImportError:
    gdb = None

if gdb is not None:
    try:
        in_gdb()
    except Exception as e:  # report, and fail the run
        print("qemu_view: FAIL: %s: %s" % (type(e).__name__, e), flush=True)
        raise
elif __name__ == "__main__":
    sys.exit(drive())
