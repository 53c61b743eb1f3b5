// SPDX-License-Identifier: BSD-3-Clause
/*
 * The sysfs PF back-end against fake sysfs trees built from the
 * config-space images in sysfs-images/ (mktree.py): every image opens
 * with the capabilities it describes or is refused with a clear reason;
 * the ops read and write the right registers and nothing else; a host
 * driver's PF is never written; changes behind pvvf's back and removal
 * are noticed by poll; writers in two processes are serialized; and the
 * core runs on top of it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "harness.h"
#include "pf_sysfs.h"

#ifndef PVVF_SYSFS_IMAGES
#error "build with -DPVVF_SYSFS_IMAGES=\"<dir of the image sources>\""
#endif

static const struct pvvf_pf_ops *ops = &pvvf_pf_sysfs_ops;
static char tmp[256];
static char root[300], run[300];
static struct pvvf_pf_sysfs *pf;
static uint32_t notes[8], note_vfs[8];
static char err[512];

static void on_note(void *cookie, enum pvvf_pf_note n, uint16_t vf)
{
	(void)cookie;
	notes[n]++;
	note_vfs[n] |= 1u << (vf & 31);
}

/* ---- the fake tree ---- */

static void build_tree(const char *image)
{
	char cmd[1024];

	snprintf(root, sizeof(root), "%s/sys", tmp);
	snprintf(run, sizeof(run), "%s/run", tmp);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s && python3 %s/mktree.py %s/%s %s",
		 root, run, PVVF_SYSFS_IMAGES, PVVF_SYSFS_IMAGES, image, root);
	assert_int_equal(system(cmd), 0);
}

static struct pvvf_pf_sysfs *open_bdf(const char *bdf)
{
	struct pvvf_pf_sysfs_params p = {
		.bdf = bdf, .root = root, .run_dir = run, .poll_ns = 1000,
	};

	return pvvf_pf_sysfs_open(&p, err, sizeof(err));
}

static void open_image(const char *image, const char *bdf)
{
	build_tree(image);
	pf = open_bdf(bdf);
	if (!pf)
		fail_msg("%s: %s", image, err);
	memset(notes, 0, sizeof(notes));
	memset(note_vfs, 0, sizeof(note_vfs));
	ops->bind(pf, on_note, NULL);
}

static void fn_path(char *buf, size_t len, const char *bdf, const char *file)
{
	snprintf(buf, len, "%s/bus/pci/devices/%s/%s", root, bdf, file);
}

/* What the "hardware" holds: read and write the image files directly. */
static uint32_t hw_read(const char *bdf, uint16_t off, int size)
{
	char path[512];
	uint8_t b[4] = { 0 };
	int fd;

	fn_path(path, sizeof(path), bdf, "config");
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, size, off), size);
	close(fd);
	return b[0] | b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void hw_write(const char *bdf, uint16_t off, int size, uint32_t v)
{
	char path[512];
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };
	int fd;

	fn_path(path, sizeof(path), bdf, "config");
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, b, size, off), size);
	close(fd);
}

static void hw_image(const char *bdf, uint8_t *img)
{
	for (uint16_t o = 0; o < 4096; o += 4) {
		uint32_t v = hw_read(bdf, o, 4);

		memcpy(img + o, &v, 4);
	}
}

static uint64_t now;

static void poll_now(void)
{
	now += 1000000;
	ops->poll(pf, now);
}

static int t_setup(void **st)
{
	const char *dir = getenv("TMPDIR");

	(void)st;
	snprintf(tmp, sizeof(tmp), "%s/pvvf-sysfs-XXXXXX", dir && *dir ? dir : "/tmp");
	assert_non_null(mkdtemp(tmp));
	pf = NULL;
	now = 0;
	return 0;
}

static int t_teardown(void **st)
{
	char cmd[300];

	(void)st;
	pvvf_pf_sysfs_close(pf);
	pf = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd);
}

/* ---- every image ---- */

struct image_case {
	const char *file;
	const char *bdf;
	const char *refused;		/* substring of the error, or NULL */
	struct pvvf_pf_caps caps;
	uint16_t sriov, ats, pri, pasid;
	uint16_t vendor, vf_device;
	const char *last_vf;		/* BDF of the last VF */
	const char *driver;
	bool driver_owns;
};

static const struct image_case images[] = {
	{ "nic-sva.img", "0000:3b:00.0", NULL,
	  { .num_vfs = 4, .pasid = true, .pasid_max_width = 20,
	    .pasid_features = PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV, .pri = true,
	    .pri_capacity = 512, .pri_pasid_required = true, .ats_stu = 12,
	    .vf_ats = true },
	  0x160, 0x1a0, 0x1c0, 0x1d0, 0x8086, 0x1889, "0000:3b:01.3",
	  "pci-pf-stub", false },
	{ "gpu-mxgpu.img", "0000:03:00.0", NULL,
	  { .num_vfs = 2, .pasid = true, .pasid_max_width = 16, .pasid_features = 0,
	    .pri = true, .pri_capacity = 32, .pri_pasid_required = false, .ats_stu = 12,
	    .vf_ats = true },
	  0x330, 0x2b0, 0x2c0, 0x2d0, 0x1002, 0x686c, "0000:03:00.5", "gim", true },
	{ "nic-no-pri.img", "0000:5e:00.0", NULL,
	  { .num_vfs = 8, .pasid = true, .pasid_max_width = 20,
	    .pasid_features = PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV, .pri = false,
	    .ats_stu = 12, .vf_ats = true },
	  0x180, 0x230, 0, 0x240, 0x15b3, 0x1018, "0000:5e:01.1", "", false },
	{ "accel-unusual.img", "0000:80:00.0", NULL,
	  { .num_vfs = 3, .pasid = true, .pasid_max_width = 20,
	    .pasid_features = PCI_PASID_CAP_EXEC, .pri = true, .pri_capacity = 64,
	    .pri_pasid_required = true, .ats_stu = 13, .vf_ats = true },
	  0xe00, 0x240, 0x800, 0xf00, 0x8086, 0x4941, "0000:80:10.4", "", false },
	{ .file = "bad-loop.img", .bdf = "0000:3b:00.0",
	  .refused = "chain loops (0x190 points back to 0x140)" },
	{ .file = "bad-past-end.img", .bdf = "0000:3b:00.0",
	  .refused = "capability 0x0010 at 0xfe0 runs past the end of config space" },
	{ .file = "bad-below.img", .bdf = "0000:3b:00.0",
	  .refused = "at 0x148 points to 0x44, below 0x100" },
	{ .file = "bad-unprivileged.img", .bdf = "0000:3b:00.0",
	  .refused = "reads as 64 bytes, not 4096: run as root or give CAP_SYS_ADMIN" },
};

#define N_IMAGES (sizeof(images) / sizeof(images[0]))

static void check_image(const struct image_case *c)
{
	struct pvvf_pf_caps caps;
	struct pvvf_pf_sysfs_state st;
	uint16_t vendor, device;

	build_tree(c->file);
	pf = open_bdf(c->bdf);
	if (c->refused) {
		if (pf)
			fail_msg("%s: opened, want refused with '%s'", c->file, c->refused);
		if (!strstr(err, c->refused) || !strstr(err, c->bdf))
			fail_msg("%s: error '%s', want '%s'", c->file, err, c->refused);
		return;
	}
	if (!pf)
		fail_msg("%s: %s", c->file, err);
	assert_int_equal(ops->caps(pf, &caps), 0);
	if (memcmp(&caps, &c->caps, sizeof(caps)))
		fail_msg("%s: caps num_vfs=%u pasid=%d/%u/0x%x pri=%d/%u/%d stu=%u vf_ats=%d",
			 c->file, caps.num_vfs, caps.pasid, caps.pasid_max_width,
			 caps.pasid_features, caps.pri, caps.pri_capacity,
			 caps.pri_pasid_required, caps.ats_stu, caps.vf_ats);
	assert_int_equal(pvvf_pf_sysfs_cap(pf, PCI_EXT_CAP_ID_SRIOV), c->sriov);
	assert_int_equal(pvvf_pf_sysfs_cap(pf, PCI_EXT_CAP_ID_ATS), c->ats);
	assert_int_equal(pvvf_pf_sysfs_cap(pf, PCI_EXT_CAP_ID_PRI), c->pri);
	assert_int_equal(pvvf_pf_sysfs_cap(pf, PCI_EXT_CAP_ID_PASID), c->pasid);
	pvvf_pf_sysfs_vf_ids(pf, &vendor, &device);
	assert_int_equal(vendor, c->vendor);
	assert_int_equal(device, c->vf_device);
	assert_string_equal(pvvf_pf_sysfs_vf_bdf(pf, c->caps.num_vfs - 1), c->last_vf);
	assert_string_equal(pvvf_pf_sysfs_vf_bdf(pf, c->caps.num_vfs), "");
	assert_int_equal(pvvf_pf_sysfs_get_state(pf, &st), 0);
	assert_string_equal(st.driver, c->driver);
	assert_int_equal(st.driver_owns, c->driver_owns);
	pvvf_pf_sysfs_close(pf);
	pf = NULL;
}

static void test_sysfs_every_image(void **st)
{
	(void)st;
	for (size_t i = 0; i < N_IMAGES; i++)
		check_image(&images[i]);
}

/* A new image without a row above would go untested. */
static void test_sysfs_every_image_has_a_case(void **st)
{
	DIR *d = opendir(PVVF_SYSFS_IMAGES);
	struct dirent *de;
	int n = 0;

	(void)st;
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name), i;

		if (len < 4 || strcmp(de->d_name + len - 4, ".img"))
			continue;
		for (i = 0; i < N_IMAGES && strcmp(images[i].file, de->d_name); i++)
			;
		if (i == N_IMAGES)
			fail_msg("%s has no case in test_pf_sysfs.c", de->d_name);
		n++;
	}
	closedir(d);
	assert_int_equal(n, N_IMAGES);
}

/* ---- refusals the images do not cover ---- */

static void expect_refused(const char *bdf, const char *what)
{
	struct pvvf_pf_sysfs *p = open_bdf(bdf);

	if (p) {
		pvvf_pf_sysfs_close(p);
		fail_msg("opened %s, want refused with '%s'", bdf, what);
	}
	if (!strstr(err, what))
		fail_msg("error '%s', want '%s'", err, what);
}

static void relink(const char *bdf, const char *name, const char *target)
{
	char path[512];

	fn_path(path, sizeof(path), bdf, name);
	unlink(path);
	if (target)
		assert_int_equal(symlink(target, path), 0);
}

static void test_sysfs_refusals(void **st)
{
	const char *b = "0000:3b:00.0";
	uint32_t num;

	(void)st;
	build_tree("nic-sva.img");
	expect_refused("3b:00.0", "not a PCI address");
	expect_refused("0000:3B:00.0", "not a PCI address");
	expect_refused("0000:3b:20.0", "not a PCI address");
	expect_refused("0000:3b:00.1", "no such device");
	/* VFs being torn down: a link missing, or pointing elsewhere */
	relink(b, "virtfn2", NULL);
	expect_refused(b, "no virtfn2 link for VF 2 of 4");
	relink(b, "virtfn2", "../0000:3b:01.3");
	expect_refused(b, "virtfn2 is 0000:3b:01.3, but SR-IOV Offset/Stride place VF 2 at 0000:3b:01.2");
	relink(b, "virtfn2", "../0000:3b:01.2");
	/* SR-IOV present but no VFs enabled */
	num = hw_read(b, 0x160 + PCI_SRIOV_CTRL, 2);
	hw_write(b, 0x160 + PCI_SRIOV_CTRL, 2, num & ~PCI_SRIOV_CTRL_VFE);
	expect_refused(b, "SR-IOV VFs are not enabled");
	hw_write(b, 0x160 + PCI_SRIOV_CTRL, 2, num);
	hw_write(b, 0x160 + PCI_SRIOV_NUM_VF, 2, 200);
	expect_refused(b, "NumVFs 200 is above TotalVFs 128");
	hw_write(b, 0x160 + PCI_SRIOV_NUM_VF, 2, 4);
	/* a PASID width PCIe does not allow */
	hw_write(b, 0x1d0 + PCI_PASID_CAP, 2, 0x1f06);
	expect_refused(b, "PASID Max Width 31 is above 20");
	hw_write(b, 0x1d0 + PCI_PASID_CAP, 2, 0x1406);
	/* not an SR-IOV PF: the SR-IOV header becomes a vendor one */
	hw_write(b, 0x160, 2, PCI_EXT_CAP_ID_VNDR);
	expect_refused(b, "not an SR-IOV PF");
	hw_write(b, 0x160, 2, PCI_EXT_CAP_ID_SRIOV);
	/* no PCIe capability in the legacy list, or a looping legacy list */
	hw_write(b, 0xa0, 1, PCI_CAP_ID_VNDR);
	expect_refused(b, "not a PCI Express function");
	hw_write(b, 0xa0, 2, 0x4009);		/* and back to 0x40: a loop */
	expect_refused(b, "not a PCI Express function");
	hw_write(b, 0xa0, 2, 0xe010);
	/* a header inside SR-IOV's registers: overlapping capabilities */
	hw_write(b, 0x160, 4, 0x18010010);
	hw_write(b, 0x180, 4, 0x1a010001);
	expect_refused(b, "extended capability at 0x180 lies inside the one at 0x160");
	hw_write(b, 0x160, 4, 0x1a010010);
	hw_write(b, 0x180, 4, 1);
	/* a VF's chain is walked as carefully as the PF's */
	hw_write("0000:3b:01.1", 0x150, 4, 0x1001000e);
	expect_refused(b, "0000:3b:01.1: extended capability chain loops");
	hw_write("0000:3b:01.1", 0x150, 4, 0x1601000e);
	/* a function that reads all ones is gone */
	for (uint16_t o = 0; o < 0x10; o += 4)
		hw_write(b, o, 4, 0xffffffff);
	expect_refused(b, "reads all ones");
}

/*
 * One fd per VF: a process that may not open that many is told so.  The
 * limit leaves room for 5 more fds above the lowest free one, whatever
 * the test runner left open or closed (CI may close stdin), and the
 * back-end keeps at least 9 open for 8 VFs.
 */
static void test_sysfs_fd_limit_reported(void **st)
{
	int status, lowest;
	pid_t kid;

	(void)st;
	build_tree("nic-no-pri.img");		/* 8 VFs */
	kid = fork();
	assert_true(kid >= 0);
	if (kid == 0) {
		struct pvvf_pf_sysfs *p;
		struct rlimit rl;

		lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (lowest < 0 || close(lowest))
			_exit(2);
		rl.rlim_cur = rl.rlim_max = (rlim_t)lowest + 5;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(2);
		p = open_bdf("0000:5e:00.0");
		_exit(!p && strstr(err, "too many open files (one per VF: raise RLIMIT_NOFILE)") ?
		      0 : 1);
	}
	assert_int_equal(waitpid(kid, &status, 0), kid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Bytes of a hostile chain never crash the walker: refused or opened. */
static void test_sysfs_random_chains(void **st)
{
	const char *b = "0000:5e:00.0";
	uint64_t x = 88172645463325252ULL;
	int opened = 0, refused = 0;

	(void)st;
	build_tree("nic-no-pri.img");
	for (int round = 0; round < 400; round++) {
		struct pvvf_pf_sysfs *p;

		for (int k = 0; k < 4; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* corrupt one header of the chain, or a random dword */
			hw_write(b, (x & 1) ? (0x100 + (x >> 8) % 6 * 0x30) & ~3u
					    : 0x100 + (x >> 16) % 0xf00 / 4 * 4,
				 4, (uint32_t)(x >> 32));
		}
		p = open_bdf(b);
		if (p) {
			opened++;
			pvvf_pf_sysfs_close(p);
		} else {
			assert_true(strlen(err) > 0);
			refused++;
		}
		if (round % 50 == 49)
			build_tree("nic-no-pri.img");
	}
	assert_true(opened > 0 && refused > 0);
}

/* ---- ops ---- */

#define NIC "0000:3b:00.0"
#define NIC_PASID 0x1d0
#define NIC_PRI 0x1c0
#define NIC_ATS 0x1a0

static void test_sysfs_pasid_write_keeps_reserved_bits(void **st)
{
	uint16_t ctrl;

	(void)st;
	open_image("nic-sva.img", NIC);
	hw_write(NIC, NIC_PASID + PCI_PASID_CTRL, 2, 0xa000);	/* RsvdP bits */
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_PASID], 1);
	assert_int_equal(ops->pasid_ctrl_write(pf, PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC), 0);
	assert_int_equal(hw_read(NIC, NIC_PASID + PCI_PASID_CTRL, 2), 0xa003);
	assert_int_equal(ops->pasid_ctrl_read(pf, &ctrl), 0);
	assert_int_equal(ctrl, 0xa003);
	/* an enable the PF does not support is refused, nothing written */
	assert_int_equal(ops->pasid_ctrl_write(pf, 0x0008 | PCI_PASID_CTRL_ENABLE), -EINVAL);
	assert_int_equal(hw_read(NIC, NIC_PASID + PCI_PASID_CTRL, 2), 0xa003);
	/* pvvf's own write is no change behind its back */
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_PASID], 1);
}

/* Someone else wrote since pvvf last looked: no write, poll reports it. */
static void test_sysfs_write_behind_back_refused(void **st)
{
	(void)st;
	open_image("nic-sva.img", NIC);
	hw_write(NIC, NIC_PASID + PCI_PASID_CTRL, 2, PCI_PASID_CTRL_ENABLE);
	assert_int_equal(ops->pasid_ctrl_write(pf, PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_PRIV),
			 -EBUSY);
	assert_int_equal(hw_read(NIC, NIC_PASID + PCI_PASID_CTRL, 2), PCI_PASID_CTRL_ENABLE);
	assert_non_null(strstr(pvvf_pf_sysfs_last_message(pf), "behind pvvf's back"));
	ops->poll(pf, now);	/* due at once after a refused write */
	assert_int_equal(notes[PVVF_PF_NOTE_PASID], 1);
	assert_int_equal(ops->pasid_ctrl_write(pf, 0), 0);
	assert_int_equal(hw_read(NIC, NIC_PASID + PCI_PASID_CTRL, 2), 0);
}

static void test_sysfs_pri_registers(void **st)
{
	uint16_t ctrl, status;

	(void)st;
	open_image("nic-sva.img", NIC);
	assert_int_equal(ops->pri_ctrl_write(pf, PCI_PRI_CTRL_RESET), 0);
	assert_int_equal(hw_read(NIC, NIC_PRI + PCI_PRI_CTRL, 2), PCI_PRI_CTRL_RESET);
	assert_int_equal(ops->pri_alloc_write(pf, 512), 0);
	assert_int_equal(hw_read(NIC, NIC_PRI + PCI_PRI_ALLOC_REQ, 4), 512);
	assert_int_equal(ops->pri_alloc_write(pf, 513), -EINVAL);
	assert_int_equal(ops->pri_ctrl_write(pf, PCI_PRI_CTRL_ENABLE), 0);
	/* Reset is not left set: the register holds Enable only */
	assert_int_equal(hw_read(NIC, NIC_PRI + PCI_PRI_CTRL, 2), PCI_PRI_CTRL_ENABLE);
	assert_int_equal(ops->pri_read(pf, &ctrl, &status), 0);
	assert_int_equal(ctrl, PCI_PRI_CTRL_ENABLE);
	assert_int_equal(status, PCI_PRI_STATUS_STOPPED | PCI_PRI_STATUS_PASID);
	assert_int_equal(ops->pri_ctrl_write(pf, 0x0004), -EINVAL);
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_PRI], 0);
	/* the host clears Enable behind pvvf's back */
	hw_write(NIC, NIC_PRI + PCI_PRI_CTRL, 2, 0);
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_PRI], 1);
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_PRI], 1);
}

/* The hardware side of a PRI that runs: Stopped clear while enabled. */
static void pri_running(void)
{
	assert_int_equal(ops->pri_ctrl_write(pf, PCI_PRI_CTRL_RESET), 0);
	assert_int_equal(ops->pri_alloc_write(pf, 512), 0);
	assert_int_equal(ops->pri_ctrl_write(pf, PCI_PRI_CTRL_ENABLE), 0);
	hw_write(NIC, NIC_PRI + PCI_PRI_STATUS, 2, PCI_PRI_STATUS_PASID);
}

static void test_sysfs_vf_gate_drains_until_stopped(void **st)
{
	(void)st;
	open_image("nic-sva.img", NIC);
	pri_running();
	assert_int_equal(ops->vf_pri_gate(pf, 1, 64), 0);
	assert_int_equal(ops->vf_pri_gate(pf, 2, 64), 0);
	assert_int_equal(ops->vf_pri_gate(pf, 4, 64), -ENODEV);
	assert_int_equal(ops->vf_pri_outstanding(pf, 1), 0);
	/* closing a gate: requests may be in flight, not visible */
	assert_int_equal(ops->vf_pri_gate(pf, 1, 0), 0);
	assert_int_equal(ops->vf_pri_outstanding(pf, 1), 1);
	assert_int_equal(ops->vf_pri_outstanding(pf, 2), 0);
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_PRQ_DONE], 0);
	/* the PF's PRI stops: nothing is outstanding anywhere */
	hw_write(NIC, NIC_PRI + PCI_PRI_STATUS, 2, PCI_PRI_STATUS_STOPPED | PCI_PRI_STATUS_PASID);
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_PRQ_DONE], 1);
	assert_int_equal(note_vfs[PVVF_PF_NOTE_PRQ_DONE], 1u << 1);
	assert_int_equal(ops->vf_pri_outstanding(pf, 1), 0);
	/* abort ends a drain too */
	hw_write(NIC, NIC_PRI + PCI_PRI_STATUS, 2, PCI_PRI_STATUS_PASID);
	assert_int_equal(ops->vf_pri_gate(pf, 2, 0), 0);
	assert_int_equal(ops->vf_pri_outstanding(pf, 2), 1);
	assert_int_equal(ops->vf_pri_abort(pf, 2), 0);
	assert_int_equal(ops->vf_pri_outstanding(pf, 2), 0);
}

static void test_sysfs_pri_faults_go_to_vfs_using_pri(void **st)
{
	(void)st;
	open_image("nic-sva.img", NIC);
	pri_running();
	assert_int_equal(ops->vf_pri_gate(pf, 0, 8), 0);
	assert_int_equal(ops->vf_pri_gate(pf, 3, 8), 0);
	hw_write(NIC, NIC_PRI + PCI_PRI_STATUS, 2, PCI_PRI_STATUS_PASID | PCI_PRI_STATUS_RF);
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_PRI_FAULT], 2);
	assert_int_equal(note_vfs[PVVF_PF_NOTE_PRI_FAULT], 1u << 0 | 1u << 3);
	assert_int_equal(ops->vf_pri_faults(pf, 0), PCI_PRI_STATUS_RF);
	assert_int_equal(ops->vf_pri_faults(pf, 0), 0);
	assert_int_equal(ops->vf_pri_faults(pf, 1), 0);
	assert_int_equal(ops->vf_pri_faults(pf, 3), PCI_PRI_STATUS_RF);
	/* still set is no new fault; a new edge is */
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_PRI_FAULT], 2);
	hw_write(NIC, NIC_PRI + PCI_PRI_STATUS, 2, PCI_PRI_STATUS_PASID);
	poll_now();
	hw_write(NIC, NIC_PRI + PCI_PRI_STATUS, 2, PCI_PRI_STATUS_PASID | PCI_PRI_STATUS_UPRGI);
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_PRI_FAULT], 4);
	assert_int_equal(ops->vf_pri_faults(pf, 3), PCI_PRI_STATUS_UPRGI);
}

static void test_sysfs_vf_ats_cross_checked(void **st)
{
	const char *vf2 = "0000:3b:01.2";

	(void)st;
	open_image("nic-sva.img", NIC);
	assert_false(ops->ats_any(pf));
	/* the guest says ATS on, the VF's register says off */
	assert_int_equal(ops->vf_ats_sync(pf, 2, true, 0), -EINVAL);
	assert_non_null(strstr(pvvf_pf_sysfs_last_message(pf), "VF 2"));
	hw_write(vf2, 0x160 + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE);
	assert_int_equal(ops->vf_ats_sync(pf, 2, true, 0), 0);
	assert_true(ops->ats_any(pf));
	assert_int_equal(ops->vf_ats_sync(pf, 4, true, 0), -ENODEV);
	/* the sync recorded it: no ATS note for the guest's own write */
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_ATS], 0);
	hw_write(vf2, 0x160 + PCI_ATS_CTRL, 2, 0);
	assert_int_equal(ops->vf_ats_sync(pf, 2, false, 0), 0);
	assert_false(ops->ats_any(pf));
	/* the PF's own ATS, changed by its host driver */
	hw_write(NIC, NIC_ATS + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE);
	assert_true(ops->ats_any(pf));
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_ATS], 1);
	/* a VF's, changed behind the guest's report */
	hw_write("0000:3b:01.0", 0x160 + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE);
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_ATS], 2);
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_ATS], 2);
}

/* A PF whose host driver owns it is never written, whatever is asked. */
static void test_sysfs_driver_owned_never_written(void **st)
{
	const char *gpu = "0000:03:00.0";
	uint8_t before[4096], after[4096];
	uint16_t ctrl;

	(void)st;
	open_image("gpu-mxgpu.img", gpu);
	hw_image(gpu, before);
	assert_int_equal(ops->pasid_ctrl_read(pf, &ctrl), 0);
	assert_int_equal(ctrl, PCI_PASID_CTRL_ENABLE);
	assert_int_equal(ops->pasid_ctrl_write(pf, 0), -EPERM);
	assert_int_equal(ops->pri_ctrl_write(pf, PCI_PRI_CTRL_RESET), -EPERM);
	assert_int_equal(ops->pri_alloc_write(pf, 32), -EPERM);
	assert_int_equal(ops->pri_ctrl_write(pf, PCI_PRI_CTRL_ENABLE), -EPERM);
	/* its PRI faults are the driver's: not cleared, not attributed */
	hw_write(gpu, 0x2c0 + PCI_PRI_STATUS, 2, PCI_PRI_STATUS_RF | PCI_PRI_STATUS_STOPPED);
	before[0x2c6] = PCI_PRI_STATUS_RF;
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_PRI_FAULT], 0);
	hw_image(gpu, after);
	assert_memory_equal(before, after, sizeof(before));
	/* the reset method is missing on this PF */
	assert_int_equal(ops->reset(pf), -EOPNOTSUPP);
	assert_non_null(strstr(pvvf_pf_sysfs_last_message(pf), "no reset method"));
}

/* Binding or unbinding a host driver changes who may write, at once. */
static void test_sysfs_driver_bind_noticed(void **st)
{
	struct pvvf_pf_sysfs_state s;

	(void)st;
	open_image("nic-sva.img", NIC);
	relink(NIC, "driver", "../../drivers/ice");
	assert_int_equal(ops->pasid_ctrl_write(pf, PCI_PASID_CTRL_ENABLE), -EPERM);
	assert_int_equal(hw_read(NIC, NIC_PASID + PCI_PASID_CTRL, 2), 0);
	assert_int_equal(pvvf_pf_sysfs_get_state(pf, &s), 0);
	assert_string_equal(s.driver, "ice");
	assert_true(s.driver_owns);
	relink(NIC, "driver", NULL);
	assert_int_equal(ops->pasid_ctrl_write(pf, PCI_PASID_CTRL_ENABLE), 0);
	assert_int_equal(hw_read(NIC, NIC_PASID + PCI_PASID_CTRL, 2), PCI_PASID_CTRL_ENABLE);
}

static void test_sysfs_reset_through_kernel(void **st)
{
	char path[512], buf[8] = { 0 };
	int fd;

	(void)st;
	open_image("nic-sva.img", NIC);
	pri_running();
	assert_int_equal(ops->vf_pri_gate(pf, 0, 8), 0);
	assert_int_equal(ops->vf_pri_gate(pf, 0, 0), 0);
	pvvf_pf_sysfs_request_reset(pf);
	assert_int_equal(notes[PVVF_PF_NOTE_RESET_REQ], 1);
	assert_int_equal(ops->reset(pf), 0);
	fn_path(path, sizeof(path), NIC, "reset");
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 2);
	close(fd);
	assert_string_equal(buf, "1\n");
	/* FLR: the VF's virtual page request state is gone */
	assert_int_equal(ops->vf_pri_outstanding(pf, 0), 0);
}

static void test_sysfs_poll_period(void **st)
{
	(void)st;
	open_image("nic-sva.img", NIC);
	assert_int_equal(ops->poll(pf, 5000), 6000);
	hw_write(NIC, NIC_PASID + PCI_PASID_CTRL, 2, PCI_PASID_CTRL_ENABLE);
	/* not due: nothing read */
	assert_int_equal(ops->poll(pf, 5999), 6000);
	assert_int_equal(notes[PVVF_PF_NOTE_PASID], 0);
	assert_int_equal(ops->poll(pf, 6000), 7000);
	assert_int_equal(notes[PVVF_PF_NOTE_PASID], 1);
}

static void test_sysfs_removal_noticed(void **st)
{
	char path[512], gone[512];

	(void)st;
	open_image("nic-sva.img", NIC);
	fn_path(path, sizeof(path), NIC, "");
	snprintf(gone, sizeof(gone), "%s/gone", tmp);
	assert_int_equal(rename(path, gone), 0);
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_REMOVED], 1);
	assert_non_null(strstr(pvvf_pf_sysfs_last_message(pf), "vanished"));
	assert_int_equal(ops->poll(pf, now + 1000000), UINT64_MAX);
	assert_int_equal(notes[PVVF_PF_NOTE_REMOVED], 1);
}

static void test_sysfs_vfs_disabled_is_removal(void **st)
{
	(void)st;
	open_image("nic-sva.img", NIC);
	hw_write(NIC, 0x160 + PCI_SRIOV_NUM_VF, 2, 2);
	poll_now();
	assert_int_equal(notes[PVVF_PF_NOTE_REMOVED], 1);
	assert_non_null(strstr(pvvf_pf_sysfs_last_message(pf), "number changed"));
}

/* ---- two processes ---- */

#define INCREMENTS 1000
#define SCRATCH 0x1b8		/* the vendor-specific capability's data */

static void increment_many(void)
{
	struct pvvf_pf_sysfs *p = open_bdf(NIC);

	if (!p)
		_exit(2);
	for (int i = 0; i < INCREMENTS; i++) {
		uint32_t v;

		if (pvvf_pf_sysfs_lock(p) ||
		    pvvf_pf_sysfs_cfg_read(p, -1, SCRATCH, 4, &v) ||
		    pvvf_pf_sysfs_cfg_update(p, -1, SCRATCH, 4, UINT32_MAX, v + 1, NULL))
			_exit(3);
		pvvf_pf_sysfs_unlock(p);
	}
	pvvf_pf_sysfs_close(p);
	_exit(0);
}

static void test_sysfs_writers_serialized_across_processes(void **st)
{
	pid_t kids[2];

	(void)st;
	build_tree("nic-sva.img");
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0)
			increment_many();
	}
	for (int i = 0; i < 2; i++) {
		int status;

		assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(hw_read(NIC, SCRATCH, 4), 2 * INCREMENTS);
}

static void test_sysfs_lock_wait_is_bounded(void **st)
{
	char path[512];
	int fd;

	(void)st;
	open_image("nic-sva.img", NIC);
	snprintf(path, sizeof(path), "%s/pf-%s.lock", run, NIC);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(ops->pasid_ctrl_write(pf, PCI_PASID_CTRL_ENABLE), -EBUSY);
	assert_int_equal(hw_read(NIC, NIC_PASID + PCI_PASID_CTRL, 2), 0);
	assert_non_null(strstr(pvvf_pf_sysfs_last_message(pf), "PF lock"));
	close(fd);
	assert_int_equal(ops->pasid_ctrl_write(pf, PCI_PASID_CTRL_ENABLE), 0);
}

/* ---- the core on a real-PF back-end ---- */

static void test_sysfs_core_pasid_and_pri(void **st)
{
	const uint16_t vfs[] = { 0, 1 };
	struct pvvf_vf_info vi;
	struct h_env *e;
	struct pvvf_guest *g;

	(void)st;
	open_image("nic-sva.img", NIC);
	e = h_env_new(NULL, 0);
	assert_int_equal(pvvf_core_add_pf(e->core, ops, pf, 0x100, &e->pf[0]), 0);
	g = h_guest(e, "a", 0, vfs, 2);
	h_assert_ok(h_pasid_enable(g, 0, VIRTIO_PVVF_PASID_EXEC));
	assert_int_equal(hw_read(NIC, NIC_PASID + PCI_PASID_CTRL, 2),
			 PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC | PCI_PASID_CTRL_PRIV);
	h_assert_ok(h_pri_enable(g, 1, 100));
	assert_int_equal(hw_read(NIC, NIC_PRI + PCI_PRI_CTRL, 2), PCI_PRI_CTRL_ENABLE);
	assert_int_equal(hw_read(NIC, NIC_PRI + PCI_PRI_ALLOC_REQ, 4), 512);
	hw_write(NIC, NIC_PRI + PCI_PRI_STATUS, 2, PCI_PRI_STATUS_PASID);
	/* stop: drains until the deadline, then the PF's PRI goes off */
	h_assert_ok(h_pri_disable(g, 1));
	vi = h_vf(e, 0, 1);
	assert_true(vi.pri_draining);
	h_tick(e, 200000000);
	vi = h_vf(e, 0, 1);
	assert_false(vi.pri_draining);
	assert_int_equal(hw_read(NIC, NIC_PRI + PCI_PRI_CTRL, 2), 0);
	/* the host turns PASID off: the guest's VF hears it is revoked */
	hw_write(NIC, NIC_PASID + PCI_PASID_CTRL, 2, 0);
	h_tick(e, 200000000);
	assert_true(h_pf(e, 0).pasid_revoked);
	/* and the PF disappears */
	hw_write(NIC, PCI_VENDOR_ID, 4, 0xffffffff);
	h_tick(e, 200000000);
	assert_true(h_pf(e, 0).gone);
	h_env_free(e);
}

static void test_sysfs_core_with_owning_driver(void **st)
{
	const uint16_t vfs[] = { 0 };
	struct h_env *e;
	struct pvvf_guest *g;

	(void)st;
	open_image("gpu-mxgpu.img", "0000:03:00.0");
	e = h_env_new(NULL, 0);
	assert_int_equal(pvvf_core_add_pf(e->core, ops, pf, 0x100, &e->pf[0]), 0);
	g = h_guest(e, "a", 0, vfs, 1);
	/* PASID is on by the host driver: the VF shares it, nothing written */
	h_assert_ok(h_pasid_enable(g, 0, 0));
	h_assert_reply(h_pasid_enable(g, 0, 0), VIRTIO_PVVF_S_EALREADY, VIRTIO_PVVF_Q_NONE);
	/* PRI is the driver's to enable: refused, as revoked */
	h_assert_reply(h_pri_enable(g, 0, 8), VIRTIO_PVVF_S_EPERM, VIRTIO_PVVF_Q_REVOKED);
	assert_int_equal(hw_read("0000:03:00.0", 0x2c0 + PCI_PRI_CTRL, 2), 0);
	h_env_free(e);
}

/* A driver that owns the PF but left PASID off: pvvf cannot turn it on. */
static void test_sysfs_core_pasid_refused_under_driver(void **st)
{
	const uint16_t vfs[] = { 0 };
	struct h_env *e;
	struct pvvf_guest *g;

	(void)st;
	open_image("nic-sva.img", NIC);
	relink(NIC, "driver", "../../drivers/ice");
	e = h_env_new(NULL, 0);
	assert_int_equal(pvvf_core_add_pf(e->core, ops, pf, 0x100, &e->pf[0]), 0);
	g = h_guest(e, "a", 0, vfs, 1);
	h_assert_reply(h_pasid_enable(g, 0, 0), VIRTIO_PVVF_S_EPERM, VIRTIO_PVVF_Q_REVOKED);
	assert_int_equal(hw_read(NIC, NIC_PASID + PCI_PASID_CTRL, 2), 0);
	assert_int_equal(h_pf(e, 0).pasid_refs, 0);
	h_env_free(e);
}

/*
 * Guests' requests, the host's writes behind pvvf's back (PASID, PRI,
 * ATS, faults, Stopped, a driver binding) and time, in a seeded random
 * order on each image that opens.  After every poll the core's view of
 * the PF is the hardware's; a PF a driver owns is never written.
 */
struct walk {
	const char *bdf;
	uint16_t pasid, pri, ats, vf_ats;	/* offsets in the image */
	uint8_t stu;				/* STU field of the PF */
	struct h_env *e;
	struct pvvf_guest *g[2];
	uint64_t x;
};

static uint32_t walk_rand(struct walk *w, uint32_t n)
{
	w->x ^= w->x << 13;
	w->x ^= w->x >> 7;
	w->x ^= w->x << 17;
	return (uint32_t)(w->x >> 33) % n;
}

static const char *walk_vf_bdf(uint16_t vf)
{
	return pvvf_pf_sysfs_vf_bdf(pf, vf);
}

/* The guest's VMM writes the VF's ATS Control, then the guest reports it. */
static void walk_ats(struct walk *w, int gi, bool on)
{
	if (on)
		hw_write(walk_vf_bdf(gi), w->vf_ats + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE);
	h_ats(w->g[gi], 0, on, w->stu);
	if (!on)
		hw_write(walk_vf_bdf(gi), w->vf_ats + PCI_ATS_CTRL, 2, 0);
}

static void walk_host(struct walk *w, uint32_t what)
{
	switch (what) {
	case 0:
		if (w->pasid)
			hw_write(w->bdf, w->pasid + PCI_PASID_CTRL, 2,
				 walk_rand(w, 2) ? PCI_PASID_CTRL_ENABLE : 0);
		break;
	case 1:
		if (w->pri)
			hw_write(w->bdf, w->pri + PCI_PRI_CTRL, 2, 0);
		break;
	case 2:
		if (w->pri)	/* the hardware: Stopped or not, maybe a fault */
			hw_write(w->bdf, w->pri + PCI_PRI_STATUS, 2,
				 (walk_rand(w, 2) ? PCI_PRI_STATUS_STOPPED : 0) |
				 (walk_rand(w, 4) ? 0 : PCI_PRI_STATUS_RF));
		break;
	case 3:
		hw_write(w->bdf, w->ats + PCI_ATS_CTRL, 2,
			 (walk_rand(w, 2) ? PCI_ATS_CTRL_ENABLE : 0) | w->stu);
		break;
	default:
		relink(w->bdf, "driver", walk_rand(w, 2) ? "../../drivers/pci-pf-stub"
							  : "../../drivers/ice");
		break;
	}
}

static void walk_guest(struct walk *w, uint32_t what)
{
	int gi = (int)walk_rand(w, 2);
	struct pvvf_pf_caps caps;

	ops->caps(pf, &caps);
	switch (what) {
	case 0:
		h_pasid_enable(w->g[gi], 0, (uint8_t)(walk_rand(w, 4) << 1) &
						caps.pasid_features);
		break;
	case 1:
		h_pasid_disable(w->g[gi], 0);
		break;
	case 2:
		if (caps.pri)
			h_pri_enable(w->g[gi], 0, 1 + walk_rand(w, caps.pri_capacity / 2));
		break;
	case 3:
		h_pri_disable(w->g[gi], 0);
		break;
	default:
		walk_ats(w, gi, walk_rand(w, 2));
		break;
	}
}

/* After a poll: the core's view of the PF is the hardware's. */
static void walk_check(struct walk *w, int step)
{
	struct pvvf_pf_info pi = h_pf(w->e, 0);

	if (pi.gone)
		fail_msg("step %d: PF reported gone", step);
	if (w->pasid && pi.pasid_enabled !=
	    !!(hw_read(w->bdf, w->pasid + PCI_PASID_CTRL, 2) & PCI_PASID_CTRL_ENABLE))
		fail_msg("step %d: core says PASID %d, the PF says otherwise", step,
			 pi.pasid_enabled);
	if (pi.pasid_refs && !pi.pasid_enabled)
		fail_msg("step %d: %u PASID references on a PF with PASID off", step,
			 pi.pasid_refs);
	if (w->pri && pi.pri_enabled &&
	    !(hw_read(w->bdf, w->pri + PCI_PRI_CTRL, 2) & PCI_PRI_CTRL_ENABLE))
		fail_msg("step %d: core has PRI on, the PF has it off", step);
	if (pi.pri_free + 0ULL > pi.pri_pool)
		fail_msg("step %d: pool free %u > pool %u", step, pi.pri_free, pi.pri_pool);
}

static void walk_image(const char *image, const char *bdf, uint64_t seed)
{
	const uint16_t va[] = { 0 }, vb[] = { 1 };
	struct walk w = { .bdf = bdf, .x = seed };
	struct pvvf_pf_sysfs_state st;

	open_image(image, bdf);
	w.pasid = pvvf_pf_sysfs_cap(pf, PCI_EXT_CAP_ID_PASID);
	w.pri = pvvf_pf_sysfs_cap(pf, PCI_EXT_CAP_ID_PRI);
	w.ats = pvvf_pf_sysfs_cap(pf, PCI_EXT_CAP_ID_ATS);
	w.stu = PCI_ATS_CTRL_STU(hw_read(bdf, w.ats + PCI_ATS_CTRL, 2));
	/* every VF of an image has the same layout: find VF 0's ATS */
	for (uint16_t o = 0x100; o; o = PCI_EXT_CAP_NEXT(hw_read(walk_vf_bdf(0), o, 4)))
		if (PCI_EXT_CAP_ID(hw_read(walk_vf_bdf(0), o, 4)) == PCI_EXT_CAP_ID_ATS)
			w.vf_ats = o;
	assert_true(w.ats && w.vf_ats);
	w.e = h_env_new(NULL, 0);
	assert_int_equal(pvvf_core_add_pf(w.e->core, ops, pf, 0x100, &w.e->pf[0]), 0);
	w.g[0] = h_guest(w.e, "a", 0, va, 1);
	w.g[1] = h_guest(w.e, "b", 0, vb, 1);
	for (int step = 0; step < 300; step++) {
		uint32_t kind = walk_rand(&w, 3);
		uint8_t regs_before[8] = { 0 }, regs_after[8] = { 0 };
		bool owned;

		assert_int_equal(pvvf_pf_sysfs_get_state(pf, &st), 0);
		owned = st.driver_owns;
		if (w.pasid)
			*(uint16_t *)regs_before = hw_read(bdf, w.pasid + PCI_PASID_CTRL, 2);
		if (w.pri)
			*(uint32_t *)(regs_before + 4) = hw_read(bdf, w.pri + PCI_PRI_ALLOC_REQ, 4) ^
							 hw_read(bdf, w.pri + PCI_PRI_CTRL, 2);
		if (kind == 0)
			walk_host(&w, walk_rand(&w, 5));
		else if (kind == 1)
			walk_guest(&w, walk_rand(&w, 5));
		h_tick(w.e, 60000000);
		if (w.pasid)
			*(uint16_t *)regs_after = hw_read(bdf, w.pasid + PCI_PASID_CTRL, 2);
		if (w.pri)
			*(uint32_t *)(regs_after + 4) = hw_read(bdf, w.pri + PCI_PRI_ALLOC_REQ, 4) ^
							hw_read(bdf, w.pri + PCI_PRI_CTRL, 2);
		if (owned && kind != 0 && memcmp(regs_before, regs_after, sizeof(regs_after)))
			fail_msg("%s step %d: a PF its driver owns was written", image, step);
		walk_check(&w, step);
		/* the events stay bounded; nobody reads them here */
		for (int i = 0; i < 2; i++) {
			struct virtio_pvvf_event ev[64];

			h_events(w.g[i], ev, 64);
		}
	}
	h_env_free(w.e);
	pvvf_pf_sysfs_close(pf);
	pf = NULL;
}

static void test_sysfs_random_walk_on_every_image(void **st)
{
	(void)st;
	for (size_t i = 0; i < N_IMAGES; i++) {
		if (images[i].refused)
			continue;
		for (uint64_t seed = 1; seed <= 3; seed++)
			walk_image(images[i].file, images[i].bdf, seed * 0x9e3779b97f4a7c15ULL);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
	const struct CMUnitTest tests[] = {
		T(test_sysfs_every_image),
		T(test_sysfs_every_image_has_a_case),
		T(test_sysfs_refusals),
		T(test_sysfs_fd_limit_reported),
		T(test_sysfs_random_chains),
		T(test_sysfs_pasid_write_keeps_reserved_bits),
		T(test_sysfs_write_behind_back_refused),
		T(test_sysfs_pri_registers),
		T(test_sysfs_vf_gate_drains_until_stopped),
		T(test_sysfs_pri_faults_go_to_vfs_using_pri),
		T(test_sysfs_vf_ats_cross_checked),
		T(test_sysfs_driver_owned_never_written),
		T(test_sysfs_driver_bind_noticed),
		T(test_sysfs_reset_through_kernel),
		T(test_sysfs_poll_period),
		T(test_sysfs_removal_noticed),
		T(test_sysfs_vfs_disabled_is_removal),
		T(test_sysfs_writers_serialized_across_processes),
		T(test_sysfs_lock_wait_is_bounded),
		T(test_sysfs_core_pasid_and_pri),
		T(test_sysfs_core_with_owning_driver),
		T(test_sysfs_core_pasid_refused_under_driver),
		T(test_sysfs_random_walk_on_every_image),
	};
#undef T

	return cmocka_run_group_tests_name("pvvf_pf_sysfs", tests, NULL, NULL);
}
