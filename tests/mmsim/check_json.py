#!/usr/bin/env python3
"""Validate one `mmsim --json` document against the schema of docs/MMSIM.md.

usage: check_json.py FILE ok|error

FILE must hold exactly one JSON document (nothing before or after it), with
"ok" true for `ok` and false, with an "error" object, for `error`. Exits 0
if the document is valid, 1 with the first problem found otherwise.
"""
import json
import os
import re
import sys

HEX = re.compile(r"^0x[0-9a-f]+$")
COMMANDS = {"run", "trace", "exec"}
KINDS = {"code", "rodata", "data", "heap", "stack", "mmap", "shared"}
BACKINGS = {"anon", "file", "shared"}
HOWS = ["demand_zero", "file", "cow_copy", "cow_reuse", "stack_grow", "spurious"]
STATS = ["accesses", "tlb_hits", "tlb_misses", "walks", "page_faults", "resident_pages",
         "large_pages", "page_table_frames", "page_table_bytes", "peak_frames", "frames_free",
         "frames_total", "cr3_writes", "invlpg", "tlb_flushes", "stale_tlb_entries",
         "bbm_violations"]


class Invalid(Exception):
    pass


def need(cond, what):
    if not cond:
        raise Invalid(what)


def is_count(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def keys(obj, want, where):
    need(isinstance(obj, dict), f"{where}: not an object")
    need(set(obj) == set(want), f"{where}: keys {sorted(obj)}, expected {sorted(want)}")


def addr(obj, key, where):
    need(isinstance(obj[key], str) and HEX.match(obj[key]), f"{where}.{key}: not a 0x hex string")
    return int(obj[key], 16)


def check_image(im, where):
    keys(im, ["file", "entry", "sp", "load_bias", "phdr", "phnum", "brk", "interp"], where)
    need(isinstance(im["file"], str), f"{where}.file")
    for k in ["entry", "sp", "load_bias", "phdr", "brk"]:
        addr(im, k, where)
    need(is_count(im["phnum"]), f"{where}.phnum")
    need(isinstance(im["interp"], bool), f"{where}.interp")


def check_space(sp, where):
    keys(sp, ["name", "active", "root", "resident_pages", "table_frames", "image", "regions"],
         where)
    need(isinstance(sp["name"], str) and sp["name"], f"{where}.name")
    need(isinstance(sp["active"], bool), f"{where}.active")
    addr(sp, "root", where)
    need(is_count(sp["resident_pages"]), f"{where}.resident_pages")
    need(is_count(sp["table_frames"]) and sp["table_frames"] >= 1, f"{where}.table_frames")
    if sp["image"] is not None:
        check_image(sp["image"], where + ".image")
    need(isinstance(sp["regions"], list), f"{where}.regions")
    last_end = 0
    resident = 0
    for i, r in enumerate(sp["regions"]):
        w = f"{where}.regions[{i}]"
        keys(r, ["start", "end", "perms", "offset", "path", "kind", "backing", "grows_down",
                 "resident_pages", "rss", "shared", "private"], w)
        start, end = addr(r, "start", w), addr(r, "end", w)
        need(last_end <= start < end, f"{w}: not sorted, empty or overlapping")
        need(start % 4096 == 0 and end % 4096 == 0, f"{w}: not page aligned")
        last_end = end
        need(isinstance(r["perms"], str) and re.match(r"^[r-][w-][x-][ps]$", r["perms"]),
             f"{w}.perms")
        addr(r, "offset", w)
        need(isinstance(r["path"], str), f"{w}.path")
        need(r["kind"] in KINDS, f"{w}.kind")
        need(r["backing"] in BACKINGS, f"{w}.backing")
        need(isinstance(r["grows_down"], bool), f"{w}.grows_down")
        need(is_count(r["resident_pages"]) and r["resident_pages"] <= (end - start) // 4096,
             f"{w}.resident_pages")
        resident += r["resident_pages"]
        # smaps: Rss = Shared + Private, in kB, the resident pages counted.
        for k in ("rss", "shared", "private"):
            need(is_count(r[k]) and r[k] % 4 == 0, f"{w}.{k}: a count of kB, whole pages")
        need(r["rss"] == r["resident_pages"] * 4, f"{w}.rss: not resident_pages * 4 kB")
        need(r["shared"] + r["private"] == r["rss"], f"{w}: shared + private != rss")
        if r["backing"] == "shared":
            need(r["private"] == 0, f"{w}: a shared-backed region with private pages")
    need(resident <= sp["resident_pages"], f"{where}: regions hold more pages than the space")


def check_stats(st):
    keys(st, STATS + ["faults_resolved"], "stats")
    for k in STATS:
        need(is_count(st[k]), f"stats.{k}")
    keys(st["faults_resolved"], HOWS, "stats.faults_resolved")
    for k in HOWS:
        need(is_count(st["faults_resolved"][k]), f"stats.faults_resolved.{k}")
    need(st["tlb_hits"] + st["tlb_misses"] == st["accesses"], "stats: hits + misses != accesses")
    need(st["frames_free"] <= st["frames_total"], "stats: more frames free than exist")
    need(st["page_table_bytes"] == 4096 * st["page_table_frames"], "stats.page_table_bytes")
    need(st["large_pages"] <= st["resident_pages"], "stats: more large pages than resident pages")


def check(doc, want):
    keys(doc, ["mmsim", "command", "arch", "input", "ok", "error", "output", "spaces", "stats",
               "trace", "pictures"], "document")
    need(isinstance(doc["mmsim"], str) and doc["mmsim"], "mmsim: the version")
    need(doc["command"] in COMMANDS, "command")
    # The ISA the test ran (MMSIM_ARCH, set by cases.sh), else any name.
    arch = os.environ.get("MMSIM_ARCH")
    need(isinstance(doc["arch"], str) and doc["arch"] and (arch is None or doc["arch"] == arch),
         "arch")
    need(doc["input"] is None or isinstance(doc["input"], str), "input")
    need(isinstance(doc["ok"], bool), "ok")
    if want == "ok":
        need(doc["ok"] is True and doc["error"] is None, f"expected success: {doc['error']}")
    else:
        need(doc["ok"] is False, "expected an error document")
        keys(doc["error"], ["file", "line", "message"], "error")
        need(doc["error"]["file"] is None or isinstance(doc["error"]["file"], str), "error.file")
        need(doc["error"]["line"] is None or (is_count(doc["error"]["line"])
                                              and doc["error"]["line"] > 0), "error.line")
        need(isinstance(doc["error"]["message"], str) and doc["error"]["message"],
             "error.message")
    need(isinstance(doc["output"], list) and all(isinstance(s, str) and "\n" not in s
                                                 for s in doc["output"]), "output: lines")
    need(isinstance(doc["spaces"], list), "spaces")
    names = set()
    for i, sp in enumerate(doc["spaces"]):
        check_space(sp, f"spaces[{i}]")
        need(sp["name"] not in names, f"spaces[{i}]: a second space named {sp['name']}")
        names.add(sp["name"])
    need(sum(sp["active"] for sp in doc["spaces"]) <= 1, "more than one active space")
    if doc["stats"] is not None:
        check_stats(doc["stats"])
    elif want == "ok":
        raise Invalid("stats: null in a successful run")
    if doc["trace"] is not None:
        keys(doc["trace"], ["file", "lines"], "trace")
        need(isinstance(doc["trace"]["file"], str) and is_count(doc["trace"]["lines"]),
             "trace")
    need(isinstance(doc["pictures"], list), "pictures")
    for i, p in enumerate(doc["pictures"]):
        keys(p, ["dot", "svg"], f"pictures[{i}]")
        need(isinstance(p["dot"], str) and (p["svg"] is None or isinstance(p["svg"], str)),
             f"pictures[{i}]")
    if doc["command"] == "exec" and want == "ok":
        need(len(doc["spaces"]) == 1 and doc["spaces"][0]["image"] is not None,
             "exec: one space, with its image")
    if doc["command"] == "trace" and want == "ok":
        need(doc["trace"] is not None, "trace: the trace object")


def no_duplicates(pairs):
    seen = [k for k, _ in pairs]
    need(len(seen) == len(set(seen)), f"duplicate keys in {seen}")
    return dict(pairs)


def main():
    path, want = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")  # JSON text is UTF-8 (RFC 8259)
        doc = json.loads(text, object_pairs_hook=no_duplicates)  # the whole of it: nothing may follow the document
        check(doc, want)
    except (UnicodeDecodeError, json.JSONDecodeError, Invalid) as e:
        print(f"{path}: invalid: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
