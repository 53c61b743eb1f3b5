#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""pvvfctl against a running pvvfd: tables, JSON, a guest added and removed
at run time with a vhost-user frontend connected to it, watch (and its
bound on a slow client), and the control socket's hostile-input checks.

Usage: pvvfctl_test.py PVVFCTL CONTROL_SOCKET DIR
Expects pvvfd started by run.sh with
  --pf sim:id=pf0,vfs=8 --guest name=a,socket=DIR/a.sock,vf=pf0:0@0000:00:1c.0/00.0
  --control CONTROL_SOCKET
Prints "ok"/"not ok" lines; exit status 1 on any failure.
"""
import json
import os
import socket
import stat
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "pvvfd", "tests"))
import vu_frontend as vu  # noqa: E402

failures = 0


def check(cond, what, detail=""):
    global failures
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures += 1
        for line in str(detail).splitlines()[:20]:
            print("#   " + line)


def run(*args):
    p = subprocess.run([PVVFCTL, "-s", CTL] + list(args), capture_output=True,
                       text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def run_json(*args):
    rc, out, err = run("--json", *args)
    try:
        return rc, json.loads(out), err
    except json.JSONDecodeError as e:
        return rc, None, "%s\n%s\n%s" % (e, out, err)


def raw(line):
    """One request line, verbatim; the daemon's reply lines."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(CTL)
    s.sendall(line)
    out = b""
    while not (out.endswith(b"ok\n") or b"error" in out):
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    return out.decode(errors="replace")


PF_KEYS = {"name": str, "pf_id": int, "num_vfs": int, "pasid_refs": int,
           "pasid_enabled": int, "pri_pool": int, "pri_free": int, "pri_users": int,
           "gone": int, "sim": dict}
GUEST_KEYS = {"name": str, "socket": str, "link": str, "driver": str,
              "num_vfs": int, "epoch": int, "features": int, "acked": int}
VF_KEYS = {"pf": str, "index": int, "guest": str, "slot": int, "pasid": int,
           "pri_enabled": int, "pri_alloc": int, "pri_held": int,
           "pri_outstanding": int, "pri_status": int}


def schema_ok(obj, keys):
    return isinstance(obj, dict) and all(
        k in obj and isinstance(obj[k], t) for k, t in keys.items())


def pf0():
    _, j, _ = run_json("show", "pf", "pf0")
    return j or {}


def tables():
    rc, out, err = run("list")
    lines = out.splitlines()
    check(rc == 0 and lines and lines[0].split()[:3] == ["PF", "PF_ID", "VFS"] and
          any(line.split()[:3] == ["pf0", "0x1", "8"] for line in lines) and
          any(line.split()[:3] == ["a", "down", "down"] for line in lines),
          "list: PF, guest and VF tables", out + err)
    rc, j, err = run_json("list")
    check(rc == 0 and j is not None and set(j) == {"pfs", "guests", "vfs"},
          "list --json: one object with pfs, guests, vfs", err)
    if j:
        check(len(j["pfs"]) == 1 and schema_ok(j["pfs"][0], PF_KEYS) and
              j["pfs"][0]["pri_pool"] == 512 and j["pfs"][0]["sim"]["violations"] == 0,
              "list --json: the PF's fields have their types (pri_pool 512)", j["pfs"])
        check(len(j["guests"]) == 1 and schema_ok(j["guests"][0], GUEST_KEYS) and
              j["guests"][0]["name"] == "a", "list --json: guest a", j["guests"])
        check(len(j["vfs"]) == 1 and schema_ok(j["vfs"][0], VF_KEYS) and
              (j["vfs"][0]["pf"], j["vfs"][0]["index"], j["vfs"][0]["guest"]) ==
              ("pf0", 0, "a"), "list --json: VF pf0:0 belongs to a", j["vfs"])
    rc, j, _ = run_json("show", "vf", "pf0:0")
    check(rc == 0 and schema_ok(j, VF_KEYS) and j["slot"] == 0, "show vf pf0:0 --json", j)
    rc, out, err = run("show", "vf", "pf0:7")
    check(rc == 1 and "no vf pf0:7" in err, "show vf of an unassigned VF: exit 1", err)
    rc, out, err = run("list", "frobs")
    check(rc == 2, "a bad list argument: exit 2 (usage)", err)


class Watch:
    """`pvvfctl --json watch KINDS` in the background, synchronized on
    markers: a command the daemon journals (a refused inject naming a PF
    no daemon has), sent until its record comes back through the watch.
    Once sync() returns, the subscription is live and every line journaled
    before the marker has been read: no sleep guesses either."""

    def __init__(self, kinds):
        self.p = subprocess.Popen([PVVFCTL, "-s", CTL, "--json", "watch", kinds],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        self.lines = []
        self.cond = threading.Condition()
        self.marks = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.p.stdout:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()

    def sync(self):
        self.marks += 1
        mark = '"pf":"watch-mark-%d"' % self.marks
        for _ in range(30):
            raw(b"inject pf=watch-mark-%d vf=0\n" % self.marks)
            with self.cond:
                if self.cond.wait_for(lambda: any(mark in x for x in self.lines), 1.0):
                    return True
        return False

    def stop(self):
        """Sync, end the watch; its lines (markers removed) and stderr."""
        synced = self.sync()
        self.p.terminate()
        err = self.p.stderr.read()
        self.p.wait(timeout=10)
        self.reader.join(timeout=10)
        out = "".join(x for x in self.lines if '"pf":"watch-mark-' not in x)
        if not synced:
            err += "\nno marker came back through the watch within 30 s"
        return out, err


def guest_lifecycle():
    w = Watch("event+conn+daemon+ctl")
    check(w.sync(), "watch: subscribed (a marker command came back)")
    spec = ["name=b", "socket=%s/b.sock" % DIR, "vf=pf0:1@0000:00:02.0+id=1af4:1044"]
    rc, j, err = run_json("guest", "add", *spec)
    check(rc == 0 and j and j["ok"] is True and j["records"][0]["kind"] == "guest" and
          j["records"][0]["name"] == "b", "guest add b --json: ok, guest record", err)
    st = os.stat("%s/b.sock" % DIR)
    check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
          "b's vhost-user socket exists, mode 0600 (%o)" % stat.S_IMODE(st.st_mode))
    rc, _, err = run("guest", "add", "name=c", "socket=%s/c.sock" % DIR,
                     "vf=pf0:1@0000:00:03.0")
    check(rc == 1 and "is_given_to_guest_b" in err and not os.path.exists(DIR + "/c.sock"),
          "guest add with b's VF: refused, nothing created", err)
    rc, _, err = run("guest", "add", "name=b", "socket=%s/c.sock" % DIR, "vf=pf0:2@00:03.0")
    check(rc == 1 and "taken" in err, "guest add with a taken name: refused", err)
    rc, _, err = run("guest", "add", "name=c", "socket=%s/c.sock" % DIR, "vf=pf0:9@00:03.0")
    check(rc == 1 and "has_8_VFs" in err, "guest add with VF 9 of an 8-VF PF: refused", err)

    # A frontend on the new guest sees a PF reset, then holds a reference.
    fe, mem, rq, eq, bufs = vu.bring_up("%s/b.sock" % DIR)
    rc, out, err = run("send", "pf-reset", "pf=pf0")
    ev = vu.next_event(mem, eq, bufs)
    check(rc == 0 and ev and ev[0] == 2, "pf-reset: b's frontend gets PF_RESET_BEGIN")
    if ev:
        vu.request(mem, rq, vu.head(4) + struct.pack("<I4x", ev[3]), 8)
    ev = vu.next_event(mem, eq, bufs)
    check(ev and ev[0] == 3, "and PF_RESET_DONE once it acked")
    used, r = vu.request(mem, rq, vu.head(0x10, vf=0) + struct.pack("<B7x", 0), 8)
    check(used == 8 and r[:4] == b"\0\0\0\0", "frontend on b: PASID_ENABLE status 0")
    check(pf0().get("pasid_refs") == 1, "show pf --json: pasid_refs=1")

    rc, _, err = run("guest", "remove", "b")
    check(rc == 1 and "frontend_connected" in err, "guest remove b while connected: refused", err)
    check(pf0().get("pasid_refs") == 1, "refused removal changed nothing")
    rc, out, err = run("guest", "remove", "b", "--force")
    check(rc == 0, "guest remove b --force: ok", err)
    check(pf0().get("pasid_refs") == 0, "forced removal released b's PASID reference")
    check(not os.path.exists("%s/b.sock" % DIR), "b's socket is gone")
    try:
        fe.sock.settimeout(2)
        gone = fe.sock.recv(1) == b""
    except OSError:
        gone = True
    check(gone, "b's frontend was disconnected")
    rc, j, _ = run_json("list", "guests")
    check(rc == 0 and [g["name"] for g in j["guests"]] == ["a"], "list guests: a only", j)
    rc, _, err = run("guest", "remove", "b")
    check(rc == 1 and "no_guest_named_b" in err, "remove it again: no guest named b", err)
    # its entry and VF are free again
    rc, _, err = run("guest", "add", "name=c", "socket=%s/c.sock" % DIR, "vf=pf0:1@00:03.0")
    check(rc == 0, "a new guest gets b's VF", err)
    rc, _, err = run("guest", "remove", "c")
    check(rc == 0, "and goes (no frontend: no force needed)", err)

    out, err = w.stop()
    recs = []
    try:
        recs = [json.loads(line) for line in out.splitlines()]
        valid = all(isinstance(r.get("ts"), float) and isinstance(r.get("kind"), str)
                    for r in recs)
    except json.JSONDecodeError as e:
        valid, err = False, str(e) + out
    check(valid and recs, "watch --json: every line is an object with ts and kind", err)
    kinds = {r.get("kind") for r in recs}
    check(kinds <= {"event", "conn", "daemon", "ctl"}, "watch filtered by kind", kinds)
    seen = lambda f: any(all(r.get(k) == v for k, v in f.items()) for r in recs)  # noqa: E731
    check(seen({"kind": "daemon", "event": "guest-add", "guest": "b"}), "watch: guest-add of b")
    check(seen({"kind": "conn", "guest": "b", "event": "connect"}), "watch: b's frontend connects")
    check(seen({"kind": "event", "guest": "b", "type": "pf_reset_begin"}),
          "watch: the PF_RESET_BEGIN event for b")
    check(seen({"kind": "conn", "guest": "b", "event": "disconnect", "reason": "removed"}),
          "watch: b disconnected by the removal")
    check(seen({"kind": "ctl", "cmd": "guest-remove", "guest": "b", "result": "error"}) and
          seen({"kind": "daemon", "event": "guest-remove", "guest": "b", "forced": 1}),
          "watch: the refused and the forced removal")
    mem.close()


def slow_watcher():
    """A watcher that does not read loses lines, counted; nobody waits."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect(CTL)
    s.sendall(b"watch kinds=ctl\n")
    first = b""
    while not first.endswith(b"\n"):
        first += s.recv(1)
    check(first == b"ok\n", "raw watch: ok first")
    n = 2000
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(10)
    c.connect(CTL)
    t0 = time.monotonic()
    c.sendall(b"".join(b"complete pf=pf0 vf=0 n=0\n" for _ in range(n)))
    got = b""
    while got.count(b"\nok\n") + got.startswith(b"ok\n") < n and len(got) < n * 40:
        chunk = c.recv(65536)
        if not chunk:
            break
        got += chunk
    took = time.monotonic() - t0
    c.close()
    check(got.count(b"ok\n") == n, "%d commands answered while a watcher stalls (%.1f s)" % (n, took))
    rc, _, _ = run("list")
    check(rc == 0, "the daemon still answers")
    data = b""
    s.settimeout(1)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    lines = data.decode().splitlines()
    lost = [int(line.split("=")[1]) for line in lines if line.startswith("lost n=")]
    cmds = [line for line in lines if " ctl cmd=complete " in line]
    check(lost and len(cmds) + sum(lost) >= n and len(cmds) < n,
          "the slow watcher got %d lines and 'lost n=' for %d" % (len(cmds), sum(lost)),
          "\n".join(lines[:5]))
    s.close()



def unread_replies():
    """A client that queues commands and never reads their replies holds
    the daemon for one send timeout at most, then is disconnected: the
    commands it queued after that are never run."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect(CTL)
    n = 400                      # 2,000 bytes: within one request buffer
    s.sendall(b"dump\n" * n)
    rc, _, err = run("list")
    check(rc == 0, "another client is answered while one leaves its replies unread", err)
    data = b""
    closed = False
    s.settimeout(30)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
    except OSError:
        pass
    s.close()
    answered = data.count(b"\nok\n")
    check(closed and answered < n,
          "it is disconnected, its later commands not run (%d of %d answered)" % (answered, n))
    with open(os.path.join(DIR, "journal")) as f:
        check(any(" ctl event=dropped reason=reply-not-read" in x for x in f),
              "the drop is journaled")

def hostile():
    out = raw(b"dump \x1b[2J\n")
    check(out.startswith("error msg=non-printable"), "control characters refused", out)
    out = raw(b"guest-add name=x,socket=/tmp/x socket=%s/x.sock vf=pf0:3@00:04.0\n" %
              DIR.encode())
    check(out.startswith("error msg=no_commas") and not os.path.exists(DIR + "/x.sock"),
          "a comma smuggling a key into guest-add refused", out)
    out = raw(b"guest-add " + b"vf=pf0:3@00:04.0 " * 30 + b"\n")
    check(out.startswith("error msg=expected_key=value"), "too many arguments refused", out)
    out = raw(b"guest-remove guest=a force=maybe\n")
    check(out.startswith("error msg=bad_arguments"), "force= must be on/off", out)
    out = raw(b"x" * 5000 + b"\n")
    check("line_too_long" in out, "an overlong line refused", out)
    out = raw(b"watch kinds=decision+nonsense\n")
    check(out.startswith("error"), "watch with an unknown kind refused", out)
    rc, _, err = run("guest", "add", "name=z", "socket=a b")
    check(rc == 2, "pvvfctl refuses an argument with a space (usage)", err)


def fake_daemon(replies):
    """A control socket that answers every request with @replies (bytes)."""
    path = os.path.join(DIR, "fake.sock")
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    pid = os.fork()
    if pid == 0:
        try:
            c, _ = srv.accept()
            c.recv(4096)
            c.sendall(replies)
            c.close()
        finally:
            os._exit(0)
    srv.close()
    return path, pid


def hostile_daemon():
    """pvvfctl parses what pvvfd says strictly and never prints raw bytes."""
    cases = [
        (b"pf name=\x1b[2Jevil num_vfs=1\nok\n", "a control character in a reply"),
        (b"pf name=a BAD=1\nok\n", "a key that is not [a-z0-9_]"),
        (b"pf name=a stray\nok\n", "a word that is not key=value"),
        (b"pf name=" + b"x" * 5000 + b"\nok\n", "an overlong line"),
        (b"pf name=a\n", "no ok before the connection closes"),
        (b"error\n", "an error without msg="),
    ]
    for replies, what in cases:
        path, pid = fake_daemon(replies)
        p = subprocess.run([PVVFCTL, "-s", path, "list", "pfs"], capture_output=True,
                           timeout=30)
        os.waitpid(pid, 0)
        check(p.returncode == 1 and b"\x1b" not in p.stdout + p.stderr and
              p.stderr.startswith(b"pvvfctl: "),
              "pvvfctl refuses %s (exit %d)" % (what, p.returncode), p.stderr[:200])
    path, pid = fake_daemon(b"pf name=a pf_id=0x1 num_vfs=8\nok\n")
    p = subprocess.run([PVVFCTL, "-s", path, "--json", "list", "pfs"], capture_output=True,
                       text=True, timeout=30)
    os.waitpid(pid, 0)
    check(p.returncode == 0 and json.loads(p.stdout)["pfs"][0]["pf_id"] == 1,
          "and accepts a well-formed one", p.stderr)


def permissions():
    st = os.stat(CTL)
    check(stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid(),
          "control socket: mode 0600, the daemon's user")
    # Even with the mode opened up, another uid is turned away by SO_PEERCRED.
    os.chmod(CTL, 0o666)
    dir_mode = stat.S_IMODE(os.stat(DIR).st_mode)
    os.chmod(DIR, 0o711)
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(CTL)
            # the refusal comes at once, before any request
            os._exit(0 if s.recv(100).startswith(b"error msg=permission_denied") else 1)
        except Exception:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    os.chmod(CTL, 0o600)
    os.chmod(DIR, dir_mode)
    check(os.waitstatus_to_exitcode(status) == 0,
          "another uid is refused (peer credentials), status %d" % status)


def main():
    global PVVFCTL, CTL, DIR
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    PVVFCTL, CTL, DIR = sys.argv[1:]
    tables()
    guest_lifecycle()
    hostile()
    hostile_daemon()
    slow_watcher()
    unread_replies()
    if os.geteuid() == 0:
        permissions()
    else:
        print("ok - # SKIP peer credential check needs root to switch uid")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
