#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Send pvvfd control commands (one per argument), print the replies.

Exit status 1 if any command answered "error".
"""
import socket
import sys


def main():
    if len(sys.argv) < 3:
        print("usage: ctl.py SOCKET COMMAND...", file=sys.stderr)
        return 2
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sys.argv[1])
    f = s.makefile("rw")
    status = 0
    for cmd in sys.argv[2:]:
        f.write(cmd + "\n")
        f.flush()
        while True:
            line = f.readline()
            if not line:
                print("ctl.py: connection closed", file=sys.stderr)
                return 1
            line = line.rstrip("\n")
            print(line)
            if line == "ok":
                break
            if line.startswith("error"):
                status = 1
                break
    return status


if __name__ == "__main__":
    sys.exit(main())
