#!/usr/bin/env python3
"""Ctrl-C during a trace replay leaves the terminal's line clean.

usage: pty_interrupt.py MMSIM [ARGS...]

Runs `MMSIM ARGS... trace -` with stderr on a pseudo-terminal, feeds it
1.5 M trace lines on stdin (zlib reads ahead) and keeps stdin open, waits
for the progress bar (drawn every 2^20 lines), then sends SIGINT. mmsim must
die of SIGINT, and the last thing on the terminal must be the erasure of the
bar's line (a carriage return and ESC [K), so the shell's prompt starts
clean. Exits 0 if so, 1 otherwise.
"""
import os
import pty
import signal
import sys
import time


def main():
    r, w = os.pipe()
    pid, fd = pty.fork()
    if pid == 0:
        os.dup2(r, 0)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.execvp(sys.argv[1], sys.argv[1:] + ["trace", "-"])
    os.close(r)
    chunk = b" L 0400000,4\n" * 100000
    for _ in range(15):
        os.write(w, chunk)  # the pipe stays open: the replay waits for more
    data = b""
    deadline = time.time() + 120
    while b"lines" not in data and time.time() < deadline:
        try:
            data += os.read(fd, 4096)
        except OSError:
            break
    if b"lines" not in data:
        print(f"no progress bar: {data!r}")
        sys.exit(1)
    os.kill(pid, signal.SIGINT)
    while True:
        try:
            more = os.read(fd, 4096)
        except OSError:  # EIO: mmsim has ended
            break
        if not more:
            break
        data += more
    _, status = os.waitpid(pid, 0)
    os.close(w)
    print(repr(data[-80:]))
    if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT):
        print(f"mmsim did not die of SIGINT: status {status:#x}")
        sys.exit(1)
    if not data.endswith(b"\r\x1b[K"):
        print("the bar's line was not erased last")
        sys.exit(1)


if __name__ == "__main__":
    main()
