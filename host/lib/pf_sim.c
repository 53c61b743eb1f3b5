// SPDX-License-Identifier: BSD-3-Clause
/*
 * Simulated PF: a config-space image with the capabilities of an SR-IOV
 * PF that supports ATS, PRI and PASID, a page request generator, and a
 * checker of the PCIe rules the core must never break.
 *
 * All state a real device keeps in registers lives in the image; the rest
 * (outstanding page requests, per-VF gates) is what the IOMMU would keep.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "pf_sim.h"

#define SIM_CFG_SIZE	4096
#define SIM_VENDOR	0x1b36		/* Red Hat, Inc. (QEMU devices) */
#define SIM_PF_DEVICE	0x00f0
#define SIM_VF_DEVICE	0x00f1
#define SIM_PCIE_CAP	0x40
#define SIM_SRIOV	0x100
#define SIM_ATS		0x140
#define SIM_PRI		0x150
#define SIM_PASID	0x160
#define SIM_VF_ATS	0x100
#define SIM_VF_FREE	0x108		/* first unused VF ext. config dword */
#define SIM_MAX_VFS	4096

/*
 * The device's state, in one region: host memory, or a file mapped shared
 * (state=PATH) so that it outlives the process driving it, as hardware
 * outlives a crashed daemon.  Native endian: the file belongs to this
 * machine.  Layout: header, PF config, VF configs, VF registers, page
 * requests; everything else is derived from it (sim_derive).
 */
#define SIM_STATE_MAGIC		"PVVFSIMS"
#define SIM_STATE_VERSION	1

struct sim_hdr {
	char magic[8];
	uint32_t version;
	uint32_t num_vfs;
	uint32_t pri_capacity;
	uint8_t pasid, pasid_max_width, pasid_features, pri;
	uint8_t pri_pasid_required, ats_stu, reserved[2];
	uint64_t size;			/* of the whole region */
};

struct sim_vf_reg {			/* what the IOMMU keeps per VF */
	uint32_t gate;			/* 0: closed */
	uint16_t faults;		/* PCI_PRI_STATUS_RF|UPRGI */
	uint16_t reserved;
};

struct sim_prq {
	uint64_t due;
	uint16_t vf;
	uint8_t live;
	uint8_t reserved[5];
};

struct sim_vf {
	uint8_t *cfg;
	struct sim_vf_reg *reg;
	uint32_t outstanding;
};

struct pvvf_pf_sim {
	struct pvvf_pf_sim_params p;
	void *mem;			/* the region */
	size_t mem_len;
	bool mapped;			/* mmap'd state file, else calloc'd */
	int lock_fd;			/* the state file, locked; -1: none */
	uint8_t *cfg;			/* SIM_CFG_SIZE */
	struct sim_vf *vfs;
	uint8_t *vf_cfg;
	struct sim_prq *prq;		/* pri_capacity slots */
	uint32_t prq_live;
	uint64_t gate_sum;
	uint32_t ats_on;		/* functions with ATS Enable set */
	uint64_t rng;
	bool removed;
	pvvf_pf_notify_fn *notify;
	void *cookie;
	struct pvvf_pf_sim_stats stats;
	char last[160];
};

static const char *const sim_rule_names[PVVF_SIM_RULE_COUNT] = {
	[PVVF_SIM_PASID_UNDER_ATS] = "PASID Control changed while ATS enabled (7.8.9.3)",
	[PVVF_SIM_PRI_ALLOC_ENABLED] = "PRI allocation written while enabled (10.5.2.5)",
	[PVVF_SIM_PRI_RESET_ENABLED] = "PRI Reset while enabled (10.5.2.2)",
	[PVVF_SIM_PRI_OVERCOMMIT] = "VF gates exceed the PF allocation",
	[PVVF_SIM_PRI_ENABLE_NO_ALLOC] = "PRI enabled with allocation 0",
	[PVVF_SIM_VF_ATS_STU] = "VF ATS enabled with STU != PF STU (10.5.1.3)",
	[PVVF_SIM_AFTER_REMOVE] = "op called after PF removal",
};

/* ---- config space accessors (little endian, as PCI) ---- */

static uint16_t cfg_r16(const uint8_t *cfg, uint16_t off)
{
	return (uint16_t)(cfg[off] | cfg[off + 1] << 8);
}

static uint32_t cfg_r32(const uint8_t *cfg, uint16_t off)
{
	return (uint32_t)cfg_r16(cfg, off) | (uint32_t)cfg_r16(cfg, off + 2) << 16;
}

static void cfg_w16(uint8_t *cfg, uint16_t off, uint16_t v)
{
	cfg[off] = (uint8_t)v;
	cfg[off + 1] = (uint8_t)(v >> 8);
}

static void cfg_w32(uint8_t *cfg, uint16_t off, uint32_t v)
{
	cfg_w16(cfg, off, (uint16_t)v);
	cfg_w16(cfg, off + 2, (uint16_t)(v >> 16));
}

static void cfg_ext_cap(uint8_t *cfg, uint16_t off, uint16_t id, uint16_t next)
{
	cfg_w32(cfg, off, (uint32_t)id | 1u << 16 | (uint32_t)next << 20);
}

static void cfg_pcie_cap(uint8_t *cfg, uint16_t device)
{
	cfg_w16(cfg, PCI_VENDOR_ID, SIM_VENDOR);
	cfg_w16(cfg, PCI_DEVICE_ID, device);
	cfg_w16(cfg, PCI_STATUS, PCI_STATUS_CAP_LIST);
	cfg[PCI_CAPABILITY_LIST] = SIM_PCIE_CAP;
	cfg[SIM_PCIE_CAP + PCI_CAP_LIST_ID] = PCI_CAP_ID_EXP;
	cfg[SIM_PCIE_CAP + PCI_CAP_LIST_NEXT] = 0;
	cfg_w16(cfg, SIM_PCIE_CAP + PCI_EXP_FLAGS, 2 | PCI_EXP_TYPE_ENDPOINT << 4);
	cfg_w32(cfg, SIM_PCIE_CAP + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_FLR);
}

static uint8_t *sim_vf_cfg(const struct pvvf_pf_sim *s, uint16_t vf)
{
	return s->vfs[vf].cfg;
}

/* ---- the image at power-on ---- */

static void sim_build_pf(const struct pvvf_pf_sim_params *p, uint8_t *c)
{
	memset(c, 0, SIM_CFG_SIZE);
	cfg_pcie_cap(c, SIM_PF_DEVICE);
	cfg_ext_cap(c, SIM_SRIOV, PCI_EXT_CAP_ID_SRIOV, SIM_ATS);
	cfg_w16(c, SIM_SRIOV + PCI_SRIOV_CTRL, PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE);
	cfg_w16(c, SIM_SRIOV + PCI_SRIOV_INITIAL_VF, p->num_vfs);
	cfg_w16(c, SIM_SRIOV + PCI_SRIOV_TOTAL_VF, p->num_vfs);
	cfg_w16(c, SIM_SRIOV + PCI_SRIOV_NUM_VF, p->num_vfs);
	cfg_w16(c, SIM_SRIOV + PCI_SRIOV_VF_OFFSET, 1);
	cfg_w16(c, SIM_SRIOV + PCI_SRIOV_VF_STRIDE, 1);
	cfg_w16(c, SIM_SRIOV + PCI_SRIOV_VF_DID, SIM_VF_DEVICE);
	cfg_w32(c, SIM_SRIOV + PCI_SRIOV_SUP_PGSIZE, 0x553);
	cfg_w32(c, SIM_SRIOV + PCI_SRIOV_SYS_PGSIZE, 1);
	cfg_ext_cap(c, SIM_ATS, PCI_EXT_CAP_ID_ATS, p->pri ? SIM_PRI : 0);
	cfg_w16(c, SIM_ATS + PCI_ATS_CAP, PCI_ATS_CAP_PAGE_ALIGNED);
	/* The host's PF driver programmed the STU; VFs inherit it (10.5.1.3). */
	cfg_w16(c, SIM_ATS + PCI_ATS_CTRL, PCI_ATS_CTRL_STU(p->ats_stu - PCI_ATS_MIN_STU));
	if (p->pri) {
		cfg_ext_cap(c, SIM_PRI, PCI_EXT_CAP_ID_PRI, p->pasid ? SIM_PASID : 0);
		cfg_w16(c, SIM_PRI + PCI_PRI_STATUS, PCI_PRI_STATUS_STOPPED |
			(p->pri_pasid_required ? PCI_PRI_STATUS_PASID : 0));
		cfg_w32(c, SIM_PRI + PCI_PRI_MAX_REQ, p->pri_capacity);
	} else if (p->pasid) {
		cfg_ext_cap(c, SIM_ATS, PCI_EXT_CAP_ID_ATS, SIM_PASID);
	}
	if (p->pasid) {
		cfg_ext_cap(c, SIM_PASID, PCI_EXT_CAP_ID_PASID, 0);
		cfg_w16(c, SIM_PASID + PCI_PASID_CAP, (uint16_t)(p->pasid_features |
			(p->pasid_max_width << 8 & PCI_PASID_CAP_WIDTH)));
	}
}

static void sim_build_vf(uint8_t *c)
{
	memset(c, 0, SIM_CFG_SIZE);
	cfg_pcie_cap(c, SIM_VF_DEVICE);
	/* SR-IOV 9.3.4.1: a VF's Vendor and Device ID read as all ones. */
	cfg_w16(c, PCI_VENDOR_ID, 0xffff);
	cfg_w16(c, PCI_DEVICE_ID, 0xffff);
	cfg_ext_cap(c, SIM_VF_ATS, PCI_EXT_CAP_ID_ATS, 0);
	cfg_w16(c, SIM_VF_ATS + PCI_ATS_CAP, PCI_ATS_CAP_PAGE_ALIGNED);
}

/* ---- rule checking ---- */

static void sim_violation(struct pvvf_pf_sim *s, enum pvvf_pf_sim_rule r)
{
	s->stats.violations[r]++;
	snprintf(s->last, sizeof(s->last), "%s", sim_rule_names[r]);
}

static bool sim_gone(struct pvvf_pf_sim *s)
{
	if (s->removed)
		sim_violation(s, PVVF_SIM_AFTER_REMOVE);
	return s->removed;
}

static bool sim_vf_bad(const struct pvvf_pf_sim *s, uint16_t vf)
{
	return vf >= s->p.num_vfs;
}

static uint16_t sim_pri_ctrl(const struct pvvf_pf_sim *s)
{
	return s->p.pri ? cfg_r16(s->cfg, SIM_PRI + PCI_PRI_CTRL) : 0;
}

static uint32_t sim_pri_alloc(const struct pvvf_pf_sim *s)
{
	return cfg_r32(s->cfg, SIM_PRI + PCI_PRI_ALLOC_REQ);
}

/* Stopped (10.5.2.3): PRI disabled and no page request outstanding. */
static void sim_pri_update_stopped(struct pvvf_pf_sim *s)
{
	uint16_t st;

	if (!s->p.pri)
		return;
	st = cfg_r16(s->cfg, SIM_PRI + PCI_PRI_STATUS) & ~PCI_PRI_STATUS_STOPPED;
	if (!(sim_pri_ctrl(s) & PCI_PRI_CTRL_ENABLE) && s->prq_live == 0)
		st |= PCI_PRI_STATUS_STOPPED;
	cfg_w16(s->cfg, SIM_PRI + PCI_PRI_STATUS, st);
}

/* ---- ops ---- */

static int sim_caps(void *ctx, struct pvvf_pf_caps *caps)
{
	struct pvvf_pf_sim *s = ctx;
	uint16_t pcap = cfg_r16(s->cfg, SIM_PASID + PCI_PASID_CAP);
	uint16_t actl = cfg_r16(s->cfg, SIM_ATS + PCI_ATS_CTRL);

	if (sim_gone(s))
		return -ENODEV;
	memset(caps, 0, sizeof(*caps));
	caps->num_vfs = cfg_r16(s->cfg, SIM_SRIOV + PCI_SRIOV_NUM_VF);
	caps->pasid = s->p.pasid;
	caps->pasid_max_width = s->p.pasid ? (uint8_t)((pcap & PCI_PASID_CAP_WIDTH) >> 8) : 0;
	caps->pasid_features = s->p.pasid ? (uint8_t)(pcap & (PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV)) : 0;
	caps->pri = s->p.pri;
	caps->pri_capacity = s->p.pri ? cfg_r32(s->cfg, SIM_PRI + PCI_PRI_MAX_REQ) : 0;
	caps->pri_pasid_required = s->p.pri &&
		(cfg_r16(s->cfg, SIM_PRI + PCI_PRI_STATUS) & PCI_PRI_STATUS_PASID);
	caps->ats_stu = (uint8_t)(PCI_ATS_CTRL_STU(actl) + PCI_ATS_MIN_STU);
	caps->vf_ats = true;
	return 0;
}

static void sim_bind(void *ctx, pvvf_pf_notify_fn *fn, void *cookie)
{
	struct pvvf_pf_sim *s = ctx;

	s->notify = fn;
	s->cookie = cookie;
}

static void sim_note(struct pvvf_pf_sim *s, enum pvvf_pf_note n, uint16_t vf)
{
	if (s->notify)
		s->notify(s->cookie, n, vf);
}

static int sim_pasid_ctrl_read(void *ctx, uint16_t *ctrl)
{
	struct pvvf_pf_sim *s = ctx;

	if (sim_gone(s) || !s->p.pasid)
		return -ENODEV;
	*ctrl = cfg_r16(s->cfg, SIM_PASID + PCI_PASID_CTRL);
	return 0;
}

/* Writes PASID Control; true if it changed while ATS was enabled somewhere. */
static bool sim_pasid_store(struct pvvf_pf_sim *s, uint16_t ctrl)
{
	uint16_t supported = PCI_PASID_CTRL_ENABLE |
		(cfg_r16(s->cfg, SIM_PASID + PCI_PASID_CAP) &
		 (PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV));
	uint16_t old = cfg_r16(s->cfg, SIM_PASID + PCI_PASID_CTRL);

	ctrl &= supported;	/* unsupported enables are RsvdP */
	cfg_w16(s->cfg, SIM_PASID + PCI_PASID_CTRL, ctrl);
	return old != ctrl && s->ats_on > 0;
}

static int sim_pasid_ctrl_write(void *ctx, uint16_t ctrl)
{
	struct pvvf_pf_sim *s = ctx;

	if (sim_gone(s) || !s->p.pasid)
		return -ENODEV;
	/* 7.8.9.3: behaviour is undefined if PASID Enable changes with ATS on. */
	if (sim_pasid_store(s, ctrl))
		sim_violation(s, PVVF_SIM_PASID_UNDER_ATS);
	return 0;
}

static bool sim_ats_any(void *ctx)
{
	struct pvvf_pf_sim *s = ctx;

	return !sim_gone(s) && s->ats_on > 0;
}

static void sim_ats_store(struct pvvf_pf_sim *s, uint8_t *cfg, uint16_t off, bool en)
{
	uint16_t ctl = cfg_r16(cfg, off + PCI_ATS_CTRL);
	bool was = ctl & PCI_ATS_CTRL_ENABLE;

	if (was == en)
		return;
	ctl = en ? ctl | PCI_ATS_CTRL_ENABLE : ctl & ~PCI_ATS_CTRL_ENABLE;
	cfg_w16(cfg, off + PCI_ATS_CTRL, ctl);
	s->ats_on = en ? s->ats_on + 1 : s->ats_on - 1;
}

static int sim_vf_ats_sync(void *ctx, uint16_t vf, bool enable, uint8_t stu)
{
	struct pvvf_pf_sim *s = ctx;
	uint16_t pf_stu = PCI_ATS_CTRL_STU(cfg_r16(s->cfg, SIM_ATS + PCI_ATS_CTRL));

	if (sim_gone(s) || sim_vf_bad(s, vf))
		return -ENODEV;
	/* 10.5.1.3: a VF's STU field is RsvdP, the PF's value applies. */
	if (enable && stu != pf_stu) {
		sim_violation(s, PVVF_SIM_VF_ATS_STU);
		return -EINVAL;
	}
	sim_ats_store(s, sim_vf_cfg(s, vf), SIM_VF_ATS, enable);
	return 0;
}

static int sim_pri_ctrl_write(void *ctx, uint16_t ctrl)
{
	struct pvvf_pf_sim *s = ctx;
	uint16_t old;

	if (sim_gone(s) || !s->p.pri)
		return -ENODEV;
	old = sim_pri_ctrl(s);
	/* 10.5.2.2: Reset is only meaningful with Enable clear. */
	if ((ctrl & PCI_PRI_CTRL_RESET) && ((old | ctrl) & PCI_PRI_CTRL_ENABLE))
		sim_violation(s, PVVF_SIM_PRI_RESET_ENABLED);
	if ((ctrl & PCI_PRI_CTRL_ENABLE) && sim_pri_alloc(s) == 0)
		sim_violation(s, PVVF_SIM_PRI_ENABLE_NO_ALLOC);
	if (ctrl & PCI_PRI_CTRL_RESET) {
		uint16_t st = cfg_r16(s->cfg, SIM_PRI + PCI_PRI_STATUS);

		cfg_w16(s->cfg, SIM_PRI + PCI_PRI_STATUS,
			st & ~(PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI));
	}
	cfg_w16(s->cfg, SIM_PRI + PCI_PRI_CTRL, ctrl & PCI_PRI_CTRL_ENABLE);
	sim_pri_update_stopped(s);
	return 0;
}

static int sim_pri_read(void *ctx, uint16_t *ctrl, uint16_t *status)
{
	struct pvvf_pf_sim *s = ctx;

	if (sim_gone(s) || !s->p.pri)
		return -ENODEV;
	*ctrl = sim_pri_ctrl(s);
	*status = cfg_r16(s->cfg, SIM_PRI + PCI_PRI_STATUS);
	return 0;
}

static int sim_pri_alloc_write(void *ctx, uint32_t alloc)
{
	struct pvvf_pf_sim *s = ctx;

	if (sim_gone(s) || !s->p.pri)
		return -ENODEV;
	/* 10.5.2.5: the allocation must not change while PRI is enabled. */
	if (sim_pri_ctrl(s) & PCI_PRI_CTRL_ENABLE)
		sim_violation(s, PVVF_SIM_PRI_ALLOC_ENABLED);
	cfg_w32(s->cfg, SIM_PRI + PCI_PRI_ALLOC_REQ, alloc);
	return 0;
}

static int sim_vf_pri_gate(void *ctx, uint16_t vf, uint32_t alloc)
{
	struct pvvf_pf_sim *s = ctx;

	if (sim_gone(s) || sim_vf_bad(s, vf) || !s->p.pri)
		return -ENODEV;
	s->gate_sum = s->gate_sum - s->vfs[vf].reg->gate + alloc;
	s->vfs[vf].reg->gate = alloc;
	if (s->gate_sum > sim_pri_alloc(s))
		sim_violation(s, PVVF_SIM_PRI_OVERCOMMIT);
	return 0;
}

static uint32_t sim_vf_pri_outstanding(void *ctx, uint16_t vf)
{
	struct pvvf_pf_sim *s = ctx;

	if (sim_gone(s) || sim_vf_bad(s, vf))
		return 0;
	return s->vfs[vf].outstanding;
}

static void sim_prq_retire(struct pvvf_pf_sim *s, struct sim_prq *r)
{
	r->live = false;
	s->vfs[r->vf].outstanding--;
	s->prq_live--;
	sim_pri_update_stopped(s);
}

static int sim_vf_pri_abort(void *ctx, uint16_t vf)
{
	struct pvvf_pf_sim *s = ctx;

	if (sim_gone(s) || sim_vf_bad(s, vf))
		return -ENODEV;
	for (uint32_t i = 0; i < s->p.pri_capacity && s->vfs[vf].outstanding; i++) {
		if (s->prq[i].live && s->prq[i].vf == vf) {
			sim_prq_retire(s, &s->prq[i]);
			s->stats.prq_aborted++;
		}
	}
	return 0;
}

static uint16_t sim_vf_pri_faults(void *ctx, uint16_t vf)
{
	struct pvvf_pf_sim *s = ctx;
	uint16_t f;

	if (sim_gone(s) || sim_vf_bad(s, vf))
		return 0;
	f = s->vfs[vf].reg->faults;
	s->vfs[vf].reg->faults = 0;
	return f;
}

static void sim_power_on(struct pvvf_pf_sim *s)
{
	sim_build_pf(&s->p, s->cfg);
	for (uint16_t i = 0; i < s->p.num_vfs; i++) {
		sim_build_vf(s->vfs[i].cfg);
		s->vfs[i].reg->gate = 0;
		s->vfs[i].reg->faults = 0;
		s->vfs[i].outstanding = 0;
	}
	if (s->prq)
		memset(s->prq, 0, sizeof(*s->prq) * s->p.pri_capacity);
	s->prq_live = 0;
	s->gate_sum = 0;
	s->ats_on = 0;
}

/* FLR of the PF: every register and every VF back to power-on. */
static int sim_reset(void *ctx)
{
	struct pvvf_pf_sim *s = ctx;

	if (sim_gone(s))
		return -ENODEV;
	sim_power_on(s);
	s->stats.resets++;
	return 0;
}

/* Complete every request due by @now; returns the earliest still pending. */
static uint64_t sim_poll(void *ctx, uint64_t now)
{
	struct pvvf_pf_sim *s = ctx;
	uint64_t next = UINT64_MAX;

	if (s->removed)
		return UINT64_MAX;
	for (uint32_t i = 0; i < s->p.pri_capacity && s->prq_live; i++) {
		struct sim_prq *r = &s->prq[i];

		if (!r->live)
			continue;
		if (r->due > now) {
			next = r->due < next ? r->due : next;
			continue;
		}
		sim_prq_retire(s, r);
		s->stats.prq_completed++;
		sim_note(s, PVVF_PF_NOTE_PRQ_DONE, r->vf);
	}
	return next;
}

const struct pvvf_pf_ops pvvf_pf_sim_ops = {
	.caps = sim_caps,
	.bind = sim_bind,
	.pasid_ctrl_read = sim_pasid_ctrl_read,
	.pasid_ctrl_write = sim_pasid_ctrl_write,
	.ats_any = sim_ats_any,
	.vf_ats_sync = sim_vf_ats_sync,
	.pri_ctrl_write = sim_pri_ctrl_write,
	.pri_read = sim_pri_read,
	.pri_alloc_write = sim_pri_alloc_write,
	.vf_pri_gate = sim_vf_pri_gate,
	.vf_pri_outstanding = sim_vf_pri_outstanding,
	.vf_pri_abort = sim_vf_pri_abort,
	.vf_pri_faults = sim_vf_pri_faults,
	.reset = sim_reset,
	.poll = sim_poll,
};

/* ---- lifetime ---- */

void pvvf_pf_sim_params_default(struct pvvf_pf_sim_params *p)
{
	memset(p, 0, sizeof(*p));
	p->num_vfs = 8;
	p->pasid = true;
	p->pasid_max_width = 20;
	p->pasid_features = PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV;
	p->pri = true;
	p->pri_capacity = 512;
	p->pri_pasid_required = true;
	p->ats_stu = PCI_ATS_MIN_STU;
	p->prq_delay_ns = 1000000;
	p->seed = 1;
}

static bool sim_params_ok(const struct pvvf_pf_sim_params *p)
{
	return p->num_vfs >= 1 && p->num_vfs <= SIM_MAX_VFS &&
	       p->pasid_max_width <= 20 &&
	       !(p->pasid_features & ~(PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV)) &&
	       (!p->pri || p->pri_capacity >= 1) &&
	       p->ats_stu >= PCI_ATS_MIN_STU && p->ats_stu < PCI_ATS_MIN_STU + 32;
}

/* ---- the state region, and its file ---- */

static size_t sim_region_len(const struct pvvf_pf_sim_params *p)
{
	return sizeof(struct sim_hdr) + SIM_CFG_SIZE * ((size_t)p->num_vfs + 1) +
	       sizeof(struct sim_vf_reg) * p->num_vfs +
	       sizeof(struct sim_prq) * (size_t)p->pri_capacity;
}

static void sim_hdr_fill(struct sim_hdr *h, const struct pvvf_pf_sim_params *p,
			 size_t len)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, SIM_STATE_MAGIC, sizeof(h->magic));
	h->version = SIM_STATE_VERSION;
	h->num_vfs = p->num_vfs;
	h->pri_capacity = p->pri_capacity;
	h->pasid = p->pasid;
	h->pasid_max_width = p->pasid_max_width;
	h->pasid_features = p->pasid_features;
	h->pri = p->pri;
	h->pri_pasid_required = p->pri_pasid_required;
	h->ats_stu = p->ats_stu;
	h->size = len;
}

/* Point the accessors into the region (every member is 8-byte aligned). */
static void sim_carve(struct pvvf_pf_sim *s)
{
	uint8_t *m = s->mem;
	struct sim_vf_reg *regs;

	s->cfg = m + sizeof(struct sim_hdr);
	s->vf_cfg = s->cfg + SIM_CFG_SIZE;
	regs = (struct sim_vf_reg *)(s->vf_cfg + (size_t)SIM_CFG_SIZE * s->p.num_vfs);
	s->prq = s->p.pri_capacity ? (struct sim_prq *)(regs + s->p.num_vfs) : NULL;
	for (uint16_t i = 0; i < s->p.num_vfs; i++) {
		s->vfs[i].cfg = s->vf_cfg + (size_t)i * SIM_CFG_SIZE;
		s->vfs[i].reg = &regs[i];
	}
}

/* Everything not kept in the region is a function of it. */
static void sim_derive(struct pvvf_pf_sim *s)
{
	s->prq_live = 0;
	s->gate_sum = 0;
	s->ats_on = !!(cfg_r16(s->cfg, SIM_ATS + PCI_ATS_CTRL) & PCI_ATS_CTRL_ENABLE);
	for (uint16_t i = 0; i < s->p.num_vfs; i++) {
		s->vfs[i].outstanding = 0;
		s->gate_sum += s->vfs[i].reg->gate;
		s->ats_on += !!(cfg_r16(s->vfs[i].cfg, SIM_VF_ATS + PCI_ATS_CTRL) &
				PCI_ATS_CTRL_ENABLE);
	}
	for (uint32_t i = 0; i < s->p.pri_capacity; i++) {
		if (!s->prq[i].live)
			continue;
		s->vfs[s->prq[i].vf].outstanding++;
		s->prq_live++;
	}
	sim_pri_update_stopped(s);
}

/* Registers software may write, and the bits it may set in them. */
struct sim_wreg {
	uint16_t off;
	uint8_t size;
	uint32_t bits;
};

static size_t sim_wregs(const struct pvvf_pf_sim *s, bool pf, struct sim_wreg *w)
{
	size_t n = 0;

	if (!pf) {
		w[n++] = (struct sim_wreg){ SIM_VF_ATS + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE };
		return n;
	}
	w[n++] = (struct sim_wreg){ SIM_ATS + PCI_ATS_CTRL, 2, PCI_ATS_CTRL_ENABLE };
	if (s->p.pasid)
		w[n++] = (struct sim_wreg){ SIM_PASID + PCI_PASID_CTRL, 2,
			PCI_PASID_CTRL_ENABLE | s->p.pasid_features };
	if (s->p.pri) {
		w[n++] = (struct sim_wreg){ SIM_PRI + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE };
		w[n++] = (struct sim_wreg){ SIM_PRI + PCI_PRI_STATUS, 2,
			PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI | PCI_PRI_STATUS_STOPPED };
		w[n++] = (struct sim_wreg){ SIM_PRI + PCI_PRI_ALLOC_REQ, 4, UINT32_MAX };
	}
	return n;
}

/*
 * A config image found in the file must be @fresh, the power-on image, but
 * for the writable registers, and those may hold only their own bits.
 */
static bool sim_image_ok(const struct pvvf_pf_sim *s, const uint8_t *img,
			 uint8_t *fresh, bool pf)
{
	struct sim_wreg w[6];
	size_t n = sim_wregs(s, pf, w);

	for (size_t i = 0; i < n; i++) {
		bool wide = w[i].size == 4;
		uint32_t v = wide ? cfg_r32(img, w[i].off) : cfg_r16(img, w[i].off);
		uint32_t f = wide ? cfg_r32(fresh, w[i].off) : cfg_r16(fresh, w[i].off);

		if ((v ^ f) & ~w[i].bits)
			return false;
		if (wide)
			cfg_w32(fresh, w[i].off, v);
		else
			cfg_w16(fresh, w[i].off, (uint16_t)v);
	}
	return !memcmp(img, fresh, SIM_CFG_SIZE);
}

static bool sim_prq_ok(const struct pvvf_pf_sim *s, const struct sim_prq *r)
{
	for (size_t i = 0; i < sizeof(r->reserved); i++)
		if (r->reserved[i])
			return false;
	return r->live <= 1 && (!r->live || r->vf < s->p.num_vfs);
}

/*
 * Check a region read from a file as hostile input: header, images, and
 * every register and page request slot.
 */
static bool sim_region_ok(const struct pvvf_pf_sim *s, const uint8_t *img,
			  char *why, size_t why_len)
{
	const uint8_t *vf_img = img + sizeof(struct sim_hdr) + SIM_CFG_SIZE;
	const struct sim_vf_reg *regs =
		(const void *)(vf_img + (size_t)SIM_CFG_SIZE * s->p.num_vfs);
	const struct sim_prq *prq = (const void *)(regs + s->p.num_vfs);
	uint8_t fresh[SIM_CFG_SIZE];
	struct sim_hdr want;

	sim_hdr_fill(&want, &s->p, s->mem_len);
	if (memcmp(img, &want, sizeof(want))) {
		snprintf(why, why_len, "header differs (another PF's, or other parameters)");
		return false;
	}
	sim_build_pf(&s->p, fresh);
	if (!sim_image_ok(s, img + sizeof(want), fresh, true)) {
		snprintf(why, why_len, "PF configuration space is not this PF's");
		return false;
	}
	for (uint16_t i = 0; i < s->p.num_vfs; i++) {
		sim_build_vf(fresh);
		if (!sim_image_ok(s, vf_img + (size_t)i * SIM_CFG_SIZE, fresh, false) ||
		    regs[i].faults & ~(PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI) ||
		    regs[i].reserved || (regs[i].gate && !s->p.pri)) {
			snprintf(why, why_len, "VF %u: configuration or registers out of range", i);
			return false;
		}
	}
	for (uint32_t i = 0; i < s->p.pri_capacity; i++) {
		if (!sim_prq_ok(s, &prq[i])) {
			snprintf(why, why_len, "page request slot %u out of range", i);
			return false;
		}
	}
	return true;
}

/*
 * Map the file, locked for as long as the PF lives (@lock_fd): one device,
 * one driver; a second process must not touch it.
 */
static void *sim_map(const char *path, size_t len, bool *existed, int *err,
		     int *lock_fd)
{
	struct stat st;
	void *m;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		*err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return NULL;
	}
	*existed = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
	if (*existed && (uint64_t)st.st_size != len)
		*err = -EINVAL;		/* not ours: start afresh at the right size */
	if (ftruncate(fd, (off_t)len)) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	*lock_fd = fd;
	return m;
}

/*
 * Attach the region: the file's state if it is valid, else power-on.
 * Returns 1 if the state came from the file.
 */
static int sim_attach(struct pvvf_pf_sim *s, const char *path, char *why,
		      size_t why_len)
{
	bool existed = false;
	int err = 0;
	uint8_t *copy;

	s->mem_len = sim_region_len(&s->p);
	if (!path) {
		s->mem = calloc(1, s->mem_len);
		if (!s->mem)
			return -ENOMEM;
		sim_carve(s);
		return 0;
	}
	s->mem = sim_map(path, s->mem_len, &existed, &err, &s->lock_fd);
	if (!s->mem) {
		if (err == -EBUSY)
			snprintf(why, why_len, "state=%s: another process drives this PF", path);
		return err;
	}
	s->mapped = true;
	sim_carve(s);
	if (err)
		snprintf(why, why_len, "size differs (another PF's, or other parameters)");
	if (!existed || err)
		return 0;
	/* Validate a private copy: the file can change under us. */
	copy = malloc(s->mem_len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s->mem, s->mem_len);
	if (!sim_region_ok(s, copy, why, why_len)) {
		free(copy);
		return 0;
	}
	memcpy(s->mem, copy, s->mem_len);
	free(copy);
	return 1;
}

struct pvvf_pf_sim *pvvf_pf_sim_open(const struct pvvf_pf_sim_params *p,
				     const char *state_path, int *restored,
				     char *why, size_t why_len)
{
	struct pvvf_pf_sim *s;
	int ret;

	if (why_len)
		why[0] = '\0';
	if (!sim_params_ok(p))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->p = *p;
	s->lock_fd = -1;
	if (!p->pri)
		s->p.pri_capacity = 0;
	s->rng = p->seed ? p->seed : 1;
	s->vfs = calloc(p->num_vfs, sizeof(*s->vfs));
	ret = s->vfs ? sim_attach(s, state_path, why, why_len) : -ENOMEM;
	if (ret < 0) {
		if (why_len && !why[0])
			snprintf(why, why_len, "%s: %s", state_path ? state_path : "memory",
				 strerror(-ret));
		pvvf_pf_sim_destroy(s);
		return NULL;
	}
	if (ret == 0) {
		sim_power_on(s);
		sim_hdr_fill(s->mem, &s->p, s->mem_len);
	}
	sim_derive(s);
	if (restored)
		*restored = ret;
	return s;
}

struct pvvf_pf_sim *pvvf_pf_sim_create(const struct pvvf_pf_sim_params *p)
{
	return pvvf_pf_sim_open(p, NULL, NULL, NULL, 0);
}

void pvvf_pf_sim_destroy(struct pvvf_pf_sim *s)
{
	if (!s)
		return;
	if (s->mapped)
		munmap(s->mem, s->mem_len);
	else
		free(s->mem);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->vfs);
	free(s);
}

/* ---- page requests ---- */

/* A function issues page requests only with PRI enabled (10.4.1). */
static bool sim_prq_allowed(const struct pvvf_pf_sim *s, uint16_t vf)
{
	const struct sim_vf *v = &s->vfs[vf];

	return (sim_pri_ctrl(s) & PCI_PRI_CTRL_ENABLE) &&
	       v->outstanding < v->reg->gate && s->prq_live < sim_pri_alloc(s) &&
	       s->prq_live < s->p.pri_capacity;
}

static bool sim_prq_issue(struct pvvf_pf_sim *s, uint16_t vf, uint64_t now)
{
	if (!sim_prq_allowed(s, vf)) {
		s->stats.prq_refused++;
		return false;
	}
	for (uint32_t i = 0; i < s->p.pri_capacity; i++) {
		struct sim_prq *r = &s->prq[i];

		if (r->live)
			continue;
		r->live = true;
		r->vf = vf;
		r->due = now + s->p.prq_delay_ns;
		s->vfs[vf].outstanding++;
		s->prq_live++;
		s->stats.prq_issued++;
		sim_pri_update_stopped(s);
		return true;
	}
	return false;
}

uint32_t pvvf_pf_sim_inject(struct pvvf_pf_sim *s, uint16_t vf, uint32_t n,
			    uint64_t now)
{
	uint32_t done = 0;

	if (s->removed || sim_vf_bad(s, vf) || !s->p.pri)
		return 0;
	while (done < n && sim_prq_issue(s, vf, now))
		done++;
	return done;
}

/* xorshift64: deterministic for a seed, good enough to pick VFs */
static uint64_t sim_rand(struct pvvf_pf_sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

uint32_t pvvf_pf_sim_inject_random(struct pvvf_pf_sim *s, uint32_t n, uint64_t now)
{
	uint32_t done = 0;

	for (uint32_t i = 0; i < n; i++)
		done += pvvf_pf_sim_inject(s, (uint16_t)(sim_rand(s) % s->p.num_vfs), 1, now);
	return done;
}

static struct sim_prq *sim_prq_oldest(struct pvvf_pf_sim *s, uint16_t vf)
{
	struct sim_prq *best = NULL;

	for (uint32_t i = 0; i < s->p.pri_capacity; i++) {
		struct sim_prq *r = &s->prq[i];

		if (r->live && r->vf == vf && (!best || r->due < best->due))
			best = r;
	}
	return best;
}

uint32_t pvvf_pf_sim_complete(struct pvvf_pf_sim *s, uint16_t vf, uint32_t n)
{
	uint32_t done = 0;

	if (s->removed || sim_vf_bad(s, vf) || !s->p.pri)
		return 0;
	while (done < n && s->vfs[vf].outstanding) {
		sim_prq_retire(s, sim_prq_oldest(s, vf));
		s->stats.prq_completed++;
		done++;
	}
	if (done)
		sim_note(s, PVVF_PF_NOTE_PRQ_DONE, vf);
	return done;
}

void pvvf_pf_sim_vf_pri_fault(struct pvvf_pf_sim *s, uint16_t vf, uint16_t bits)
{
	if (s->removed || sim_vf_bad(s, vf))
		return;
	s->vfs[vf].reg->faults |= bits & (PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI);
	sim_note(s, PVVF_PF_NOTE_PRI_FAULT, vf);
}

/* ---- host actions ---- */

void pvvf_pf_sim_host_pasid(struct pvvf_pf_sim *s, bool enable, uint8_t features)
{
	if (s->removed || !s->p.pasid)
		return;
	if (sim_pasid_store(s, enable ? (uint16_t)(PCI_PASID_CTRL_ENABLE | features) : 0))
		s->stats.host_violations++;
	sim_note(s, PVVF_PF_NOTE_PASID, 0);
}

void pvvf_pf_sim_host_pri_disable(struct pvvf_pf_sim *s)
{
	if (s->removed || !s->p.pri)
		return;
	cfg_w16(s->cfg, SIM_PRI + PCI_PRI_CTRL, 0);
	sim_pri_update_stopped(s);
	sim_note(s, PVVF_PF_NOTE_PRI, 0);
}

void pvvf_pf_sim_host_pri_enable(struct pvvf_pf_sim *s, uint32_t alloc)
{
	if (s->removed || !s->p.pri || (sim_pri_ctrl(s) & PCI_PRI_CTRL_ENABLE))
		return;
	cfg_w32(s->cfg, SIM_PRI + PCI_PRI_ALLOC_REQ, alloc);
	cfg_w16(s->cfg, SIM_PRI + PCI_PRI_CTRL, PCI_PRI_CTRL_ENABLE);
	sim_pri_update_stopped(s);
	sim_note(s, PVVF_PF_NOTE_PRI, 0);
}

void pvvf_pf_sim_host_ats(struct pvvf_pf_sim *s, bool enable)
{
	if (s->removed)
		return;
	sim_ats_store(s, s->cfg, SIM_ATS, enable);
	sim_note(s, PVVF_PF_NOTE_ATS, 0);
}

void pvvf_pf_sim_request_reset(struct pvvf_pf_sim *s)
{
	if (!s->removed)
		sim_note(s, PVVF_PF_NOTE_RESET_REQ, 0);
}

void pvvf_pf_sim_request_vf_reset(struct pvvf_pf_sim *s, uint16_t vf)
{
	if (!s->removed && !sim_vf_bad(s, vf))
		sim_note(s, PVVF_PF_NOTE_VF_RESET_REQ, vf);
}

void pvvf_pf_sim_remove(struct pvvf_pf_sim *s)
{
	if (s->removed)
		return;
	s->removed = true;
	sim_note(s, PVVF_PF_NOTE_REMOVED, 0);
}

/* ---- observation ---- */

const struct pvvf_pf_sim_stats *pvvf_pf_sim_stats(const struct pvvf_pf_sim *s)
{
	return &s->stats;
}

uint32_t pvvf_pf_sim_violation_count(const struct pvvf_pf_sim *s)
{
	uint32_t n = 0;

	for (int i = 0; i < PVVF_SIM_RULE_COUNT; i++)
		n += s->stats.violations[i];
	return n;
}

const char *pvvf_pf_sim_last_violation(const struct pvvf_pf_sim *s)
{
	return s->last;
}

uint32_t pvvf_pf_sim_cfg_read(const struct pvvf_pf_sim *s, int vf, uint16_t off, int size)
{
	const uint8_t *c;

	if (vf >= (int)s->p.num_vfs || off >= SIM_CFG_SIZE || off + size > SIM_CFG_SIZE)
		return UINT32_MAX;
	c = vf < 0 ? s->cfg : sim_vf_cfg(s, (uint16_t)vf);
	if (size == 1)
		return c[off];
	return size == 2 ? cfg_r16(c, off) : cfg_r32(c, off);
}

/* Walks the extended capability list, as a driver would (7.6.3). */
uint16_t pvvf_pf_sim_cap(const struct pvvf_pf_sim *s, uint16_t id)
{
	uint16_t off = 0x100;

	for (int guard = 0; off && guard < 64; guard++) {
		uint32_t h = cfg_r32(s->cfg, off);

		if (PCI_EXT_CAP_ID(h) == id)
			return off;
		off = (uint16_t)PCI_EXT_CAP_NEXT(h);
	}
	return 0;
}

uint16_t pvvf_pf_sim_vf_free_offset(const struct pvvf_pf_sim *s)
{
	(void)s;
	return SIM_VF_FREE;
}

uint32_t pvvf_pf_sim_outstanding(const struct pvvf_pf_sim *s, uint16_t vf)
{
	return sim_vf_bad(s, vf) ? 0 : s->vfs[vf].outstanding;
}
