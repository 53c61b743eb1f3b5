// SPDX-License-Identifier: BSD-3-Clause
/*
 * Real PFs through sysfs: config space of the PF and its VFs through
 * ROOT/bus/pci/devices/BDF/config, read and written with pread/pwrite
 * (little endian, word or dword sized and aligned, as the kernel's
 * pci_user_{read,write}_config_* expect).
 *
 * What config space cannot do, and what this back-end does instead:
 *
 *  - The per-VF page request gate is kept in the IOMMU (VT-d: PRE in the
 *    VF's context entry), not in config space.  vf_pri_gate records the
 *    VF's allocation; only the PF's PRI Allocation bounds page requests
 *    in hardware.
 *  - Outstanding page requests are not visible.  A VF whose gate closed
 *    counts as having one outstanding until the PF's PRI Status says
 *    Stopped, or until the core's drain deadline aborts it: the drain is
 *    bounded, never reported early.
 *  - vf_pri_abort stops waiting; answering the requests is the host
 *    IOMMU driver's job (it responds to page requests it cannot route).
 *  - PRI Response Failure and Unexpected PRG Index are per PF (VFs have
 *    no PRI capability): a rising edge is reported to every VF whose PRI
 *    is on, then cleared (RW1C) unless a host driver owns the PF.
 *
 * A PF a host driver owns (any driver but pci-pf-stub) is never written:
 * its PASID and PRI Control and PRI Allocation belong to that driver, so
 * the writes fail with -EPERM and the core keeps the VFs' state virtual
 * on top of what the driver enabled.  Someone else's writes are found by
 * poll, which re-reads the registers every poll_ns and raises notes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "pf_sysfs.h"

#define CFG_SIZE	4096
#define EXT_CFG		0x100
#define LOCK_TRIES	1000		/* 1 ms apart: a bounded wait */
#define NO_DRIVER_OWNS	"pci-pf-stub"	/* binds a PF to enable VFs, nothing else */

#ifndef PCI_EXT_CAP_SRIOV_SIZEOF
#define PCI_EXT_CAP_SRIOV_SIZEOF	0x40
#endif
#ifndef PCI_EXT_CAP_PASID_SIZEOF
#define PCI_EXT_CAP_PASID_SIZEOF	8
#endif

struct sysfs_vf {
	char bdf[PVVF_PF_SYSFS_BDF_LEN];
	int fd;				/* its config, read only */
	uint16_t ats;			/* ATS capability offset, 0: none */
	bool ats_on;			/* ATS Enable as last read */
	uint32_t gate;			/* virtual page request gate */
	bool draining;			/* gate closed, requests may be outstanding */
	uint16_t faults;		/* PCI_PRI_STATUS_RF|UPRGI, unread */
};

struct pvvf_pf_sysfs {
	char dir[PATH_MAX];		/* ROOT/bus/pci/devices/BDF */
	char bdf[PVVF_PF_SYSFS_BDF_LEN];
	int cfg_fd;
	int lock_fd;
	int lock_depth;
	uint64_t poll_ns;
	uint64_t next_poll;
	uint16_t sriov, ats, pri, pasid;	/* capability offsets, 0: none */
	uint16_t vendor, vf_device;
	uint16_t num_vfs;
	struct pvvf_pf_caps caps;
	struct sysfs_vf *vfs;
	/* registers as last seen: a difference is someone else's write */
	uint16_t seen_pasid;
	uint16_t seen_pri_ctrl;		/* Enable only: Reset reads as 0 */
	uint16_t seen_pri_status;
	bool seen_pf_ats;
	char driver[64];
	bool driver_owns;
	bool removed;
	pvvf_pf_notify_fn *notify;
	void *cookie;
	char msg[256];
	uint32_t msg_seq;		/* bumped with every new message */
};

static void say(struct pvvf_pf_sysfs *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct pvvf_pf_sysfs *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
	s->msg_seq++;
}

static void note(struct pvvf_pf_sysfs *s, enum pvvf_pf_note n, uint16_t vf)
{
	if (s->notify)
		s->notify(s->cookie, n, vf);
}

/* ---- config space through a file ---- */

static int io_errno(void)
{
	/* a device removed under an open fd reads ENODEV or ENXIO */
	return errno == ENODEV || errno == ENXIO || errno == ENOENT ? -ENODEV : -EIO;
}

static int cfg_pread(int fd, uint16_t off, int size, uint32_t *val)
{
	uint8_t b[4];
	ssize_t n;

	if ((size != 2 && size != 4) || off % size || off + size > CFG_SIZE)
		return -EINVAL;
	n = pread(fd, b, size, off);
	if (n < 0)
		return io_errno();
	if (n != size)
		return -EIO;
	*val = b[0] | b[1] << 8;
	if (size == 4)
		*val |= (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

static int cfg_pwrite(int fd, uint16_t off, int size, uint32_t val)
{
	uint8_t b[4] = { val, val >> 8, val >> 16, val >> 24 };
	ssize_t n = pwrite(fd, b, size, off);

	if (n < 0)
		return io_errno();
	return n == size ? 0 : -EIO;
}

static uint16_t img_r16(const uint8_t *c, uint16_t off)
{
	return (uint16_t)(c[off] | c[off + 1] << 8);
}

static uint32_t img_r32(const uint8_t *c, uint16_t off)
{
	return (uint32_t)img_r16(c, off) | (uint32_t)img_r16(c, off + 2) << 16;
}

/* Opens FUNCDIR/config; VFs are only read. */
static int cfg_open(const char *fdir, bool rw, char *err, size_t len)
{
	char path[PATH_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/config", fdir);
	fd = open(path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == EACCES || errno == EPERM)
		snprintf(err, len, "%s: permission denied: run as root or give CAP_SYS_ADMIN",
			 path);
	else if (errno == ENOENT)
		snprintf(err, len, "%s: no such device (removed, or a wrong BDF or root?)",
			 path);
	else if (errno == EMFILE)
		snprintf(err, len, "%s: too many open files (one per VF: raise RLIMIT_NOFILE)",
			 path);
	else
		snprintf(err, len, "%s: %s", path, strerror(errno));
	return -1;
}

/*
 * The whole 4 KiB: unprivileged readers get 64 bytes (256 with some
 * kernels), which would hide every extended capability.
 */
static int cfg_snapshot(int fd, const char *bdf, uint8_t *img, char *err,
			size_t len)
{
	size_t got = 0;

	while (got < CFG_SIZE) {
		ssize_t n = pread(fd, img + got, CFG_SIZE - got, got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, len, "%s: config space read failed: %s", bdf,
				 strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		got += n;
	}
	if (got < CFG_SIZE) {
		snprintf(err, len, "%s: config space reads as %zu bytes, not %d: run as root or give CAP_SYS_ADMIN (or it is not PCI Express)",
			 bdf, got, CFG_SIZE);
		return -1;
	}
	if (img_r16(img, PCI_VENDOR_ID) == 0xffff && img_r16(img, PCI_DEVICE_ID) == 0xffff &&
	    img_r32(img, PCI_CLASS_REVISION) == 0xffffffff) {
		snprintf(err, len, "%s: config space reads all ones: the device is gone or powered off",
			 bdf);
		return -1;
	}
	return 0;
}

/* ---- capability lists (PCIe 7.5.3, 7.6.3), hostile images included ---- */

/* True if the function has a PCI Express capability (legacy list). */
static bool find_pcie_cap(const uint8_t *img)
{
	uint8_t seen[256 / 4] = { 0 };
	uint8_t pos;

	if (!(img_r16(img, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return false;
	pos = img[PCI_CAPABILITY_LIST] & ~3;
	while (pos) {
		if (pos < PCI_STD_HEADER_SIZEOF || seen[pos / 4])
			return false;	/* into the header, or a loop */
		seen[pos / 4] = 1;
		if (img[pos + PCI_CAP_LIST_ID] == PCI_CAP_ID_EXP)
			return true;
		pos = img[pos + PCI_CAP_LIST_NEXT] & ~3;
	}
	return false;
}

struct ext_caps {
	uint16_t sriov, ats, pri, pasid;
};

static uint16_t ext_cap_size(uint16_t id)
{
	switch (id) {
	case PCI_EXT_CAP_ID_SRIOV:
		return PCI_EXT_CAP_SRIOV_SIZEOF;
	case PCI_EXT_CAP_ID_ATS:
		return PCI_EXT_CAP_ATS_SIZEOF;
	case PCI_EXT_CAP_ID_PRI:
		return PCI_EXT_CAP_PRI_SIZEOF;
	case PCI_EXT_CAP_ID_PASID:
		return PCI_EXT_CAP_PASID_SIZEOF;
	default:
		return 4;
	}
}

static uint16_t *ext_cap_slot(struct ext_caps *c, uint16_t id)
{
	switch (id) {
	case PCI_EXT_CAP_ID_SRIOV:
		return &c->sriov;
	case PCI_EXT_CAP_ID_ATS:
		return &c->ats;
	case PCI_EXT_CAP_ID_PRI:
		return &c->pri;
	case PCI_EXT_CAP_ID_PASID:
		return &c->pasid;
	default:
		return NULL;
	}
}

/* A header inside the registers of a capability pvvf reads: corrupt. */
static int ext_caps_overlap(const struct ext_caps *c, const uint8_t *seen,
			    const char *bdf, char *err, size_t len)
{
	const struct { uint16_t at, id; } used[] = {
		{ c->sriov, PCI_EXT_CAP_ID_SRIOV }, { c->ats, PCI_EXT_CAP_ID_ATS },
		{ c->pri, PCI_EXT_CAP_ID_PRI }, { c->pasid, PCI_EXT_CAP_ID_PASID },
	};

	for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
		uint16_t end = used[i].at + ext_cap_size(used[i].id);

		for (uint16_t o = used[i].at + 4; used[i].at && o < end; o += 4) {
			if (seen[o / 4]) {
				snprintf(err, len, "%s: extended capability at 0x%x lies inside the one at 0x%x",
					 bdf, o, used[i].at);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * Walk the extended list from 0x100: every pointer dword aligned and in
 * extended space, no header visited twice, each capability pvvf uses
 * inside config space and not overlapping another header.  The first of
 * each ID counts, as for Linux's pci_find_ext_capability().
 */
static int walk_ext_caps(const uint8_t *img, const char *bdf, struct ext_caps *c,
			 char *err, size_t len)
{
	uint8_t seen[CFG_SIZE / 4] = { 0 };
	uint16_t off = EXT_CFG;

	memset(c, 0, sizeof(*c));
	while (off) {
		uint32_t h = img_r32(img, off);
		uint16_t id = PCI_EXT_CAP_ID(h), *slot = ext_cap_slot(c, id);
		uint16_t next = PCI_EXT_CAP_NEXT(h);

		if (h == 0xffffffff) {
			snprintf(err, len, "%s: extended capability at 0x%x reads all ones",
				 bdf, off);
			return -1;
		}
		seen[off / 4] = 1;
		if (off + ext_cap_size(id) > CFG_SIZE) {
			snprintf(err, len, "%s: extended capability 0x%04x at 0x%x runs past the end of config space",
				 bdf, id, off);
			return -1;
		}
		if (slot && !*slot)
			*slot = off;
		if (next && next < EXT_CFG) {
			snprintf(err, len, "%s: extended capability chain at 0x%x points to 0x%x, below 0x100",
				 bdf, off, next);
			return -1;
		}
		if (next && seen[next / 4]) {
			snprintf(err, len, "%s: extended capability chain loops (0x%x points back to 0x%x)",
				 bdf, off, next);
			return -1;
		}
		off = next;
	}
	return ext_caps_overlap(c, seen, bdf, err, len);
}

/* ---- names and links ---- */

static bool bdf_valid(const char *s)
{
	/* SSSS:BB:DD.F, lower-case hex as sysfs names devices */
	static const char shape[] = "xxxx:xx:xx.x";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++) {
		bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');

		if (shape[i] == 'x' ? !hex : s[i] != shape[i])
			return false;
	}
	return strtoul(s + 8, NULL, 16) <= 0x1f && s[11] <= '7';
}

/* The last path component of the target of DIR/NAME; "" if none. */
static int link_name(const char *dir, const char *name, char *out, size_t len)
{
	char path[PATH_MAX + 64], target[PATH_MAX];
	ssize_t n;
	const char *base;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		out[0] = '\0';
		return -errno;
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len) {
		out[0] = '\0';
		return -ENAMETOOLONG;
	}
	strcpy(out, base);
	return 0;
}

/* Re-reads the driver link; true if who owns the PF changed. */
static bool driver_refresh(struct pvvf_pf_sysfs *s)
{
	char drv[sizeof(s->driver)];
	bool owns;

	link_name(s->dir, "driver", drv, sizeof(drv));
	owns = drv[0] && strcmp(drv, NO_DRIVER_OWNS);
	if (!strcmp(drv, s->driver) && owns == s->driver_owns)
		return false;
	say(s, "%s: host driver %s%s", s->bdf, drv[0] ? drv : "none",
	    owns ? " owns the PF: pvvf never writes its PASID/PRI" : "");
	strcpy(s->driver, drv);
	s->driver_owns = owns;
	return true;
}

/* ---- the lock ---- */

int pvvf_pf_sysfs_lock(struct pvvf_pf_sysfs *s)
{
	struct timespec ms = { .tv_nsec = 1000000 };

	if (s->lock_depth++)
		return 0;
	for (int i = 0; i < LOCK_TRIES; i++) {
		if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		nanosleep(&ms, NULL);
	}
	s->lock_depth--;
	say(s, "%s: cannot take the PF lock (held by another process for over %d ms?)",
	    s->bdf, LOCK_TRIES);
	return -EBUSY;
}

void pvvf_pf_sysfs_unlock(struct pvvf_pf_sysfs *s)
{
	if (s->lock_depth && --s->lock_depth == 0)
		flock(s->lock_fd, LOCK_UN);
}

static int lock_open(struct pvvf_pf_sysfs *s, const char *run_dir, char *err,
		     size_t len)
{
	char path[PATH_MAX];

	if (mkdir(run_dir, 0755) && errno != EEXIST) {
		snprintf(err, len, "%s: cannot create %s: %s", s->bdf, run_dir,
			 strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/pf-%s.lock", run_dir, s->bdf) >=
	    sizeof(path)) {
		snprintf(err, len, "%s: run directory path too long", s->bdf);
		return -1;
	}
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		snprintf(err, len, "%s: lock file %s: %s", s->bdf, path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- config access for the ops ---- */

int pvvf_pf_sysfs_cfg_read(struct pvvf_pf_sysfs *s, int vf, uint16_t off,
			   int size, uint32_t *val)
{
	if (vf < 0)
		return cfg_pread(s->cfg_fd, off, size, val);
	if (vf >= s->num_vfs)
		return -ENODEV;
	return cfg_pread(s->vfs[vf].fd, off, size, val);
}

int pvvf_pf_sysfs_cfg_update(struct pvvf_pf_sysfs *s, int vf, uint16_t off,
			     int size, uint32_t mask, uint32_t val, uint32_t *old)
{
	uint32_t cur;
	int err;

	/* VFs are only ever read: their config belongs to their guest */
	if (vf >= 0)
		return -EPERM;
	err = pvvf_pf_sysfs_lock(s);
	if (err)
		return err;
	err = cfg_pread(s->cfg_fd, off, size, &cur);
	if (!err)
		err = cfg_pwrite(s->cfg_fd, off, size, (cur & ~mask) | (val & mask));
	pvvf_pf_sysfs_unlock(s);
	if (!err && old)
		*old = cur;
	return err;
}

static int pf_r16(struct pvvf_pf_sysfs *s, uint16_t off, uint16_t *v)
{
	uint32_t x;
	int err = cfg_pread(s->cfg_fd, off, 2, &x);

	*v = err ? 0 : (uint16_t)x;
	return err;
}

/*
 * Writes the bits in @mask of a PF register under the lock, keeping the
 * others (RsvdP), and only if its bits in @check still hold what pvvf
 * last saw (otherwise someone wrote behind pvvf's back: -EBUSY, and the
 * next poll reports the change to the core).
 */
static int pf_write16(struct pvvf_pf_sysfs *s, uint16_t off, uint16_t check,
		      uint16_t seen, uint16_t mask, uint16_t val)
{
	uint16_t cur;
	int err;

	driver_refresh(s);
	if (s->driver_owns)
		return -EPERM;
	err = pvvf_pf_sysfs_lock(s);
	if (err)
		return err;
	err = pf_r16(s, off, &cur);
	if (!err && (cur & check) != (seen & check)) {
		say(s, "%s: register 0x%x is 0x%04x, not 0x%04x: changed behind pvvf's back",
		    s->bdf, off, cur, seen);
		s->next_poll = 0;
		err = -EBUSY;
	}
	if (!err)
		err = cfg_pwrite(s->cfg_fd, off, 2, (cur & ~mask) | (val & mask));
	if (err && err != -EBUSY)
		say(s, "%s: config write at 0x%x failed (%s): kernel lockdown, or the device is gone?",
		    s->bdf, off, strerror(-err));
	pvvf_pf_sysfs_unlock(s);
	return err;
}

/* ---- ops ---- */

static int sysfs_caps(void *ctx, struct pvvf_pf_caps *caps)
{
	struct pvvf_pf_sysfs *s = ctx;

	if (s->removed)
		return -ENODEV;
	*caps = s->caps;
	return 0;
}

static void sysfs_bind(void *ctx, pvvf_pf_notify_fn *fn, void *cookie)
{
	struct pvvf_pf_sysfs *s = ctx;

	s->notify = fn;
	s->cookie = cookie;
}

static int sysfs_pasid_ctrl_read(void *ctx, uint16_t *ctrl)
{
	struct pvvf_pf_sysfs *s = ctx;

	if (s->removed || !s->pasid)
		return -ENODEV;
	return pf_r16(s, s->pasid + PCI_PASID_CTRL, ctrl);
}

#define PASID_CTRL_BITS	(PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC | PCI_PASID_CTRL_PRIV)

/* PASID Control bits 15:3 are RsvdP (7.8.9.3): kept as read. */
static int sysfs_pasid_ctrl_write(void *ctx, uint16_t ctrl)
{
	struct pvvf_pf_sysfs *s = ctx;
	uint16_t supported = PCI_PASID_CTRL_ENABLE | s->caps.pasid_features;
	int err;

	if (s->removed || !s->pasid)
		return -ENODEV;
	if (ctrl & ~supported)
		return -EINVAL;
	err = pf_write16(s, s->pasid + PCI_PASID_CTRL, PASID_CTRL_BITS,
			 s->seen_pasid, PASID_CTRL_BITS, ctrl);
	if (!err)
		err = pf_r16(s, s->pasid + PCI_PASID_CTRL, &s->seen_pasid);
	if (!err && (s->seen_pasid & PASID_CTRL_BITS) != ctrl) {
		say(s, "%s: PASID Control reads 0x%04x after writing 0x%04x",
		    s->bdf, s->seen_pasid, ctrl);
		err = -EIO;
	}
	return err;
}

/* ATS Enable of a function, read from the hardware now. */
static int ats_read(struct pvvf_pf_sysfs *s, int vf, uint16_t at, bool *on)
{
	uint32_t ctl;
	int err = pvvf_pf_sysfs_cfg_read(s, vf, at + PCI_ATS_CTRL, 2, &ctl);

	*on = !err && (ctl & PCI_ATS_CTRL_ENABLE);
	return err;
}

/* A function whose ATS cannot be read counts as on: PASID then waits. */
static bool sysfs_ats_any(void *ctx)
{
	struct pvvf_pf_sysfs *s = ctx;
	bool any = false, on;

	if (s->removed)
		return false;
	if (s->ats && (ats_read(s, -1, s->ats, &on) || on))
		any = true;
	for (uint16_t i = 0; i < s->num_vfs && !any; i++)
		if (s->vfs[i].ats && (ats_read(s, i, s->vfs[i].ats, &on) || on))
			any = true;
	return any;
}

/*
 * The guest wrote its VF's ATS Control (through the VMM); the register
 * must agree.  The VF's STU field is RsvdP (10.5.1.3), so only Enable is
 * compared; the core checked the STU against the PF's.
 */
static int sysfs_vf_ats_sync(void *ctx, uint16_t vf, bool enable, uint8_t stu)
{
	struct pvvf_pf_sysfs *s = ctx;
	struct sysfs_vf *v;
	bool on;

	(void)stu;
	if (s->removed || vf >= s->num_vfs || !s->vfs[vf].ats)
		return -ENODEV;
	v = &s->vfs[vf];
	if (ats_read(s, vf, v->ats, &on))
		return -EIO;
	v->ats_on = on;
	if (enable && !on) {
		say(s, "%s: VF %u: its guest reported ATS on, its ATS Control says off",
		    s->bdf, vf);
		return -EINVAL;
	}
	return 0;
}

#define PRI_CTRL_BITS	(PCI_PRI_CTRL_ENABLE | PCI_PRI_CTRL_RESET)

/* PRI Control bits 15:2 are RsvdP (10.5.2.2); Reset reads as 0. */
static int sysfs_pri_ctrl_write(void *ctx, uint16_t ctrl)
{
	struct pvvf_pf_sysfs *s = ctx;
	int err;

	if (s->removed || !s->pri)
		return -ENODEV;
	if (ctrl & ~PRI_CTRL_BITS)
		return -EINVAL;
	err = pf_write16(s, s->pri + PCI_PRI_CTRL, PCI_PRI_CTRL_ENABLE,
			 s->seen_pri_ctrl, PRI_CTRL_BITS, ctrl);
	if (!err)
		s->seen_pri_ctrl = ctrl & PCI_PRI_CTRL_ENABLE;
	if (!err && (ctrl & PCI_PRI_CTRL_RESET))
		s->seen_pri_status &= ~(PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI);
	return err;
}

static int sysfs_pri_read(void *ctx, uint16_t *ctrl, uint16_t *status)
{
	struct pvvf_pf_sysfs *s = ctx;
	int err;

	if (s->removed || !s->pri)
		return -ENODEV;
	err = pf_r16(s, s->pri + PCI_PRI_CTRL, ctrl);
	if (!err)
		err = pf_r16(s, s->pri + PCI_PRI_STATUS, status);
	*ctrl &= PCI_PRI_CTRL_ENABLE;
	return err;
}

static int sysfs_pri_alloc_write(void *ctx, uint32_t alloc)
{
	struct pvvf_pf_sysfs *s = ctx;
	int err;

	if (s->removed || !s->pri)
		return -ENODEV;
	driver_refresh(s);
	if (s->driver_owns)
		return -EPERM;
	if (alloc > s->caps.pri_capacity)
		return -EINVAL;
	err = pvvf_pf_sysfs_lock(s);
	if (!err) {
		err = cfg_pwrite(s->cfg_fd, s->pri + PCI_PRI_ALLOC_REQ, 4, alloc);
		pvvf_pf_sysfs_unlock(s);
	}
	return err;
}

static bool pf_pri_stopped(struct pvvf_pf_sysfs *s)
{
	uint16_t st;

	return !pf_r16(s, s->pri + PCI_PRI_STATUS, &st) && (st & PCI_PRI_STATUS_STOPPED);
}

/* Virtual: the IOMMU holds the real gate (see the top of this file). */
static int sysfs_vf_pri_gate(void *ctx, uint16_t vf, uint32_t alloc)
{
	struct pvvf_pf_sysfs *s = ctx;
	struct sysfs_vf *v;

	if (s->removed || vf >= s->num_vfs || !s->pri)
		return -ENODEV;
	v = &s->vfs[vf];
	if (alloc == 0 && v->gate && !pf_pri_stopped(s))
		v->draining = true;
	if (alloc)
		v->draining = false;
	v->gate = alloc;
	return 0;
}

/* Not visible: one while it cannot be shown that none is left. */
static uint32_t sysfs_vf_pri_outstanding(void *ctx, uint16_t vf)
{
	struct pvvf_pf_sysfs *s = ctx;

	if (s->removed || vf >= s->num_vfs || !s->vfs[vf].draining)
		return 0;
	if (pf_pri_stopped(s)) {
		s->vfs[vf].draining = false;
		return 0;
	}
	return 1;
}

/* The host IOMMU driver answers them; the back-end stops waiting. */
static int sysfs_vf_pri_abort(void *ctx, uint16_t vf)
{
	struct pvvf_pf_sysfs *s = ctx;

	if (s->removed || vf >= s->num_vfs)
		return -ENODEV;
	s->vfs[vf].draining = false;
	return 0;
}

static uint16_t sysfs_vf_pri_faults(void *ctx, uint16_t vf)
{
	struct pvvf_pf_sysfs *s = ctx;
	uint16_t f;

	if (s->removed || vf >= s->num_vfs)
		return 0;
	f = s->vfs[vf].faults;
	s->vfs[vf].faults = 0;
	return f;
}

/* Remembers the registers as they are now: nobody else's change. */
static void snapshot_seen(struct pvvf_pf_sysfs *s)
{
	uint16_t v;

	if (s->pasid && !pf_r16(s, s->pasid + PCI_PASID_CTRL, &v))
		s->seen_pasid = v;
	if (s->pri && !pf_r16(s, s->pri + PCI_PRI_CTRL, &v))
		s->seen_pri_ctrl = v & PCI_PRI_CTRL_ENABLE;
	if (s->pri && !pf_r16(s, s->pri + PCI_PRI_STATUS, &v))
		s->seen_pri_status = v;
	if (s->ats)
		ats_read(s, -1, s->ats, &s->seen_pf_ats);
	for (uint16_t i = 0; i < s->num_vfs; i++)
		if (s->vfs[i].ats)
			ats_read(s, i, s->vfs[i].ats, &s->vfs[i].ats_on);
}

/* Function Level Reset through the kernel (PCI core's reset file). */
static int sysfs_reset(void *ctx)
{
	struct pvvf_pf_sysfs *s = ctx;
	char path[PATH_MAX + 8];
	int fd, err = 0;

	if (s->removed)
		return -ENODEV;
	snprintf(path, sizeof(path), "%s/reset", s->dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno == ENOENT ? -EOPNOTSUPP : -errno;
		say(s, "%s: reset: %s", s->bdf,
		    err == -EOPNOTSUPP ? "the PF has no reset method" : strerror(errno));
		return err;
	}
	if (write(fd, "1\n", 2) != 2) {
		err = io_errno();
		say(s, "%s: reset failed: %s", s->bdf, strerror(errno));
	}
	close(fd);
	for (uint16_t i = 0; i < s->num_vfs; i++) {
		s->vfs[i].gate = 0;
		s->vfs[i].draining = false;
		s->vfs[i].faults = 0;
	}
	snapshot_seen(s);
	return err;
}

static void gone(struct pvvf_pf_sysfs *s, const char *why)
{
	say(s, "%s: removed: %s", s->bdf, why);
	s->removed = true;
	note(s, PVVF_PF_NOTE_REMOVED, 0);
}

/* The PF and the VF set pvvf registered are still there. */
static bool poll_present(struct pvvf_pf_sysfs *s)
{
	char path[PATH_MAX + 16];
	uint32_t id, ctl, num;

	snprintf(path, sizeof(path), "%s/config", s->dir);
	if (access(path, F_OK)) {
		gone(s, "its sysfs directory vanished");
		return false;
	}
	if (cfg_pread(s->cfg_fd, PCI_VENDOR_ID, 4, &id) || id == 0xffffffff) {
		gone(s, "its config space reads all ones or fails");
		return false;
	}
	if (cfg_pread(s->cfg_fd, s->sriov + PCI_SRIOV_CTRL, 2, &ctl) ||
	    cfg_pread(s->cfg_fd, s->sriov + PCI_SRIOV_NUM_VF, 2, &num) ||
	    !(ctl & PCI_SRIOV_CTRL_VFE) || num != s->num_vfs) {
		gone(s, "its VFs were disabled or their number changed");
		return false;
	}
	return true;
}

static void poll_pri(struct pvvf_pf_sysfs *s)
{
	uint16_t ctrl, st, rise;
	bool pvvf_pri = false;

	if (pf_r16(s, s->pri + PCI_PRI_CTRL, &ctrl) || pf_r16(s, s->pri + PCI_PRI_STATUS, &st))
		return;
	ctrl &= PCI_PRI_CTRL_ENABLE;
	rise = st & ~s->seen_pri_status & (PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI);
	s->seen_pri_status = st;
	for (uint16_t i = 0; i < s->num_vfs; i++)
		pvvf_pri |= s->vfs[i].gate || s->vfs[i].draining;
	if (rise && pvvf_pri) {
		if (!s->driver_owns)
			cfg_pwrite(s->cfg_fd, s->pri + PCI_PRI_STATUS, 2, rise);	/* RW1C */
		for (uint16_t i = 0; i < s->num_vfs; i++) {
			if (!s->vfs[i].gate)
				continue;
			s->vfs[i].faults |= rise;
			note(s, PVVF_PF_NOTE_PRI_FAULT, i);
		}
	}
	if (ctrl != s->seen_pri_ctrl) {
		s->seen_pri_ctrl = ctrl;
		note(s, PVVF_PF_NOTE_PRI, 0);
	}
	if (!(st & PCI_PRI_STATUS_STOPPED))
		return;
	for (uint16_t i = 0; i < s->num_vfs; i++) {
		if (!s->vfs[i].draining)
			continue;
		s->vfs[i].draining = false;
		note(s, PVVF_PF_NOTE_PRQ_DONE, i);
	}
}

static bool poll_ats_changed(struct pvvf_pf_sysfs *s)
{
	bool changed = false, on;

	if (s->ats && !ats_read(s, -1, s->ats, &on) && on != s->seen_pf_ats) {
		s->seen_pf_ats = on;
		changed = true;
	}
	for (uint16_t i = 0; i < s->num_vfs; i++) {
		struct sysfs_vf *v = &s->vfs[i];

		if (v->ats && !ats_read(s, i, v->ats, &on) && on != v->ats_on) {
			v->ats_on = on;
			changed = true;
		}
	}
	return changed;
}

/*
 * Every poll_ns: is the PF still there, did anyone else change its
 * PASID, PRI or ATS registers, did its PRI stop or fault.  Notes go to
 * the core as found; the core may call ops from them.
 */
static uint64_t sysfs_poll(void *ctx, uint64_t now)
{
	struct pvvf_pf_sysfs *s = ctx;
	uint16_t v;

	if (s->removed)
		return UINT64_MAX;
	if (now < s->next_poll)
		return s->next_poll;
	s->next_poll = now + s->poll_ns;
	if (!poll_present(s))
		return UINT64_MAX;
	driver_refresh(s);
	if (s->pasid && !pf_r16(s, s->pasid + PCI_PASID_CTRL, &v) && v != s->seen_pasid) {
		s->seen_pasid = v;
		note(s, PVVF_PF_NOTE_PASID, 0);
	}
	if (s->pri && !s->removed)
		poll_pri(s);
	if (!s->removed && poll_ats_changed(s))
		note(s, PVVF_PF_NOTE_ATS, 0);
	return s->removed ? UINT64_MAX : s->next_poll;
}

const struct pvvf_pf_ops pvvf_pf_sysfs_ops = {
	.caps = sysfs_caps,
	.bind = sysfs_bind,
	.pasid_ctrl_read = sysfs_pasid_ctrl_read,
	.pasid_ctrl_write = sysfs_pasid_ctrl_write,
	.ats_any = sysfs_ats_any,
	.vf_ats_sync = sysfs_vf_ats_sync,
	.pri_ctrl_write = sysfs_pri_ctrl_write,
	.pri_read = sysfs_pri_read,
	.pri_alloc_write = sysfs_pri_alloc_write,
	.vf_pri_gate = sysfs_vf_pri_gate,
	.vf_pri_outstanding = sysfs_vf_pri_outstanding,
	.vf_pri_abort = sysfs_vf_pri_abort,
	.vf_pri_faults = sysfs_vf_pri_faults,
	.reset = sysfs_reset,
	.poll = sysfs_poll,
};

/* ---- opening ---- */

/* Capabilities the core needs, from the PF's image. */
static int read_caps(struct pvvf_pf_sysfs *s, const uint8_t *img, char *err,
		     size_t len)
{
	struct pvvf_pf_caps *c = &s->caps;

	memset(c, 0, sizeof(*c));
	c->num_vfs = s->num_vfs;
	if (s->pasid) {
		uint16_t cap = img_r16(img, s->pasid + PCI_PASID_CAP);

		c->pasid = true;
		c->pasid_max_width = (cap & PCI_PASID_CAP_WIDTH) >> 8;
		c->pasid_features = cap & (PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV);
		if (c->pasid_max_width > 20) {
			snprintf(err, len, "%s: PASID Max Width %u is above 20 (PCIe 7.8.9.2)",
				 s->bdf, c->pasid_max_width);
			return -1;
		}
	}
	if (s->pri) {
		c->pri = true;
		c->pri_capacity = img_r32(img, s->pri + PCI_PRI_MAX_REQ);
		c->pri_pasid_required = img_r16(img, s->pri + PCI_PRI_STATUS) &
					PCI_PRI_STATUS_PASID;
		if (c->pri_capacity == 0) {
			snprintf(err, len, "%s: PRI Outstanding Page Request Capacity is 0",
				 s->bdf);
			return -1;
		}
	}
	if (s->ats)
		c->ats_stu = PCI_ATS_CTRL_STU(img_r16(img, s->ats + PCI_ATS_CTRL)) +
			     PCI_ATS_MIN_STU;
	c->vf_ats = s->num_vfs > 0;
	for (uint16_t i = 0; i < s->num_vfs; i++)
		c->vf_ats &= s->vfs[i].ats != 0;
	return 0;
}

/* SR-IOV: VFs enabled, and their routing IDs as the virtfnN links say. */
static int read_sriov(struct pvvf_pf_sysfs *s, const uint8_t *img, char *err,
		      size_t len)
{
	uint16_t ctl = img_r16(img, s->sriov + PCI_SRIOV_CTRL);
	uint16_t num = img_r16(img, s->sriov + PCI_SRIOV_NUM_VF);
	uint16_t total = img_r16(img, s->sriov + PCI_SRIOV_TOTAL_VF);

	s->vendor = img_r16(img, PCI_VENDOR_ID);
	s->vf_device = img_r16(img, s->sriov + PCI_SRIOV_VF_DID);
	if (!(ctl & PCI_SRIOV_CTRL_VFE) || num == 0) {
		snprintf(err, len, "%s: SR-IOV VFs are not enabled (write a count to its sriov_numvfs)",
			 s->bdf);
		return -1;
	}
	if (num > total) {
		snprintf(err, len, "%s: SR-IOV NumVFs %u is above TotalVFs %u", s->bdf,
			 num, total);
		return -1;
	}
	s->num_vfs = num;
	return 0;
}

static int open_vf(struct pvvf_pf_sysfs *s, const uint8_t *pf_img, uint16_t i,
		   uint8_t *img, char *err, size_t len)
{
	uint32_t rid = (uint32_t)strtoul(s->bdf + 5, NULL, 16) << 8 |
		       (uint32_t)strtoul(s->bdf + 8, NULL, 16) << 3 | (uint32_t)(s->bdf[11] - '0');
	char name[32], want[PVVF_PF_SYSFS_BDF_LEN], fdir[PATH_MAX + 32];
	struct ext_caps c = { 0 };
	int fd, ret;

	rid += img_r16(pf_img, s->sriov + PCI_SRIOV_VF_OFFSET) +
	       (uint32_t)i * img_r16(pf_img, s->sriov + PCI_SRIOV_VF_STRIDE);
	snprintf(name, sizeof(name), "virtfn%u", i);
	if (rid > 0xffff) {
		snprintf(err, len, "%s: VF %u's routing ID is past bus 255 (bad First VF Offset or Stride)",
			 s->bdf, i);
		return -1;
	}
	snprintf(want, sizeof(want), "%.4s:%02x:%02x.%x", s->bdf, rid >> 8,
		 rid >> 3 & 0x1f, rid & 7);
	if (link_name(s->dir, name, s->vfs[i].bdf, sizeof(s->vfs[i].bdf))) {
		snprintf(err, len, "%s: no %s link for VF %u of %u (VFs being created or removed?)",
			 s->bdf, name, i, s->num_vfs);
		return -1;
	}
	if (strcmp(s->vfs[i].bdf, want)) {
		snprintf(err, len, "%s: %s is %s, but SR-IOV Offset/Stride place VF %u at %s",
			 s->bdf, name, s->vfs[i].bdf, i, want);
		return -1;
	}
	snprintf(fdir, sizeof(fdir), "%s/%s", s->dir, name);
	fd = cfg_open(fdir, false, err, len);
	if (fd < 0)
		return -1;
	s->vfs[i].fd = fd;
	ret = cfg_snapshot(fd, s->vfs[i].bdf, img, err, len);
	if (!ret)
		ret = walk_ext_caps(img, s->vfs[i].bdf, &c, err, len);
	s->vfs[i].ats = c.ats;
	return ret;
}

static int open_vfs(struct pvvf_pf_sysfs *s, const uint8_t *pf_img, char *err,
		    size_t len)
{
	uint8_t *img = malloc(CFG_SIZE);
	int ret = 0;

	s->vfs = calloc(s->num_vfs, sizeof(*s->vfs));
	if (!s->vfs || !img) {
		free(img);
		snprintf(err, len, "%s: out of memory", s->bdf);
		return -1;
	}
	for (uint16_t i = 0; i < s->num_vfs; i++)
		s->vfs[i].fd = -1;
	for (uint16_t i = 0; !ret && i < s->num_vfs; i++)
		ret = open_vf(s, pf_img, i, img, err, len);
	free(img);
	return ret;
}

static int open_pf(struct pvvf_pf_sysfs *s, char *err, size_t len)
{
	uint8_t *img = malloc(CFG_SIZE);
	struct ext_caps c;
	int ret = -1;

	if (!img) {
		snprintf(err, len, "%s: out of memory", s->bdf);
		return -1;
	}
	s->cfg_fd = cfg_open(s->dir, true, err, len);
	if (s->cfg_fd < 0 || cfg_snapshot(s->cfg_fd, s->bdf, img, err, len))
		goto out;
	if (!find_pcie_cap(img)) {
		snprintf(err, len, "%s: not a PCI Express function (no PCIe capability in a sane list)",
			 s->bdf);
		goto out;
	}
	if (walk_ext_caps(img, s->bdf, &c, err, len))
		goto out;
	s->sriov = c.sriov;
	s->ats = c.ats;
	s->pri = c.pri;
	s->pasid = c.pasid;
	if (!s->sriov) {
		snprintf(err, len, "%s: not an SR-IOV PF (no SR-IOV capability)", s->bdf);
		goto out;
	}
	if (read_sriov(s, img, err, len))
		goto out;
	if (open_vfs(s, img, err, len))
		goto out;
	ret = read_caps(s, img, err, len);
out:
	free(img);
	return ret;
}

struct pvvf_pf_sysfs *pvvf_pf_sysfs_open(const struct pvvf_pf_sysfs_params *p,
					 char *err, size_t len)
{
	const char *root = p->root ? p->root : PVVF_PF_SYSFS_ROOT;
	struct pvvf_pf_sysfs *s;

	err[0] = '\0';
	if (!p->bdf || !bdf_valid(p->bdf)) {
		snprintf(err, len, "'%s' is not a PCI address SSSS:BB:DD.F (lower-case hex)",
			 p->bdf ? p->bdf : "");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	s->cfg_fd = s->lock_fd = -1;
	strcpy(s->bdf, p->bdf);
	s->poll_ns = p->poll_ns ? p->poll_ns : PVVF_PF_SYSFS_POLL_NS;
	if ((size_t)snprintf(s->dir, sizeof(s->dir), "%s/bus/pci/devices/%s", root,
			     p->bdf) >= sizeof(s->dir)) {
		snprintf(err, len, "%s: sysfs root path too long", p->bdf);
		goto fail;
	}
	if (open_pf(s, err, len) ||
	    lock_open(s, p->run_dir ? p->run_dir : PVVF_PF_SYSFS_RUN_DIR, err, len))
		goto fail;
	driver_refresh(s);
	snapshot_seen(s);
	return s;
fail:
	pvvf_pf_sysfs_close(s);
	return NULL;
}

void pvvf_pf_sysfs_close(struct pvvf_pf_sysfs *s)
{
	if (!s)
		return;
	if (s->cfg_fd >= 0)
		close(s->cfg_fd);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	for (uint16_t i = 0; s->vfs && i < s->num_vfs; i++)
		if (s->vfs[i].fd >= 0)
			close(s->vfs[i].fd);
	free(s->vfs);
	free(s);
}

/* ---- queries and host actions ---- */

uint16_t pvvf_pf_sysfs_cap(const struct pvvf_pf_sysfs *s, uint16_t id)
{
	switch (id) {
	case PCI_EXT_CAP_ID_SRIOV:
		return s->sriov;
	case PCI_EXT_CAP_ID_ATS:
		return s->ats;
	case PCI_EXT_CAP_ID_PRI:
		return s->pri;
	case PCI_EXT_CAP_ID_PASID:
		return s->pasid;
	default:
		return 0;
	}
}

void pvvf_pf_sysfs_vf_ids(const struct pvvf_pf_sysfs *s, uint16_t *vendor,
			  uint16_t *device)
{
	*vendor = s->vendor;
	*device = s->vf_device;
}

const char *pvvf_pf_sysfs_vf_bdf(const struct pvvf_pf_sysfs *s, uint16_t vf)
{
	return vf < s->num_vfs ? s->vfs[vf].bdf : "";
}

int pvvf_pf_sysfs_get_state(struct pvvf_pf_sysfs *s, struct pvvf_pf_sysfs_state *st)
{
	uint32_t v = 0;
	bool bad = false;

	memset(st, 0, sizeof(*st));
	snprintf(st->driver, sizeof(st->driver), "%s", s->driver);
	st->driver_owns = s->driver_owns;
	st->removed = s->removed;
	if (s->removed)
		return -ENODEV;
	if (s->pasid)
		bad |= pf_r16(s, s->pasid + PCI_PASID_CTRL, &st->pasid_ctrl) != 0;
	if (s->pri) {
		bad |= pf_r16(s, s->pri + PCI_PRI_CTRL, &st->pri_ctrl) != 0;
		bad |= pf_r16(s, s->pri + PCI_PRI_STATUS, &st->pri_status) != 0;
		bad |= cfg_pread(s->cfg_fd, s->pri + PCI_PRI_ALLOC_REQ, 4, &v) != 0;
		st->pri_alloc = v;
		st->pri_ctrl &= PCI_PRI_CTRL_ENABLE;
	}
	if (s->ats)
		ats_read(s, -1, s->ats, &st->pf_ats);
	for (uint16_t i = 0; i < s->num_vfs; i++) {
		bool on;

		if (s->vfs[i].ats && !ats_read(s, i, s->vfs[i].ats, &on) && on)
			st->vfs_ats++;
		st->vfs_draining += s->vfs[i].draining;
	}
	return bad ? -EIO : 0;
}

const char *pvvf_pf_sysfs_last_message(const struct pvvf_pf_sysfs *s)
{
	return s->msg;
}

uint32_t pvvf_pf_sysfs_message_seq(const struct pvvf_pf_sysfs *s)
{
	return s->msg_seq;
}

void pvvf_pf_sysfs_request_reset(struct pvvf_pf_sysfs *s)
{
	if (!s->removed)
		note(s, PVVF_PF_NOTE_RESET_REQ, 0);
}
