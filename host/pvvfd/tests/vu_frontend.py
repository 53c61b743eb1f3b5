#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A minimal vhost-user frontend that drives a running pvvfd like QEMU and a
virtio_pvvf driver would: negotiate, map a memfd as guest memory, start
both split virtqueues, send requests, post event buffers, read config and
config-change messages, stop the queues, disconnect and reconnect.

Usage: vu_frontend.py GUEST_SOCKET CONTROL_SOCKET
       vu_frontend.py --two GUEST_A_SOCKET GUEST_B_SOCKET CONTROL_SOCKET
       vu_frontend.py --faults GUEST_SOCKET CONTROL_SOCKET   (test-only faults)
       vu_frontend.py --flood GUEST_A_SOCKET GUEST_B_SOCKET CONTROL_SOCKET \
                      JOURNAL PVVFD_PID
       vu_frontend.py --sysfs GUEST_SOCKET CONTROL_SOCKET PF_SYSFS_DIR
                      (a real PF: --pf sysfs on a fake tree of nic-sva.img)
Expects pvvfd started with (see run.sh):
  --pf sim:id=pf0,vfs=8 --guest name=a,...,vf=pf0:0@0000:00:1c.0/00.0+id=1af4:1044
  [--guest name=b,...,vf=pf0:1@0000:00:02.0]
Prints TAP-like "ok"/"not ok" lines; exit status 1 on any failure.
"""
import mmap
import os
import re
import select
import signal
import socket
import struct
import sys
import time

# vhost-user requests
GET_FEATURES, SET_FEATURES, SET_OWNER = 1, 2, 3
SET_MEM_TABLE = 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE = 8, 9, 10, 11
SET_VRING_KICK, SET_VRING_CALL = 12, 13
GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES = 15, 16
SET_VRING_ENABLE, SET_BACKEND_REQ_FD = 18, 21
GET_CONFIG, SET_CONFIG = 24, 25
RESET_OWNER = 4
BACKEND_CONFIG_CHANGE_MSG = 2
F_PROTOCOL_FEATURES, F_VERSION_1, F_ACCESS_PLATFORM = 30, 32, 33
PF_MQ, PF_BACKEND_REQ, PF_CONFIG = 0, 5, 9

QSIZE = 64
MEM = 1 << 20
UADDR = 0x7F0000000000          # the frontend's view of guest memory
DESC_NEXT, DESC_WRITE = 1, 2
# Peak RSS growth allowed over a sustained flood (allocator noise).
MEM_SLACK_KIB = int(os.environ.get("PVVF_FLOOD_MEM_SLACK_KIB", "256"))

failures = 0


def check(cond, what):
    global failures
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures += 1


class Queue:
    def __init__(self, mem, index, base, size=QSIZE):
        self.mem, self.index, self.size = mem, index, size
        self.desc = base
        self.avail = base + 16 * size
        self.used = (self.avail + 6 + 2 * size + 3) & ~3
        self.buf = (self.used + 6 + 8 * size + 0xfff) & ~0xfff
        self.next_desc, self.avail_idx, self.used_seen = 0, 0, 0
        self.kick, self.call = os.eventfd(0), os.eventfd(0)

    def alloc(self, n):
        a = self.buf
        self.buf += (n + 63) & ~63
        return a

    def post(self, parts, kick=True):
        """parts: list of (gpa, len, writable); returns the head index."""
        head = self.next_desc
        for i, (addr, n, w) in enumerate(parts):
            d = (head + i) % self.size
            flags = (DESC_WRITE if w else 0) | (DESC_NEXT if i + 1 < len(parts) else 0)
            struct.pack_into("<QIHH", self.mem, self.desc + 16 * d, addr, n, flags,
                             (d + 1) % self.size)
        self.next_desc = (head + len(parts)) % self.size
        struct.pack_into("<H", self.mem,
                         self.avail + 4 + 2 * (self.avail_idx % self.size), head)
        self.avail_idx = (self.avail_idx + 1) & 0xffff
        struct.pack_into("<HH", self.mem, self.avail, 0, self.avail_idx)
        if kick:
            os.eventfd_write(self.kick, 1)
        return head

    def wait_used(self, timeout=3.0):
        """Next used element as (id, len), or None."""
        while True:
            idx, = struct.unpack_from("<H", self.mem, self.used + 2)
            if idx != self.used_seen:
                i, n = struct.unpack_from("<II", self.mem,
                                          self.used + 4 + 8 * (self.used_seen % self.size))
                self.used_seen = (self.used_seen + 1) & 0xffff
                return i, n
            r, _, _ = select.select([self.call], [], [], timeout)
            if not r:
                return None
            os.eventfd_read(self.call)


class Frontend:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(path)

    def send(self, req, payload=b"", fds=(), need_reply=False):
        hdr = struct.pack("<III", req, 0x1 | (0x8 if need_reply else 0), len(payload))
        if fds:
            socket.send_fds(self.sock, [hdr + payload], list(fds))
        else:
            self.sock.sendall(hdr + payload)

    def recv(self):
        hdr = self._read(12)
        req, flags, size = struct.unpack("<III", hdr)
        return req, flags, self._read(size)

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("pvvfd closed the connection")
            data += chunk
        return data

    def get_u64(self, req):
        self.send(req)
        _, _, p = self.recv()
        return struct.unpack("<Q", p)[0]

    def get_config(self, size=8):
        self.send(GET_CONFIG, struct.pack("<III", 0, size, 0) + bytes(size))
        _, _, p = self.recv()
        return p[12:] if len(p) >= 12 else b""

    def setup(self, mem_fd, features):
        self.send(SET_OWNER)
        self.send(SET_PROTOCOL_FEATURES, struct.pack(
            "<Q", 1 << PF_MQ | 1 << PF_BACKEND_REQ | 1 << PF_CONFIG))
        self.backend, remote = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.send(SET_BACKEND_REQ_FD, fds=[remote.fileno()])
        remote.close()
        self.send(SET_FEATURES, struct.pack("<Q", features))
        self.send(SET_MEM_TABLE, struct.pack("<II", 1, 0) +
                  struct.pack("<QQQQ", 0, MEM, UADDR, 0), fds=[mem_fd])

    def start(self, q):
        i = q.index
        self.send(SET_VRING_NUM, struct.pack("<II", i, q.size))
        self.send(SET_VRING_ADDR, struct.pack("<IIQQQQ", i, 0, UADDR + q.desc,
                                              UADDR + q.used, UADDR + q.avail, 0))
        self.send(SET_VRING_BASE, struct.pack("<II", i, 0))
        self.send(SET_VRING_CALL, struct.pack("<Q", i), fds=[q.call])
        self.send(SET_VRING_KICK, struct.pack("<Q", i), fds=[q.kick])
        self.send(SET_VRING_ENABLE, struct.pack("<II", i, 1))

    def stop(self, q):
        self.send(GET_VRING_BASE, struct.pack("<II", q.index, 0))
        return self.recv()


def ctl(path, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall((cmd + "\n").encode())
    out = b""
    while not (out.endswith(b"ok\n") or b"error" in out):
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    return out.decode()


def request(mem, q, req, resp_len, split=False):
    """Send one request chain; returns (used_len, reply bytes)."""
    ra = q.alloc(max(len(req), 1))
    mem[ra:ra + len(req)] = req
    wa = q.alloc(max(resp_len, 1))
    mem[wa:wa + resp_len] = b"\xee" * resp_len
    if split and len(req) > 4:
        parts = [(ra, 4, False), (ra + 4, len(req) - 4, False)]
    else:
        parts = [(ra, len(req), False)]
    if resp_len:
        parts.append((wa, resp_len, True))
    head = q.post(parts)
    used = q.wait_used()
    if used is None or used[0] != head:
        return None, b""
    return used[1], bytes(mem[wa:wa + used[1]])


def head(op, vf=0xFFFFFFFF, tag=0x1234):
    return struct.pack("<HHII4x", op, 0, vf, tag)


def session(path, ctl_path, first):
    fe = Frontend(path)
    feats = fe.get_u64(GET_FEATURES)
    check(feats & (1 << F_VERSION_1), "VIRTIO_F_VERSION_1 offered")
    check(not feats & (1 << F_ACCESS_PLATFORM), "VIRTIO_F_ACCESS_PLATFORM not offered")
    check(feats & 0x7 == 0x7, "PASID, PRI and CAP_OFFSET offered")
    pf = fe.get_u64(GET_PROTOCOL_FEATURES)
    check(pf & (1 << PF_CONFIG) and pf & (1 << PF_BACKEND_REQ),
          "protocol features CONFIG and BACKEND_REQ")

    mem_fd = os.memfd_create("guest")
    os.ftruncate(mem_fd, MEM)
    mem = mmap.mmap(mem_fd, MEM)
    fe.setup(mem_fd, 1 << F_VERSION_1 | 1 << F_PROTOCOL_FEATURES | 0x7)
    cfg = fe.get_config()
    epoch, nvfs = struct.unpack("<IH", cfg[:6]) if len(cfg) == 8 else (None, None)
    check(nvfs == 1 and epoch is not None, "GET_CONFIG: num_vfs=1 (epoch %s)" % epoch)
    check(fe.get_config(100) == b"", "GET_CONFIG longer than the config is refused")
    # Writes are ignored: config unchanged, link alive.
    fe.send(SET_CONFIG, struct.pack("<III", 0, 8, 0) + b"\xff" * 8)
    check(fe.get_config()[:6] == cfg[:6], "SET_CONFIG is ignored")

    rq, eq = Queue(mem, 0, 0x10000), Queue(mem, 1, 0x40000)
    fe.start(rq)
    fe.start(eq)

    used, r = request(mem, rq, head(0), 8)
    check(used == 8 and r == struct.pack("<HHI", 0, 0, 0x1234), "NOP: status 0, tag echoed")
    used, r = request(mem, rq, head(1), 40, split=True)
    check(used == 40 and r[:4] == b"\0\0\0\0" and any(r[8:]),
          "GET_OPCODES across two readable descriptors: 40 bytes, bitmap")
    used, r = request(mem, rq, head(2, vf=0), 56)
    ok = used == 56 and r[:4] == b"\0\0\0\0"
    if ok:
        seg, bus, plen = struct.unpack_from("<HBB", r, 8)
        path = r[12:12 + plen]
        vid, did = struct.unpack_from("<HH", r, 20)
        ok = (seg, bus, path, vid, did) == (0, 0, bytes([0x1c << 3, 0]), 0x1af4, 0x1044)
    check(ok, "GET_VF slot 0: locator 0000:00:1c.0/00.0, id 1af4:1044")
    used, r = request(mem, rq, head(2, vf=5), 56)
    check(used == 56 and struct.unpack_from("<H", r)[0] == 19 and not any(r[8:]),
          "GET_VF of an empty slot: ENODEV, whole reply, zeroed payload")
    used, r = request(mem, rq, head(0) + bytes(300), 8)
    check(used == 8 and struct.unpack_from("<HH", r) == (71, 1),
          "316-byte NOP: EPROTO/BAD_LENGTH")
    used, r = request(mem, rq, head(0), 4)
    check(used == 0, "writable part shorter than a reply header: used length 0")
    used, r = request(mem, rq, b"\x01\x00", 8)
    check(used == 8 and struct.unpack_from("<HHI", r) == (71, 1, 0),
          "2-byte request: EPROTO/BAD_LENGTH, tag 0")

    # Events wait in the core until there are buffers and stay there
    # while there are none; a malformed buffer comes back unused.
    check(eq.wait_used(0.3) is None, "no event, no used event buffer")
    bad = eq.alloc(32)
    bad_head = eq.post([(bad, 8, False), (bad + 8, 24, True)])
    good = eq.alloc(32)
    good_head = eq.post([(good, 32, True)])
    out = ctl(ctl_path, "pf-reset pf=pf0")
    check(out.endswith("ok\n"), "control: pf-reset")
    check(eq.wait_used() == (bad_head, 0), "event buffer with a readable part returned unused")
    used = eq.wait_used()
    ev = struct.unpack_from("<HHIIII", mem, good) if used else None
    check(used == (good_head, 32) and ev[0] == 2 and ev[1] & 1 and ev[2] == 0 and
          not any(mem[good + 20:good + 32]),
          "PF_RESET_BEGIN event for slot 0, ack required, reserved zero (%s)" % (ev,))
    fe.backend.settimeout(3)
    try:
        req, _, _ = struct.unpack("<III", fe.backend.recv(12))
    except (socket.timeout, struct.error):
        req = None
    check(req == BACKEND_CONFIG_CHANGE_MSG, "config change message on the backend channel")
    if ev:
        ack = head(4) + struct.pack("<I4x", ev[3])
        used, r = request(mem, rq, ack, 8)
        check(used == 8 and r[:4] == b"\0\0\0\0", "EVENT_ACK(seq %d): status 0" % ev[3])
    # The reset ran once acknowledged: PF_RESET_DONE waits for a buffer.
    check(eq.wait_used(0.3) is None, "PF_RESET_DONE held while no buffer is posted")
    good_head = eq.post([(good, 32, True)])
    used = eq.wait_used()
    ev = struct.unpack_from("<HHIIII", mem, good) if used else None
    check(used == (good_head, 32) and ev[0] == 3, "PF_RESET_DONE delivered on the next buffer")

    # A reference the core must release when the driver goes away.
    used, r = request(mem, rq, head(0x10, vf=0) + struct.pack("<B7x", 0), 8)
    check(used == 8 and r[:4] == b"\0\0\0\0", "PASID_ENABLE on slot 0: status 0")
    check(" pasid_refs=1 " in ctl(ctl_path, "dump"), "dump: the PF has one PASID reference")

    # Device reset: both queues stop, the core releases the guest.
    if first:
        fe.stop(rq)
        fe.stop(eq)
        what = "queues stopped"
    else:
        fe.send(RESET_OWNER)
        what = "RESET_OWNER"
    dump = ctl(ctl_path, "dump")
    check(" driver=down " in dump and " link=up " in dump,
          what + ": driver down, link still up")
    check(" pasid_refs=0 " in dump, what + ": the PASID reference was released")
    if not first:
        # Started again by the frontend, the device serves requests again.
        rq = Queue(mem, 0, 0x80000)     # a fresh ring, as after a reset
        fe.start(rq)
        used, r = request(mem, rq, head(0, tag=7), 8)
        check(used == 8 and r == struct.pack("<HHI", 0, 0, 7), "restarted after RESET_OWNER")
        # Hold a reference again and vanish without stopping anything.
        used, r = request(mem, rq, head(0x10, vf=0) + struct.pack("<B7x", 0), 8)
        check(used == 8 and r[:4] == b"\0\0\0\0", "PASID_ENABLE again before the link drops")
    fe.sock.close()
    mem.close()
    os.close(mem_fd)


def bring_up(path, rq_size=QSIZE):
    """A connected frontend with both queues started and event buffers."""
    fe = Frontend(path)
    fe.get_u64(GET_FEATURES)
    mem_fd = os.memfd_create("guest")
    os.ftruncate(mem_fd, MEM)
    mem = mmap.mmap(mem_fd, MEM)
    fe.setup(mem_fd, 1 << F_VERSION_1 | 1 << F_PROTOCOL_FEATURES | 0x7)
    rq, eq = Queue(mem, 0, 0x10000, rq_size), Queue(mem, 1, 0x40000)
    fe.start(rq)
    fe.start(eq)
    bufs = [eq.alloc(32) for _ in range(4)]
    for b in bufs:
        eq.post([(b, 32, True)])
    return fe, mem, rq, eq, bufs


def next_event(mem, eq, bufs):
    used = eq.wait_used()
    if not used or used[1] != 32:
        return None
    return struct.unpack_from("<HHIIII", mem, bufs[used[0]])


def two_guests(path_a, path_b, ctl_path):
    """Two guests holding VFs of one PF: a PF reset waits for both."""
    a, b = bring_up(path_a), bring_up(path_b)
    used, r = request(b[1], b[2], head(2, vf=0), 56)
    check(used == 56 and r[12] == 0x02 << 3, "guest b's slot 0 is its own VF (00:02.0)")
    check(ctl(ctl_path, "pf-reset pf=pf0").endswith("ok\n"), "control: pf-reset")
    ea, eb = next_event(a[1], a[3], a[4]), next_event(b[1], b[3], b[4])
    check(ea and eb and ea[0] == 2 and eb[0] == 2, "both guests get PF_RESET_BEGIN")
    request(a[1], a[2], head(4) + struct.pack("<I4x", ea[3]), 8)
    dump = ctl(ctl_path, "dump")
    check("reset_pending=1 reset_acks_pending=1" in dump, "after a's ack the reset waits for b")
    check(a[3].wait_used(0.3) is None, "a gets no PF_RESET_DONE before b acked")
    request(b[1], b[2], head(4) + struct.pack("<I4x", eb[3]), 8)
    ea, eb = next_event(a[1], a[3], a[4]), next_event(b[1], b[3], b[4])
    check(ea and eb and ea[0] == 3 and eb[0] == 3, "both get PF_RESET_DONE after both acked")
    a[0].sock.close()
    used, r = request(b[1], b[2], head(0, tag=9), 8)
    check(used == 8 and r == struct.pack("<HHI", 0, 0, 9), "b is served after a disconnected")


def faults(path, ctl_path):
    """The control socket's test-only faults, as a driver sees them."""
    fe, mem, rq, eq, bufs = bring_up(path)
    # stall: requests stay in the ring until the stall ends, then are served
    check(ctl(ctl_path, "stall guest=a enable=on").endswith("ok\n"), "control: stall on")
    ra, wa = rq.alloc(16), rq.alloc(8)
    mem[ra:ra + 16] = head(0, tag=21)
    h = rq.post([(ra, 16, False), (wa, 8, True)])
    check(rq.wait_used(0.5) is None, "stalled: no reply")
    check(ctl(ctl_path, "stall guest=a enable=off").endswith("ok\n"), "control: stall off")
    check(rq.wait_used() == (h, 8) and bytes(mem[wa:wa + 8]) == struct.pack("<HHI", 0, 0, 21),
          "stall ends: the waiting request is answered")
    # corrupt-reply: only the chosen opcode, only n times, each way
    ctl(ctl_path, "corrupt-reply guest=a how=tag op=0x10 n=1")
    used, r = request(mem, rq, head(0, tag=5), 8)
    check(used == 8 and r == struct.pack("<HHI", 0, 0, 5), "corrupt-reply op=0x10 leaves a NOP alone")
    used, r = request(mem, rq, head(0x10, vf=0, tag=6) + struct.pack("<B7x", 0), 8)
    check(used == 8 and struct.unpack_from("<HHI", r) == (0, 0, 6 ^ 0x5a5a5a5a),
          "how=tag: PASID_ENABLE's reply carries another tag")
    used, r = request(mem, rq, head(0x11, vf=0, tag=7), 8)
    check(used == 8 and r == struct.pack("<HHI", 0, 0, 7), "n=1: the next reply is intact")
    for how, want in (("short", lambda u, r: u == 4), ("long", lambda u, r: u == 16),
                      ("zero", lambda u, r: u == 0),
                      ("status", lambda u, r: u == 8 and r[:2] == b"\xfe\x7f")):
        ctl(ctl_path, "corrupt-reply guest=a how=%s" % how)
        used, r = request(mem, rq, head(0, tag=8), 8)
        check(want(used, r), "how=%s: used %s, reply %s" % (how, used, r.hex()))
    # inject-event: raw bytes, any used length, in the next buffer
    check(ctl(ctl_path, "inject-event guest=a raw=ff00 used=40").endswith("ok\n"),
          "control: inject-event")
    used = eq.wait_used()
    check(used is not None and used[1] == 40 and bytes(mem[bufs[used[0]]:bufs[used[0]] + 2]) == b"\xff\x00",
          "raw event delivered with used length 40 (%s)" % (used,))
    check("error msg=event_buffer_too_small" in ctl(ctl_path, "inject-event guest=a raw=" + "00" * 33),
          "a raw event longer than the buffer is refused")
    # fake-config: num_vfs as told, a config change message, then the truth
    ctl(ctl_path, "fake-config guest=a num_vfs=0")
    fe.backend.settimeout(3)
    try:
        req, _, _ = struct.unpack("<III", fe.backend.recv(12))
    except (socket.timeout, struct.error):
        req = None
    check(req == BACKEND_CONFIG_CHANGE_MSG, "fake-config: config change message")
    check(struct.unpack("<IH", fe.get_config()[:6])[1] == 0, "fake-config: num_vfs reads 0")
    ctl(ctl_path, "fake-config guest=a num_vfs=off")
    check(struct.unpack("<IH", fe.get_config()[:6])[1] == 1, "fake-config off: num_vfs reads 1")
    # faults end with the link
    ctl(ctl_path, "stall guest=a enable=on")
    fe.sock.close()
    check(wait_link_down(ctl_path) is not None, "the stalled link's close seen by pvvfd")
    fe, mem, rq, eq, bufs = bring_up(path)
    used, r = request(mem, rq, head(0, tag=3), 8)
    check(used == 8 and r == struct.pack("<HHI", 0, 0, 3), "a new link is not stalled")
    fe.sock.close()


def wait_link_down(ctl_path, guest="a", timeout=20.0):
    """pvvfd's dump once it has seen @guest's frontend go, or None.  A
    frontend that connects before then is turned away as a second one."""
    down = re.compile(r"^guest name=%s .*\blink=down\b" % re.escape(guest), re.M)
    end = time.monotonic() + timeout
    while True:
        dump = ctl(ctl_path, "dump")
        if down.search(dump):
            return dump
        if time.monotonic() >= end:
            return None
        time.sleep(0.05)


def next_event_of(mem, eq, bufs, etype, timeout=3.0):
    """The next event of @etype, reposting every buffer it consumes."""
    end = time.time() + timeout
    while time.time() < end:
        used = eq.wait_used(max(end - time.time(), 0.01))
        if not used:
            return None
        ev = struct.unpack_from("<HHIIII", mem, bufs[used[0]])
        eq.post([(bufs[used[0]], 32, True)])
        if ev[0] == etype:
            return ev
    return None


def sysfs_session(path, ctl_path, pfdir):
    """pvvfd on a real PF through sysfs: the hardware is the image file."""
    def reg16(off):
        with open(os.path.join(pfdir, "config"), "rb") as f:
            f.seek(off)
            return struct.unpack("<H", f.read(2))[0]

    def set16(off, val):
        with open(os.path.join(pfdir, "config"), "r+b") as f:
            f.seek(off)
            f.write(struct.pack("<H", val))

    pasid_ctrl = 0x1d0 + 6          # nic-sva.img: PASID at 0x1d0
    fe, mem, rq, eq, bufs = bring_up(path)
    used, r = request(mem, rq, head(2, vf=0), 56)
    ok = used == 56 and r[:4] == b"\0\0\0\0"
    if ok:
        vid, did = struct.unpack_from("<HH", r, 20)
        vf_index, _, cap = struct.unpack_from("<HHH", r, 32)
        width, feats, pri_cap = struct.unpack_from("<BBI", r, 38)
        ok = (vid, did, vf_index, cap, width, feats, pri_cap) == \
            (0x8086, 0x1889, 1, 0, 20, 0x6, 512)
    check(ok, "GET_VF: the PF's vendor and VF Device ID, VF 1, no cap offset, "
          "PASID width 20 exec+priv, PRI capacity 512")
    used, r = request(mem, rq, head(0x10, vf=0) + struct.pack("<B7x", 0), 8)
    check(used == 8 and r[:4] == b"\0\0\0\0", "PASID_ENABLE: status 0")
    check(reg16(pasid_ctrl) == 0x7, "the PF's PASID Control in config space is 0x0007")
    dump = ctl(ctl_path, "dump")
    check("sysfs pf=nic0 bdf=0000:3b:00.0 driver=pci-pf-stub driver_owns=0 removed=0 "
          "pasid_ctrl=0x0007 " in dump, "dump: the real PF's registers and driver")
    out = ctl(ctl_path, "inject pf=nic0 vf=1")
    check("error msg=pf_nic0_is_a_real_PF" in out, "a simulated-PF command is refused")
    # the host turns PASID off behind pvvf's back: the guest hears it
    set16(pasid_ctrl, 0)
    ev = next_event_of(mem, eq, bufs, 1)
    check(ev is not None and ev[5] & 1, "PF_STATE with PASID_REVOKED after the host's write")
    # a PF reset asked through the control socket goes through the kernel
    check(ctl(ctl_path, "pf-reset pf=nic0").endswith("ok\n"), "control: pf-reset")
    ev = next_event_of(mem, eq, bufs, 2)
    check(ev is not None, "PF_RESET_BEGIN")
    if ev:
        request(mem, rq, head(4) + struct.pack("<I4x", ev[3]), 8)
    check(next_event_of(mem, eq, bufs, 3) is not None, "PF_RESET_DONE after the ack")
    with open(os.path.join(pfdir, "reset")) as f:
        check(f.read() == "1\n", "the reset went to the PF's sysfs reset file")
    # the PF vanishes from sysfs: PF_REMOVED
    os.rename(pfdir, pfdir + ".gone")
    check(next_event_of(mem, eq, bufs, 8) is not None, "PF_REMOVED once its directory vanished")
    check(" gone=1 " in ctl(ctl_path, "dump"), "dump: the PF is gone")
    fe.sock.close()


def journal_lines(path):
    with open(path) as f:
        return f.read().splitlines()


def wait_stopped(pid):
    """Until the process is in the stopped state (SIGSTOP taken)."""
    for _ in range(200):
        with open("/proc/%d/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "T":
                return True
        time.sleep(0.01)
    return False


def vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def flood_batch(q, req_addr, resp_addr, n, op_bytes):
    """Post @n requests sharing one request and one reply buffer; one kick."""
    q.mem[req_addr:req_addr + len(op_bytes)] = op_bytes
    for i in range(n):
        q.post([(req_addr, len(op_bytes), False), (resp_addr, 8, True)],
               kick=(i + 1 == n))


def drain_used(q, n):
    got = 0
    while got < n and q.wait_used(10.0) is not None:
        got += 1
    return got


BUDGET = 16        # PVVFD_REQ_BUDGET
BURST = 20         # PVVFD_REFUSAL_BURST
FLOOD = 510        # a 1024-entry ring holds 512 two-descriptor chains


def flood(path_a, path_b, ctl_path, journal, pid):
    """Guest a floods; guest b must still be served, memory stays flat."""
    pid = int(pid)
    a = bring_up(path_a, rq_size=1024)
    b = bring_up(path_b)
    fe_a, mem_a, rq_a = a[0], a[1], a[2]
    ra, wa = rq_a.alloc(16), rq_a.alloc(8)
    # One round trip each: pvvfd has taken every set-up message.
    check(request(mem_a, rq_a, head(0, tag=1), 8)[0] == 8 and
          request(b[1], b[2], head(0, tag=2), 8)[0] == 8, "both guests up")

    # The daemon is stopped while a fills its ring and b posts one request:
    # on waking it sees both kicks at once, as it would under a real flood.
    os.kill(pid, signal.SIGSTOP)
    stopped = wait_stopped(pid)
    flood_batch(rq_a, ra, wa, FLOOD, head(0, tag=0xa))
    rb, wb = b[2].alloc(16), b[2].alloc(8)
    b[1][rb:rb + 16] = head(0, tag=0xb)
    b_head = b[2].post([(rb, 16, False), (wb, 8, True)])
    os.kill(pid, signal.SIGCONT)
    check(stopped, "pvvfd stopped while the flood is posted")
    used = b[2].wait_used(10.0)
    check(used == (b_head, 8) and b[1][wb:wb + 8] == struct.pack("<HHI", 0, 0, 0xb),
          "b's NOP answered during a's flood")
    check(drain_used(rq_a, FLOOD) == FLOOD, "every one of a's %d requests answered" % FLOOD)
    # Between b's set-up NOP and its NOP posted with the flood.
    lines = journal_lines(journal)
    b_at = [i for i, x in enumerate(lines) if " decision guest=b " in x]
    before_b = sum(1 for x in lines[b_at[0]:b_at[1]] if " decision guest=a " in x) \
        if len(b_at) >= 2 else None
    check(before_b is not None and before_b <= BUDGET,
          "b served after at most %d of a's requests (%d)" % (BUDGET, before_b))

    # Memory: ten more full rings cost the daemon nothing that stays.
    hwm0 = vm_hwm_kib(pid)
    for _ in range(10):
        flood_batch(rq_a, ra, wa, FLOOD, head(0, tag=0xa))
        if drain_used(rq_a, FLOOD) != FLOOD:
            break
    hwm1 = vm_hwm_kib(pid)
    check(hwm0 is not None and hwm1 is not None and hwm1 - hwm0 <= MEM_SLACK_KIB,
          "peak RSS after %d more flooded requests: %s -> %s KiB" % (10 * FLOOD, hwm0, hwm1))

    # Refusals: at most BURST journaled per window, the rest counted.
    t0 = time.monotonic()
    flood_batch(rq_a, ra, wa, FLOOD, head(0x99, tag=0xbad))
    ok = drain_used(rq_a, FLOOD) == FLOOD and \
        struct.unpack_from("<HH", mem_a, wa) == (95, 3)
    check(ok, "%d unknown opcodes answered EOPNOTSUPP/BAD_OPCODE" % FLOOD)
    windows = 1 + int((time.monotonic() - t0) / 5)
    logged = sum(1 for line in journal_lines(journal)
                 if " decision guest=a " in line and " op=0x0099 " in line)
    check(0 < logged <= BURST * windows,
          "refusal lines journaled: %d (at most %d per 5 s window)" % (logged, BURST))
    # Reported once the window ends, without any other event.
    suppressed = None
    for _ in range(150):
        counts = [int(line.rsplit("count=", 1)[1]) for line in journal_lines(journal)
                  if " conn guest=a event=refusals-suppressed " in line]
        if counts and logged + sum(counts) == FLOOD:
            suppressed = sum(counts)
            break
        time.sleep(0.1)
    check(suppressed is not None,
          "suppressed refusals reported: %s + %d journaled = %d" % (suppressed, logged, FLOOD))

    # A writable descriptor before a readable one: libvhost-user refuses
    # the chain and the link drops; b is not affected.
    mem_a[ra:ra + 16] = head(0, tag=0xd)
    rq_a.post([(wa, 8, True), (ra, 16, False)])
    down = False
    for _ in range(100):
        if " link=down " in ctl(ctl_path, "dump").split("guest name=b")[0]:
            down = True
            break
        time.sleep(0.05)
    lines = journal_lines(journal)
    check(down and any(" conn guest=a event=link-error what=Incorrect_order" in x for x in lines),
          "writable-then-readable chain: a's link dropped as a link error")
    b[1][rb:rb + 16] = head(0, tag=0xc)
    b_head = b[2].post([(rb, 16, False), (wb, 8, True)])
    check(b[2].wait_used() == (b_head, 8) and b[1][wb:wb + 8] == struct.pack("<HHI", 0, 0, 0xc),
          "b still served after a's link dropped")
    fe_a.sock.close()


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--two":
        two_guests(*sys.argv[2:])
        return 1 if failures else 0
    if len(sys.argv) == 4 and sys.argv[1] == "--faults":
        faults(*sys.argv[2:])
        return 1 if failures else 0
    if len(sys.argv) == 7 and sys.argv[1] == "--flood":
        flood(*sys.argv[2:])
        return 1 if failures else 0
    if len(sys.argv) == 5 and sys.argv[1] == "--sysfs":
        sysfs_session(*sys.argv[2:])
        return 1 if failures else 0
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, ctl_path = sys.argv[1:]
    session(path, ctl_path, True)
    # The daemon keeps serving: a new frontend gets a fresh device.
    check(wait_link_down(ctl_path) is not None, "disconnect seen by pvvfd")
    session(path, ctl_path, False)
    dump = wait_link_down(ctl_path)
    check(dump is not None and " pasid_refs=0 " in dump,
          "a frontend that just closes its socket has its references released")
    busy1 = Frontend(path)
    busy1.get_u64(GET_FEATURES)
    busy2 = Frontend(path)
    try:
        busy2.get_u64(GET_FEATURES)
        refused = False
    except (ConnectionError, OSError):
        refused = True
    check(refused, "a second frontend for the same guest is turned away")
    busy1.sock.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
