#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of the fuzzers (corpus/NAME/), each a small
well-formed input in the harness's format (see the top comment of each
fuzz_NAME.c).  Run it again after changing a harness's input format.

Usage: seeds.py [OUTDIR]   (default: corpus/ next to this script)
"""
import os
import struct
import sys

NONE = 0xFFFFFFFF


def head(op, vf=NONE, tag=0x1234, flags=0):
    return struct.pack("<HHII4x", op, flags, vf, tag)


# ---- fuzz_request ----

# opcode: (request body, reply size)
OPS = {
    0x00: (b"", 8), 0x01: (b"", 40), 0x02: (b"", 56), 0x03: (b"", 36),
    0x04: (struct.pack("<I4x", 0), 8), 0x05: (bytes([1, 0]) + bytes(6), 8),
    0x10: (bytes([0]) + bytes(7), 8), 0x11: (b"", 8),
    0x20: (struct.pack("<I4x", 4), 8), 0x21: (b"", 8), 0x22: (b"", 8),
    0x23: (b"", 16),
}
DEVICE_SCOPED = (0x00, 0x01, 0x04)


def chain(guest, parts):
    """parts: list of (bytes, None) readable or (None, len) writable."""
    out = bytes([0x00, guest, len(parts) - 1])
    for data, wlen in parts:
        if data is not None:
            out += bytes([len(data)]) + data
        else:
            out += bytes([0x80 | wlen])
    return out


def req(guest, op, slot=0, tag=1, split=False):
    body, resp = OPS[op]
    r = head(op, NONE if op in DEVICE_SCOPED else slot, tag) + body
    if split:
        return chain(guest, [(r[:4], None), (r[4:], None), (None, 4), (None, resp - 4)])
    return chain(guest, [(r, None), (None, resp)])


def step(seed):
    return bytes([0xA0]) + struct.pack("<I", seed)


def request_seeds():
    seeds = {}
    for world in range(1, 4):
        w = struct.pack("<Q", world)
        seeds["world%d-every-op" % world] = w + b"".join(
            req(g, op, tag=op) for g in range(2) for op in OPS)
        seeds["world%d-enable-disable" % world] = w + b"".join([
            req(0, 0x10), req(0, 0x20), req(0, 0x05), step(7), step(8),
            req(0, 0x23), req(0, 0x21), step(9), req(0, 0x22), req(0, 0x11),
            req(1, 0x10, slot=0), req(1, 0x20, slot=1)])
        seeds["world%d-steps" % world] = w + b"".join(step(s) for s in range(40))
    seeds["split-chains"] = struct.pack("<Q", 5) + b"".join(
        req(0, op, split=True) for op in OPS)
    seeds["bad-chains"] = struct.pack("<Q", 6) + \
        chain(0, [(None, 8), (head(0), None)]) + \
        chain(1, [(b"", None), (None, 8)]) + \
        chain(0, [(head(0) + bytes(100), None), (None, 8)]) + \
        chain(1, [(head(0x99), None), (None, 127)])
    return seeds


# ---- fuzz_options ----

def argv(*args, conf=None):
    out = b"\0".join(a.encode() for a in args)
    if conf is not None:
        out += b"\0\0" + conf.encode()
    return out


def options_seeds():
    pf = "sim:id=pf0,vfs=8"
    g = "name=a,socket=/tmp/a.sock,vf=pf0:0@0000:00:1c.0/00.0"
    return {
        "minimal": argv("--pf", pf, "--guest", g),
        "two-guests": argv("--pf", pf + ",pri-capacity=64,pasid-features=exec+priv",
                           "--guest", g + "+id=1af4:1044",
                           "--guest", "name=b,socket=/tmp/b.sock,vf=pf0:1@00:02.0+cap=0x100",
                           "--control", "/tmp/ctl", "--log", "-",
                           "--drain-timeout-ms", "50", "--reset-ack-timeout-ms=2000"),
        "every-pf-key": argv("--pf", "sim:id=p,pf-id=0x10,vfs=4,pasid=yes,pasid-width=20,"
                             "pasid-features=exec,pri=on,pri-capacity=32,"
                             "pri-pasid-required=no,prq-delay-us=100,ats-stu=0,"
                             "vf-id=8086:10ed,seed=7",
                             "--guest", "name=g,socket=/tmp/g,vf=p:3@1:2:03.1,"
                             "features=pasid+pri,evq-depth=16"),
        "config-file": argv(conf="pf %s\n# comment\n\nguest %s\ncontrol /tmp/c\n" % (pf, g)),
        "sysfs-pf": argv("--pf", "sysfs:id=nic,bdf=0000:3b:00.0,root=/tmp/sys,"
                         "run-dir=/tmp/run,poll-ms=100",
                         "--guest", "name=a,socket=/tmp/a.sock,vf=nic:2@0000:00:1c.0/00.0"),
        "help": argv("--help"),
        "version": argv("--version"),
        "bad-locator": argv("--pf", pf, "--guest", "name=a,socket=/s,vf=pf0:0@00:20.0"),
    }


# ---- fuzz_guest ----

ALL_OPS = (0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x10, 0x11, 0x20, 0x21, 0x22, 0x23)


def reply(payload, size):
    """A full reply with the right tag: used byte 0xC0, then the buffer."""
    return bytes([0xC0]) + bytes(8) + payload + bytes(size - 8 - len(payload))


def short_reply(status, qual):
    return bytes([0xA0]) + struct.pack("<HHI", status, qual, 0)


def vf_desc(path=(0xE0, 0x00), flags=7):
    p = bytes(path) + bytes(8 - len(path))
    return struct.pack("<HBB", 0, 0, len(path)) + p + struct.pack(
        "<HHQHHHBBIHB9x", 0x1AF4, 0x1044, 1, 0, flags, 0x100, 20, 6, 512, 0, 12)


def vf_state(flags=1, pri_alloc=0):
    return struct.pack("<IHHBB2xIII4x", 1, flags, 0, 0, 0, pri_alloc, 0, 512)


def event(typ, vf, flags=0, detail=0):
    return bytes([0x20]) + struct.pack("<HHIIII12x", typ, flags, vf, 1, 1, detail) + bytes(8)


def locator(path=(0xE0, 0x00)):
    # depth, root bus, domain choice (1: the descriptor's), devfn per hop
    out = bytes([len(path) - 1, 0, 1])
    for i, d in enumerate(path):
        out += bytes([d]) + (bytes([i + 1]) if i + 1 < len(path) else b"")
    return out


def op(slot, which, arg, result):
    return bytes([(slot << 3) | 6, which, arg]) + result


def guest_seeds():
    bitmap = bytearray(32)
    for o in ALL_OPS:
        bitmap[o // 8] |= 1 << (o % 8)
    start = struct.pack("<IH2x", 1, 2) + b"\x01" + reply(bytes(bitmap), 40)
    get_vf = bytes([0x00]) + reply(vf_desc(), 56) + locator()
    get_vf1 = bytes([0x08]) + reply(vf_desc(path=(0x10,), flags=4), 56) + locator((0x10,))
    ok = bytes([0]) + reply(b"", 8)
    return {
        "descriptors": start + get_vf + get_vf1,
        "state": start + get_vf + bytes([0x01]) + reply(vf_state(), 36) +
        bytes([0x01]) + reply(vf_state(flags=0x0D, pri_alloc=4), 36),
        "events": start + get_vf + b"".join(
            bytes([0x03]) + event(t, 0 if t not in (0, 7) else NONE,
                                  flags=1 if t in (2, 4) else 0,
                                  detail=1 if t == 1 else 0)
            for t in range(9)),
        "config-change": start + bytes([0x04]) + struct.pack("<IH2x", 2, 3),
        "operations": start + get_vf + op(0, 0, 0, ok) + op(0, 2, 0, ok) +
        op(0, 4, 8, ok) + bytes([0x02]) + reply(struct.pack("<H2xI", 0x100, 0), 16) +
        op(0, 5, 0, ok) + op(0, 6, 0, ok) + op(0, 3, 0, ok) + op(0, 1, 0, ok),
        "refusals": start + get_vf + op(0, 2, 0, bytes([0]) + short_reply(95, 6)) +
        op(0, 4, 8, bytes([1])) + bytes([0x05]),
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    for name, seeds in (("fuzz_request", request_seeds()),
                        ("fuzz_options", options_seeds()),
                        ("fuzz_guest", guest_seeds())):
        d = os.path.join(outdir, name)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        for k, v in seeds.items():
            with open(os.path.join(d, k), "wb") as f:
                f.write(v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
