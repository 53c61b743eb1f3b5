#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Run one command in a guest through tests/e2e/agent.sh.

Usage: agent.py SOCKET TIMEOUT COMMAND

SOCKET is the unix socket QEMU serves for the guest's ttyS1.  Prints the
command's output and the kernel log lines it produced; exits with the
command's status, or 124 if no answer came within TIMEOUT seconds.
"""
import os
import socket
import sys
import time


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path, timeout, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    if "\n" in cmd:
        print("agent.py: one line only", file=sys.stderr)
        return 2
    deadline = time.monotonic() + timeout
    tag = "%d.%d" % (os.getpid(), int(time.monotonic() * 1000))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    while True:
        try:
            s.connect(path)
            break
        except OSError as e:
            if time.monotonic() > deadline:
                print("agent.py: %s: %s" % (path, e), file=sys.stderr)
                return 124
            time.sleep(0.1)
    s.sendall(("%s %s\n" % (tag, cmd)).encode())
    buf = b""
    end = ("@@%s rc=" % tag).encode()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            sys.stdout.write(buf.decode(errors="replace"))
            print("agent.py: no answer to '%s' within %g s" % (cmd, timeout),
                  file=sys.stderr)
            return 124
        s.settimeout(left)
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        if not data:
            sys.stdout.write(buf.decode(errors="replace"))
            print("agent.py: guest went away", file=sys.stderr)
            return 124
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            line = line.rstrip(b"\r")
            if line.startswith(end):
                return int(line[len(end):])
            if line.startswith(b"@@"):
                continue    # the end of an earlier, abandoned command
            print(line.decode(errors="replace"), flush=True)


if __name__ == "__main__":
    sys.exit(main())
