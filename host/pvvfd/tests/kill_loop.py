#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Kill loop: SIGKILL pvvfd at random points, restart it over the same
simulated PF state file and state journal, let the guests come back the way
QEMU's vhost-user reconnect does (no device reset: same memory, rings
continued from their used index), and check the invariants once it has
converged:

  * the PF's real registers (read from its state file) are what the live
    references require: PASID Enable iff a VF holds PASID, PRI Enable and
    the whole allocation iff a VF uses PRI, each VF's gate its allocation;
  * every reference is counted once: the PF's counts in `dump` equal the
    sums over its VFs, and the pool's free count is the pool minus what
    the VFs hold;
  * each guest's view (what its requests and events told it) equals
    GET_STATE, after a RESYNC for each restart; event sequence numbers
    never go backwards; the config epoch changes;
  * the simulated PF saw no rule broken.

Kill points: idle; right after a request was sent (its reply may or may
not have been written: QEMU re-exposes an unanswered one); during a PRI
drain with page requests outstanding; and, through pvvfd's --crash-after
hook, right after the Nth write of PF PASID Control, PF PRI Control or a
VF's gate (between changing the hardware and journaling the change).
Then a guest's frontend dies (its references must go, the other guest
keeps working), and pvvfd dies with a guest that never comes back
(released after the grace period).

Usage: kill_loop.py PVVFD WORKDIR [ITERATIONS [SEED]]
Prints TAP-like lines; exit status 1 on any failure.
"""
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vu_frontend as vu  # noqa: E402

OP_GET_STATE, OP_EVENT_ACK = 0x03, 0x04
OP_PASID_ENABLE, OP_PASID_DISABLE = 0x10, 0x11
OP_PRI_ENABLE, OP_PRI_DISABLE = 0x20, 0x21
EVT_RESYNC, EVT_PF_STATE, EVT_PRI_STOPPED = 0, 1, 6
DETAIL_PASID_REVOKED, DETAIL_PRI_REVOKED = 0x1, 0x2
ST_PASID, ST_PRI, ST_PF_PASID, ST_PF_PRI = 0x4, 0x8, 0x10, 0x20
PRI_STOPPED = 0x100
S_OK, S_EALREADY, S_EBUSY = 0, 114, 16

NUM_VFS, POOL = 8, 64
# The simulated PF's state file (pf_sim.c): header, PF config, VF configs,
# VF registers (gate u32, faults u16, reserved u16).
SIM_HDR, CFG = 40, 4096
PASID_CTRL, PRI_CTRL, PRI_ALLOC = 0x160 + 6, 0x150 + 4, 0x150 + 0xc

failures = 0
checks = 0


def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print("not ok - " + what, flush=True)
    return cond


class Guest:
    """A frontend and a driver model that survive pvvfd's restarts."""

    def __init__(self, name, sock):
        self.name, self.sock = name, sock
        self.mem_fd = os.memfd_create("guest-" + name)
        os.ftruncate(self.mem_fd, vu.MEM)
        import mmap
        self.mem = mmap.mmap(self.mem_fd, vu.MEM)
        self.rq, self.eq = vu.Queue(self.mem, 0, 0x10000), vu.Queue(self.mem, 1, 0x40000)
        self.req_buf, self.resp_buf = self.rq.alloc(64), self.rq.alloc(64)
        self.ev_bufs = {}
        self.fe = None
        self.pasid, self.pri, self.alloc = False, "off", 0
        self.last_seq = -1
        self.pending = None      # (op, arg, head) of a request in flight
        self.resynced = False

    # ---- link ----
    def connect(self):
        fe = vu.Frontend(self.sock)
        fe.get_u64(vu.GET_FEATURES)
        fe.setup(self.mem_fd, 1 << vu.F_VERSION_1 | 1 << vu.F_PROTOCOL_FEATURES | 0x7)
        for q in (self.rq, self.eq):
            # QEMU after a back-end loss: continue from the used index
            used, = struct.unpack_from("<H", self.mem, q.used + 2)
            i = q.index
            fe.send(vu.SET_VRING_NUM, struct.pack("<II", i, vu.QSIZE))
            fe.send(vu.SET_VRING_ADDR, struct.pack("<IIQQQQ", i, 0, vu.UADDR + q.desc,
                                                   vu.UADDR + q.used, vu.UADDR + q.avail, 0))
            fe.send(vu.SET_VRING_BASE, struct.pack("<II", i, used))
            fe.send(vu.SET_VRING_CALL, struct.pack("<Q", i), fds=[q.call])
            fe.send(vu.SET_VRING_KICK, struct.pack("<Q", i), fds=[q.kick])
            fe.send(vu.SET_VRING_ENABLE, struct.pack("<II", i, 1))
        if not self.ev_bufs:
            for _ in range(8):
                b = self.eq.alloc(32)
                self.ev_bufs[self.eq.post([(b, 32, True)])] = b
        self.fe = fe

    def drop(self):
        if self.fe:
            self.fe.sock.close()
            self.fe = None

    # ---- requests ----
    def send(self, op, arg=None):
        body = struct.pack("<HHII4x", op, 0, 0, 0x77)
        if op == OP_PASID_ENABLE:
            body += struct.pack("<B7x", 0)
        elif op == OP_PRI_ENABLE:
            body += struct.pack("<I4x", arg)
        elif op == OP_EVENT_ACK:
            body = struct.pack("<HHII4x", op, 0, 0xFFFFFFFF, 0x77) + struct.pack("<I4x", arg)
        self.mem[self.req_buf:self.req_buf + len(body)] = body
        n = 36 if op == OP_GET_STATE else 8
        head = self.rq.post([(self.req_buf, len(body), False), (self.resp_buf, n, True)])
        self.pending = (op, arg, head)

    def reply(self, timeout=5.0):
        """Wait for the pending request's reply; returns (status, bytes) or None."""
        op, arg, head = self.pending
        used = self.rq.wait_used(timeout)
        if used is None:
            return None
        self.pending = None
        if not check(used[0] == head, "%s: reply for the request in flight" % self.name):
            return None
        r = bytes(self.mem[self.resp_buf:self.resp_buf + used[1]])
        status = struct.unpack_from("<H", r)[0] if len(r) >= 8 else None
        self.apply(op, arg, status)
        return status, r

    def apply(self, op, arg, status):
        """What a driver learns from a reply."""
        if op == OP_PASID_ENABLE and status in (S_OK, S_EALREADY):
            self.pasid = True
        elif op == OP_PASID_DISABLE and status == S_OK:
            self.pasid = False
        elif op == OP_PRI_ENABLE and status == S_OK:
            self.pri, self.alloc = "on", arg
        elif op == OP_PRI_ENABLE and status == S_EALREADY and self.pri != "on":
            # a request the dead daemon carried out, served again after
            # the restart (QEMU re-exposes it): it is in force
            self.pri, self.alloc = "on", arg
        elif op == OP_PRI_DISABLE and status == S_OK and self.pri == "on":
            self.pri = "draining"

    def call(self, op, arg=None):
        self.send(op, arg)
        return self.reply()

    def state(self):
        """GET_STATE of slot 0: (flags, pri_status, pri_alloc, outstanding)."""
        r = self.call(OP_GET_STATE)
        if not r or r[0] != S_OK or len(r[1]) != 36:
            check(False, "%s: GET_STATE answers (%s)" % (self.name, r))
            return None
        _, flags, pri_status, _, _, alloc, outstanding = struct.unpack_from("<IHHBB2xII", r[1], 8)
        return flags, pri_status, alloc, outstanding

    # ---- events ----
    def events(self, timeout=0.05):
        """Consume events; returns their types."""
        types = []
        while True:
            used = self.eq.wait_used(timeout)
            if used is None:
                return types
            buf = self.ev_bufs[used[0]]
            typ, flags, _, seq, _, detail = struct.unpack_from("<HHIIII", self.mem, buf)
            check(used[1] == 32, "%s: event is 32 bytes" % self.name)
            check(seq > self.last_seq, "%s: event seq %d after %d never goes backwards"
                  % (self.name, seq, self.last_seq))
            self.last_seq = seq
            del self.ev_bufs[used[0]]
            self.ev_bufs[self.eq.post([(buf, 32, True)])] = buf
            types.append(typ)
            if typ == EVT_RESYNC:
                self.resynced = True
            if typ == EVT_PF_STATE and detail & DETAIL_PASID_REVOKED:
                self.pasid = False
            if typ == EVT_PF_STATE and detail & DETAIL_PRI_REVOKED:
                self.pri = "off"

    def settle(self):
        """Confirm a drain with GET_STATE, as the spec asks (6.8.2)."""
        st = self.state()
        if st and self.pri == "draining" and st[1] & PRI_STOPPED:
            self.pri = "off"
        return st


def ctl(path, cmd):
    try:
        return vu.ctl(path, cmd)
    except OSError:
        return ""


def parse_dump(text):
    pf, vfs, sim, guests = None, [], None, {}
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        kv = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        if words[0] == "pf":
            pf = kv
        elif words[0] == "vf":
            vfs.append(kv)
        elif words[0] == "sim":
            sim = kv
        elif words[0] == "guest":
            guests[kv["name"]] = kv
    return pf, vfs, sim, guests


class Daemon:
    def __init__(self, pvvfd, work):
        self.pvvfd, self.work = pvvfd, work
        self.ctl = os.path.join(work, "ctl")
        self.proc = None

    def start(self, crash=None, grace_ms=10000):
        args = [self.pvvfd,
                "--pf", "sim:id=pf0,vfs=%d,pri-capacity=%d,prq-delay-us=300000,state=%s"
                % (NUM_VFS, POOL, os.path.join(self.work, "pf0.state")),
                "--guest", "name=a,socket=%s,vf=pf0:0@0000:00:1c.0/00.0"
                % os.path.join(self.work, "a.sock"),
                "--guest", "name=b,socket=%s,vf=pf0:1@0000:00:02.0"
                % os.path.join(self.work, "b.sock"),
                "--control", self.ctl, "--state", os.path.join(self.work, "state"),
                "--log", os.path.join(self.work, "log"),
                "--drain-timeout-ms", "1000", "--reconnect-grace-ms", str(grace_ms)]
        if crash:
            args += ["--crash-after", crash]
        self.proc = subprocess.Popen(args, stderr=open(os.path.join(self.work, "err"), "a"))
        for _ in range(1000):
            if os.path.exists(self.ctl) and ctl(self.ctl, "dump"):
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        # the hook may fire while it reconciles: one more kill point
        if crash and self.proc.poll() == -signal.SIGKILL:
            return False
        return check(False, "pvvfd came up (exit %s)" % self.proc.poll())

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            rc = self.proc.wait()
            sanitizer = rc not in (-signal.SIGKILL, 0)
            check(not sanitizer, "pvvfd died of SIGKILL, not of itself (exit %d)" % rc)
        self.proc = None

    def dump(self):
        return parse_dump(ctl(self.ctl, "dump"))


def hardware(work):
    """The PF's real registers, from its state file."""
    with open(os.path.join(work, "pf0.state"), "rb") as f:
        img = f.read()
    pasid, = struct.unpack_from("<H", img, SIM_HDR + PASID_CTRL)
    pri, = struct.unpack_from("<H", img, SIM_HDR + PRI_CTRL)
    alloc, = struct.unpack_from("<I", img, SIM_HDR + PRI_ALLOC)
    regs = SIM_HDR + CFG * (1 + NUM_VFS)
    gates = [struct.unpack_from("<I", img, regs + 8 * i)[0] for i in range(NUM_VFS)]
    return pasid & 1, pri & 1, alloc, gates


def converge(d, guests, what):
    """Wait for drains and links; then check every invariant."""
    for _ in range(150):
        for g in guests:
            if g.fe:
                if g.events(0.01):
                    g.settle()
        pf, vfs, sim, gs = d.dump()
        if pf and all(v.get("pri_draining") == "0" for v in vfs) and \
                all(gs.get(g.name, {}).get("driver") == "up" for g in guests if g.fe):
            break
        time.sleep(0.02)
    for g in guests:
        if g.fe:
            g.events(0.05)
            g.settle()
    pf, vfs, sim, gs = d.dump()
    if not check(pf is not None and sim is not None, what + ": dump answers"):
        return
    pasid_vfs = sum(v["pasid"] == "1" for v in vfs)
    pri_vfs = [v for v in vfs if v["pri_enabled"] == "1" or v["pri_draining"] == "1"]
    held = sum(int(v["pri_held"]) for v in vfs)
    check(int(pf["pasid_refs"]) == pasid_vfs,
          what + ": PASID references counted once (%s refs, %d VFs)" % (pf["pasid_refs"], pasid_vfs))
    check(int(pf["pri_users"]) == len(pri_vfs),
          what + ": PRI users counted once (%s, %d VFs)" % (pf["pri_users"], len(pri_vfs)))
    check(int(pf["pri_free"]) == POOL - held,
          what + ": pool free %s = %d - held %d" % (pf["pri_free"], POOL, held))
    hw_pasid, hw_pri, hw_alloc, gates = hardware(d.work)
    check(hw_pasid == (pasid_vfs > 0),
          what + ": PF PASID Enable %d, %d VFs hold PASID" % (hw_pasid, pasid_vfs))
    check(hw_pri == (len(pri_vfs) > 0),
          what + ": PF PRI Enable %d, %d VFs use PRI" % (hw_pri, len(pri_vfs)))
    check(not hw_pri or hw_alloc == POOL, what + ": PF PRI allocation %d" % hw_alloc)
    for v in vfs:
        want = int(v["pri_alloc"]) if v["pri_enabled"] == "1" else 0
        check(gates[int(v["index"])] == want,
              what + ": VF %s gate %d, wants %d" % (v["index"], gates[int(v["index"])], want))
    check(sim["violations"] == "0", what + ": no PCIe rule broken (%s)" % sim["last_violation"])
    for g in guests:
        if not g.fe:
            continue
        st = g.settle()
        if not st:
            continue
        flags, pri_status, alloc, _ = st
        check(bool(flags & ST_PASID) == g.pasid,
              what + ": %s sees PASID %s, GET_STATE says %s" % (g.name, g.pasid, bool(flags & ST_PASID)))
        check(bool(flags & ST_PRI) == (g.pri == "on"),
              what + ": %s sees PRI %s, GET_STATE flags 0x%x" % (g.name, g.pri, flags))
        check(g.pri != "on" or alloc == g.alloc,
              what + ": %s's PRI allocation %d, GET_STATE %d" % (g.name, g.alloc, alloc))


def random_op(rng, g):
    op = rng.choice([OP_PASID_ENABLE, OP_PASID_DISABLE, OP_PRI_ENABLE, OP_PRI_DISABLE])
    return op, (rng.randint(1, 16) if op == OP_PRI_ENABLE else None)


def run_ops(rng, d, guests, n):
    for _ in range(n):
        g = rng.choice(guests)
        op, arg = random_op(rng, g)
        g.send(op, arg)
        if g.reply(2.0) is None:
            return False          # pvvfd died under the request
        if rng.random() < 0.3:
            ctl(d.ctl, "inject pf=pf0 vf=%d n=%d" % (guests.index(g), rng.randint(1, 4)))
        g.events(0.0)
    return True


def reconnect(d, guests, it):
    for g in guests:
        g.drop()
    if not d.start():
        return False
    for g in guests:
        g.resynced = False
        g.connect()
    for g in guests:
        if g.pending:
            check(g.reply() is not None,
                  "iteration %d: %s: the request in flight was answered after the restart"
                  % (it, g.name))
        for _ in range(100):
            if g.resynced:
                break
            g.events(0.05)
        check(g.resynced, "iteration %d: %s got RESYNC after the restart" % (it, g.name))
    return True


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    pvvfd, work = sys.argv[1], sys.argv[2]
    iters = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    rng = random.Random(seed)
    d = Daemon(pvvfd, work)
    guests = [Guest("a", os.path.join(work, "a.sock")), Guest("b", os.path.join(work, "b.sock"))]
    if not d.start():
        return 1
    for g in guests:
        g.connect()
    run_ops(rng, d, guests, 4)
    converge(d, guests, "start")
    modes = ["idle", "inflight", "drain", "pasid-write", "pri-write", "gate-write"]
    kinds = dict.fromkeys(modes, 0)
    for it in range(iters):
        mode = modes[it % len(modes)] if it < len(modes) else rng.choice(modes)
        kinds[mode] += 1
        if mode.endswith("-write"):
            # restart with the hook armed; it dies by itself mid-change
            d.kill()
            if not reconnect_with(d, guests, it, mode + ":%d" % rng.randint(1, 2)):
                d.kill()
                if not reconnect(d, guests, it):
                    break
                converge(d, guests, "iteration %d (%s, died reconciling)" % (it, mode))
                continue
            for _ in range(40):
                if not run_ops(rng, d, guests, 1) or d.proc.poll() is not None:
                    break
        elif mode == "drain":
            g = rng.choice(guests)
            if g.pri != "on":
                g.call(OP_PRI_DISABLE) if g.pri == "draining" else None
                g.call(OP_PRI_ENABLE, rng.randint(4, 16))
            ctl(d.ctl, "inject pf=pf0 vf=%d n=3" % guests.index(g))
            g.call(OP_PRI_DISABLE)
            pf, vfs, _, _ = d.dump()
            v = [x for x in vfs if x["index"] == str(guests.index(g))]
            check(v and v[0]["pri_draining"] == "1" and int(v[0]["pri_outstanding"]) > 0,
                  "iteration %d: %s drains with page requests outstanding" % (it, g.name))
        elif mode == "inflight":
            run_ops(rng, d, guests, rng.randint(0, 3))
            g = rng.choice(guests)
            g.send(*random_op(rng, g))
            time.sleep(rng.random() * 0.002)
        else:
            run_ops(rng, d, guests, rng.randint(1, 5))
        d.kill()
        if not reconnect(d, guests, it):
            break
        converge(d, guests, "iteration %d (%s)" % (it, mode))
    print("ok - %d kill iterations: %s" % (iters, ", ".join("%s %d" % kv for kv in kinds.items())))

    # A guest's frontend dies: its references go, the other keeps working.
    a, b = guests
    a.call(OP_PASID_ENABLE)
    b.call(OP_PASID_ENABLE)
    a.drop()
    for _ in range(400):
        pf, vfs, _, gs = d.dump()
        if pf and pf["pasid_refs"] == "1":
            break
        time.sleep(0.05)
    check(pf and pf["pasid_refs"] == "1" and gs["a"]["driver"] == "down",
          "a frontend that dies has its references released")
    st = b.state()
    check(st is not None and st[0] & ST_PASID and st[0] & ST_PF_PASID,
          "the other guest keeps its PASID")
    # pvvfd dies and the guest never comes back: released after the grace
    d.kill()
    a.drop()
    b.drop()
    d.start(grace_ms=2000)
    pf, _, _, gs = d.dump()
    check(pf and pf["pasid_refs"] == "1", "restored: b's reference awaits its guest")
    for _ in range(400):
        pf, _, _, gs = d.dump()
        if pf and pf["pasid_refs"] == "0":
            break
        time.sleep(0.05)
    hw_pasid, hw_pri, _, gates = hardware(work)
    check(pf and pf["pasid_refs"] == "0" and pf["pri_users"] == "0" and not hw_pasid and
          not hw_pri and not any(gates),
          "a guest that does not return within the grace period is released: nothing held")
    d.proc.send_signal(signal.SIGTERM)
    check(d.proc.wait() == 0, "pvvfd stops cleanly")
    print("%s - kill loop: %d checks, %d failed" % ("not ok" if failures else "ok", checks, failures))
    return 1 if failures else 0


def reconnect_with(d, guests, it, crash):
    for g in guests:
        g.drop()
    if not d.start(crash):
        return False
    for g in guests:
        g.resynced = False
        g.connect()
    for g in guests:
        if g.pending:
            g.reply()
        for _ in range(100):
            if g.resynced:
                break
            g.events(0.05)
    return True


if __name__ == "__main__":
    sys.exit(main())
