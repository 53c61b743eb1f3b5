#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Build a fake sysfs tree from a config-space image source.

Usage: mktree.py IMAGE ROOT

IMAGE is text: '#' comments, then directives, then config space as
"lspci -xxxx" prints it (OFFSET: 16 hex bytes; lines left out are zero):

  pf SSSS:BB:DD.F          the PF's address (required, first)
  driver NAME              ROOT/bus/pci/devices/PF/driver -> .../drivers/NAME
  reset                    the PF has a "reset" file (a reset method)
  size N                   its config file holds only the first N bytes
  vfs N FIRST STRIDE       N VFs, the first at FIRST, routing IDs STRIDE apart
  image pf | image vf      the hex lines that follow are the PF's, or every VF's

The tree is what pvvf's sysfs back-end reads on a host:
ROOT/bus/pci/devices/PF/{config,driver,reset,virtfnN} and
ROOT/bus/pci/devices/VF/{config,physfn}.
"""
import os
import sys


def rid_to_bdf(seg, rid):
    return "%04x:%02x:%02x.%x" % (seg, rid >> 8, rid >> 3 & 0x1f, rid & 7)


def bdf_to_rid(bdf):
    seg, bus, devfn = bdf.split(":")
    dev, fn = devfn.split(".")
    return int(seg, 16), int(bus, 16) << 8 | int(dev, 16) << 3 | int(fn, 16)


def parse(path):
    spec = {"driver": None, "reset": False, "size": 4096, "vfs": None,
            "pf": None, "image": {"pf": bytearray(4096), "vf": bytearray(4096)}}
    target = None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            where = "%s:%d" % (path, n)
            if words[0].endswith(":") and target is not None:
                off = int(words[0][:-1], 16)
                data = bytes(int(w, 16) for w in words[1:])
                if off % 16 or len(data) != 16 or off + 16 > 4096:
                    sys.exit("%s: expected OFFSET: and 16 bytes" % where)
                spec["image"][target][off:off + 16] = data
            elif words[0] == "pf" and len(words) == 2:
                spec["pf"] = words[1]
            elif words[0] == "driver" and len(words) == 2:
                spec["driver"] = words[1]
            elif words[0] == "reset" and len(words) == 1:
                spec["reset"] = True
            elif words[0] == "size" and len(words) == 2:
                spec["size"] = int(words[1], 0)
            elif words[0] == "vfs" and len(words) == 4:
                spec["vfs"] = (int(words[1]), words[2], int(words[3], 0))
            elif words[0] == "image" and len(words) == 2 and words[1] in ("pf", "vf"):
                target = words[1]
            else:
                sys.exit("%s: cannot parse '%s'" % (where, line.strip()))
    if not spec["pf"]:
        sys.exit("%s: no 'pf' line" % path)
    return spec


def build(spec, root):
    devices = os.path.join(root, "bus", "pci", "devices")
    pfdir = os.path.join(devices, spec["pf"])
    os.makedirs(pfdir)
    with open(os.path.join(pfdir, "config"), "wb") as f:
        f.write(spec["image"]["pf"][:spec["size"]])
    if spec["driver"]:
        drv = os.path.join(root, "bus", "pci", "drivers", spec["driver"])
        os.makedirs(drv, exist_ok=True)
        os.symlink(os.path.relpath(drv, pfdir), os.path.join(pfdir, "driver"))
    if spec["reset"]:
        open(os.path.join(pfdir, "reset"), "w").close()
    if not spec["vfs"]:
        return
    count, first, stride = spec["vfs"]
    seg, rid = bdf_to_rid(first)
    for i in range(count):
        vf = rid_to_bdf(seg, rid + i * stride)
        vfdir = os.path.join(devices, vf)
        os.makedirs(vfdir)
        with open(os.path.join(vfdir, "config"), "wb") as f:
            f.write(spec["image"]["vf"])
        os.symlink("../" + vf, os.path.join(pfdir, "virtfn%d" % i))
        os.symlink("../" + spec["pf"], os.path.join(vfdir, "physfn"))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: mktree.py IMAGE ROOT")
    build(parse(sys.argv[1]), sys.argv[2])
