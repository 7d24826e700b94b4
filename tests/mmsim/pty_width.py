#!/usr/bin/env python3
"""Run a command on a terminal COLS columns wide; check what it draws fits.

usage: pty_width.py COLS COMMAND [ARGS...]

The command's stderr is a pseudo-terminal whose window is COLS columns
wide (its stdout goes to /dev/null). Everything it writes there is split into what each carriage return
or newline starts, less ANSI escape sequences; every such piece must be
shorter than COLS (the last column stays free, so nothing wraps). Prints
the pieces; exits 1 if one is too wide or if no progress bar ('lines') was
drawn, else with the command's own status.
"""
import fcntl
import os
import pty
import re
import struct
import sys
import termios


def main():
    cols = int(sys.argv[1])
    pid, fd = pty.fork()
    if pid == 0:  # the width is set before the command can ask for it
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.execvp(sys.argv[2], sys.argv[2:])
    data = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the command has ended
            break
        if not chunk:
            break
        data += chunk
    _, status = os.waitpid(pid, 0)
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", data.decode("utf-8", "replace"))
    pieces = [p for p in re.split(r"[\r\n]", text) if p]
    bad = [p for p in pieces if len(p) >= cols]
    for p in pieces:
        print(f"{len(p):3d} |{p}|")
    if bad:
        print(f"too wide for {cols} columns: {bad}")
        sys.exit(1)
    if not any("lines" in p for p in pieces):
        print("no progress bar")
        sys.exit(1)
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
