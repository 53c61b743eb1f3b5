// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: transparent mode over a fake PCI bus.  The bus's config space is
 * an array; the VF's requests go through the real request engine over a
 * fake ring that answers at once with a chosen status.  The PCI core's own
 * pci_find_ext_capability(), pci_enable_pasid() and PRI calls run against
 * it, through pvvf's wrapper of the bus's ops.
 */
#include <kunit/test.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/string.h>

#include "../guest/cfg_ops.h"
#include "../guest/internal.h"

#define VF_DEVFN	PCI_DEVFN(0, 0)
#define OTHER_DEVFN	PCI_DEVFN(1, 0)
#define CAP_OFF		0x108
#define SLOT		5
#define MAX_REQS	16

struct fake_req {
	u16 opcode;
	u32 vf;
	u32 value;		/* PASID features, PRI allocation, ATS enable|stu<<8 */
};

struct fake {
	struct pci_bus bus;
	struct pci_dev pdev;
	u8 cfg[2][PCI_CFG_SPACE_EXP_SIZE];	/* VF_DEVFN, OTHER_DEVFN */
	/* the device */
	struct pvvf_dev pv;
	struct pvvf_vf vf;
	u16 status;		/* what the host answers */
	void *token;
	u8 *in;
	unsigned int nr_reqs;
	struct fake_req reqs[MAX_REQS];
	unsigned int resyncs;
	struct pvvf_cfg_view *view;
	bool absent;		/* VF_DEVFN: no function answers (hot-add) */
};

static struct fake *the_fake;

static u32 le32_at(const u8 *p)
{
	__le32 v;

	memcpy(&v, p, sizeof(v));
	return le32_to_cpu(v);
}

static u8 *fake_cfg(unsigned int devfn)
{
	if (devfn == VF_DEVFN)
		return the_fake->cfg[0];
	if (devfn == OTHER_DEVFN)
		return the_fake->cfg[1];
	return NULL;
}

static int fake_read(struct pci_bus *bus, unsigned int devfn, int where,
		     int size, u32 *val)
{
	u8 *cfg = fake_cfg(devfn);
	u32 v = 0;

	if (devfn == VF_DEVFN && the_fake->absent) {
		/* As a root port reads a slot with nothing in it. */
		*val = size == 4 ? ~0U : (1U << (8 * size)) - 1;
		return PCIBIOS_SUCCESSFUL;
	}
	if (!cfg || where + size > PCI_CFG_SPACE_EXP_SIZE) {
		*val = ~0U;
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	memcpy(&v, cfg + where, size);
	*val = le32_to_cpu(v);
	return PCIBIOS_SUCCESSFUL;
}

static int fake_write(struct pci_bus *bus, unsigned int devfn, int where,
		      int size, u32 val)
{
	u8 *cfg = fake_cfg(devfn);
	__le32 v = cpu_to_le32(val);

	if (devfn == VF_DEVFN && the_fake->absent)
		return PCIBIOS_SUCCESSFUL;
	if (!cfg || where + size > PCI_CFG_SPACE_EXP_SIZE)
		return PCIBIOS_DEVICE_NOT_FOUND;
	memcpy(cfg + where, &v, size);
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops fake_pci_ops = {
	.read = fake_read,
	.write = fake_write,
};

/* The ring: every request is answered at once with the_fake->status. */
static int ring_add(void *ctx, void *token, void *out, unsigned int out_len,
		    void *in, unsigned int in_len)
{
	struct fake *f = ctx;
	struct virtio_pvvf_req_head rq;
	struct fake_req *r;

	if (f->token || f->nr_reqs == MAX_REQS)
		return -ENOSPC;
	memcpy(&rq, out, sizeof(rq));
	r = &f->reqs[f->nr_reqs++];
	r->opcode = le16_to_cpu(rq.opcode);
	r->vf = le32_to_cpu(rq.vf);
	r->value = 0;
	if (out_len == sizeof(struct virtio_pvvf_req_pasid_enable) &&
	    r->opcode == VIRTIO_PVVF_OP_PASID_ENABLE)
		r->value = ((u8 *)out)[16];
	if (out_len == sizeof(struct virtio_pvvf_req_ats_set) &&
	    r->opcode == VIRTIO_PVVF_OP_ATS_SET)
		r->value = ((u8 *)out)[16] | ((u8 *)out)[17] << 8;
	if (out_len == sizeof(struct virtio_pvvf_req_pri_enable) &&
	    r->opcode == VIRTIO_PVVF_OP_PRI_ENABLE)
		r->value = le32_at((u8 *)out + 16);
	memset(in, 0, in_len);
	((struct virtio_pvvf_resp_head *)in)->status = cpu_to_le16(f->status);
	((struct virtio_pvvf_resp_head *)in)->tag = rq.tag;
	f->token = token;
	f->in = in;
	return 0;
}

static bool ring_kick_prepare(void *ctx)
{
	return false;
}

static void *ring_get_buf(void *ctx, unsigned int *len)
{
	struct fake *f = ctx;
	void *token = f->token;

	f->token = NULL;
	*len = sizeof(struct virtio_pvvf_resp_head);
	return token;
}

static void ring_notify(void *ctx)
{
}

static const struct pvvf_xport_ops ring_ops = {
	.add = ring_add,
	.kick_prepare = ring_kick_prepare,
	.get_buf = ring_get_buf,
	.notify = ring_notify,
};

static void fake_resync(struct work_struct *work)
{
	the_fake->resyncs++;
}

/* Resyncs run from a work item: count those scheduled so far. */
static unsigned int resyncs(void)
{
	if (the_fake->view)
		flush_work(&the_fake->view->resync_work);
	return the_fake->resyncs;
}

static void put_dword(u8 *cfg, int where, u32 val)
{
	__le32 v = cpu_to_le32(val);

	memcpy(cfg + where, &v, 4);
}

/* The VF's real config space: a PCIe endpoint with ATS at 0x100. */
static void fake_real_layout(u8 *cfg)
{
	memset(cfg, 0, PCI_CFG_SPACE_EXP_SIZE);
	put_dword(cfg, PCI_VENDOR_ID, 0x10441af4);
	put_dword(cfg, 0x100, PCI_EXT_CAP_ID_ATS | 1 << 16);
	put_dword(cfg, 0x104, 0x20);
}

static const struct pvvf_order_caps fake_caps = {
	.pasid = true,
	.pri = true,
	.pasid_features = VIRTIO_PVVF_PASID_EXEC,
	.pri_capacity = 64,
	.ats_stu = 12,
};

static int fake_view(struct kunit *test, u16 off)
{
	struct pvvf_cap_layout l;
	int err;

	err = pvvf_cfg_layout(&the_fake->bus, VF_DEVFN, off, &fake_caps, 16,
			      VIRTIO_PVVF_PRI_PASID, &l);
	if (err)
		return err;
	the_fake->view = pvvf_cfg_add(&the_fake->bus, VF_DEVFN, &l,
				      fake_resync);
	KUNIT_ASSERT_FALSE(test, IS_ERR(the_fake->view));
	return 0;
}

/*
 * A view for a function not there yet, as pvvf_tp_pend() makes it: the
 * slot's state, and the PF's values to place once the function answers.
 */
static void fake_pending(struct kunit *test, u16 off)
{
	struct pvvf_cfg_want w = {
		.id = 0x10441af4,	/* fake_real_layout()'s */
		.off = off, .caps = fake_caps, .pasid_width = 16,
		.pri_status = VIRTIO_PVVF_PRI_PASID,
	};

	the_fake->view = pvvf_cfg_add_pending(&the_fake->bus, VF_DEVFN, &w,
					      fake_resync, &the_fake->pv,
					      SLOT);
	KUNIT_ASSERT_FALSE(test, IS_ERR(the_fake->view));
}

/* Views hold their bus; the fake one lives as long as the test. */
static void fake_bus_release(struct device *dev)
{
}

static int fake_init(struct kunit *test)
{
	struct fake *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	the_fake = f;
	device_initialize(&f->bus.dev);
	f->bus.dev.release = fake_bus_release;
	INIT_LIST_HEAD(&f->bus.devices);
	INIT_LIST_HEAD(&f->bus.children);
	f->bus.ops = &fake_pci_ops;
	f->bus.number = 0;
	f->pdev.bus = &f->bus;
	f->pdev.devfn = VF_DEVFN;
	f->pdev.vendor = 0x1af4;
	f->pdev.device = 0x1044;
	f->pdev.cfg_size = PCI_CFG_SPACE_EXP_SIZE;
	f->pdev.pcie_cap = 0x40;
	f->pdev.pcie_flags_reg = PCI_EXP_TYPE_ENDPOINT << 4;
	/* docs/design.md: what pvvf sets before the IOMMU probes. */
	f->pdev.pasid_no_tlp = 1;
	fake_real_layout(f->cfg[0]);
	fake_real_layout(f->cfg[1]);

	KUNIT_ASSERT_EQ(test, pvvf_req_pool_init(&f->pv.pool, 2, &ring_ops, f),
			0);
	kref_init(&f->vf.ref);
	f->vf.pdev = &f->pdev;
	f->vf.slot = SLOT;
	f->vf.pv = &f->pv;
	mutex_init(&f->vf.op_lock);
	spin_lock_init(&f->vf.lock);
	pvvf_order_init(&f->vf.order, &fake_caps);
	return 0;
}

static void fake_exit(struct kunit *test)
{
	struct fake *f = the_fake;

	if (f->view) {
		pvvf_cfg_unlink(f->view);
		pvvf_cfg_remove(f->view);
	}
	pvvf_req_pool_destroy(&f->pv.pool);
	put_device(&f->bus.dev);
	the_fake = NULL;
}

/* As pci_init_capabilities() does when the function is enumerated. */
static void fake_enumerate(struct pci_dev *pdev)
{
	u16 status;

	pdev->ats_cap = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_ATS);
	pdev->pasid_cap = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_PASID);
	pdev->pri_cap = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_PRI);
	if (pdev->pri_cap) {
		pci_read_config_word(pdev, pdev->pri_cap + PCI_PRI_STATUS,
				     &status);
		pdev->pasid_required = !!(status & PCI_PRI_STATUS_PASID);
	}
}

static void fake_attach(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, fake_view(test, CAP_OFF), 0);
	pvvf_cfg_link(the_fake->view, &the_fake->vf);
	fake_enumerate(&the_fake->pdev);
}

static u16 cfg_word(int where)
{
	u16 v;

	pci_read_config_word(&the_fake->pdev, where, &v);
	return v;
}

static bool synth_bytes_untouched(void)
{
	return !memchr_inv(the_fake->cfg[0] + CAP_OFF, 0, PVVF_CAP_SIZE);
}

/* ---- the capabilities and the chain ---- */

static void test_find_caps(struct kunit *test)
{
	struct pci_dev other = the_fake->pdev;

	other.devfn = OTHER_DEVFN;
	fake_attach(test);
	KUNIT_EXPECT_TRUE(test, pvvf_cfg_bus_wrapped(&the_fake->bus));
	KUNIT_EXPECT_EQ(test, pci_find_ext_capability(&the_fake->pdev,
						      PCI_EXT_CAP_ID_ATS), 0x100);
	KUNIT_EXPECT_EQ(test, the_fake->pdev.pasid_cap, CAP_OFF);
	KUNIT_EXPECT_EQ(test, the_fake->pdev.pri_cap, CAP_OFF + 8);
	KUNIT_EXPECT_TRUE(test, the_fake->pdev.pasid_required);
	/* Another function on the same bus sees only its own. */
	KUNIT_EXPECT_EQ(test, pci_find_ext_capability(&other,
						      PCI_EXT_CAP_ID_PASID), 0);
	KUNIT_EXPECT_EQ(test, pci_find_ext_capability(&other,
						      PCI_EXT_CAP_ID_ATS), 0x100);
	/* Read-only fields: the PF's. */
	KUNIT_EXPECT_EQ(test, pci_max_pasids(&the_fake->pdev), 1 << 16);
	KUNIT_EXPECT_EQ(test, pci_pasid_features(&the_fake->pdev),
			PCI_PASID_CAP_EXEC);
	KUNIT_EXPECT_TRUE(test, pci_pri_supported(&the_fake->pdev));
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + 8 + PCI_PRI_MAX_REQ), 64);
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + 8 + PCI_PRI_STATUS),
			PCI_PRI_STATUS_STOPPED | PCI_PRI_STATUS_PASID);
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 0);
}

/*
 * Walk the chain as a strict reader would: it ends, nothing overlaps, and
 * it holds @n capabilities.
 */
static void expect_chain_well_formed(struct kunit *test, int n)
{
	int pos = 0x100, seen = 0, offs[16], i, j;
	u32 hdr;

	do {
		KUNIT_ASSERT_LT(test, seen, 16);
		KUNIT_EXPECT_EQ(test, pos & 3, 0);
		KUNIT_EXPECT_GE(test, pos, 0x100);
		offs[seen++] = pos;
		pci_read_config_dword(&the_fake->pdev, pos, &hdr);
		pos = PCI_EXT_CAP_NEXT(hdr);
	} while (pos);
	KUNIT_EXPECT_EQ(test, seen, n);
	for (i = 0; i < seen; i++)
		for (j = i + 1; j < seen; j++)
			/* 8 bytes: ATS and PASID are 8, PRI starts 8 later */
			KUNIT_EXPECT_GE(test, abs(offs[i] - offs[j]), 8);
	/* The real header is unchanged in the array: only its view links. */
	hdr = le32_at(the_fake->cfg[0] + 0x100);
	KUNIT_EXPECT_EQ(test, PCI_EXT_CAP_NEXT(hdr), 0);
}

static void test_chain_well_formed(struct kunit *test)
{
	fake_attach(test);
	expect_chain_well_formed(test, 3);	/* ATS, PASID, PRI */
}

static void test_empty_chain(struct kunit *test)
{
	memset(the_fake->cfg[0] + 0x100, 0, 8);
	KUNIT_ASSERT_EQ(test, fake_view(test, 0x200), 0);
	fake_enumerate(&the_fake->pdev);
	KUNIT_EXPECT_EQ(test, the_fake->pdev.pasid_cap, 0x200);
	KUNIT_EXPECT_EQ(test, the_fake->pdev.pri_cap, 0x208);
	KUNIT_EXPECT_EQ(test, pci_find_ext_capability(&the_fake->pdev,
						      PCI_EXT_CAP_ID_ATS), 0);
}

static void test_empty_chain_at_start(struct kunit *test)
{
	memset(the_fake->cfg[0] + 0x100, 0, 8);
	KUNIT_ASSERT_EQ(test, fake_view(test, 0x100), 0);
	fake_enumerate(&the_fake->pdev);
	KUNIT_EXPECT_EQ(test, the_fake->pdev.pasid_cap, 0x100);
	KUNIT_EXPECT_EQ(test, the_fake->pdev.pri_cap, 0x108);
}

static void test_layout_refusals(struct kunit *test)
{
	u8 *cfg = the_fake->cfg[0];

	/* Not free: a byte in use, or a real capability there. */
	cfg[CAP_OFF + 13] = 1;
	KUNIT_EXPECT_EQ(test, fake_view(test, CAP_OFF), -EBUSY);
	fake_real_layout(cfg);
	put_dword(cfg, 0x100, PCI_EXT_CAP_ID_ATS | 1 << 16 | 0x110 << 20);
	put_dword(cfg, 0x110, PCI_EXT_CAP_ID_ACS | 1 << 16);
	KUNIT_EXPECT_EQ(test, fake_view(test, CAP_OFF), -EBUSY);
	/* A PASID or PRI capability of its own: no VF. */
	put_dword(cfg, 0x110, PCI_EXT_CAP_ID_PASID | 1 << 16);
	KUNIT_EXPECT_EQ(test, fake_view(test, 0x200), -EEXIST);
	put_dword(cfg, 0x110, PCI_EXT_CAP_ID_PRI | 1 << 16);
	KUNIT_EXPECT_EQ(test, fake_view(test, 0x200), -EEXIST);
	/* A chain that loops. */
	put_dword(cfg, 0x110, PCI_EXT_CAP_ID_ACS | 1 << 16 | 0x100 << 20);
	KUNIT_EXPECT_EQ(test, fake_view(test, 0x200), -ELOOP);
	/* No extended configuration space. */
	put_dword(cfg, 0x100, 0xffffffff);
	KUNIT_EXPECT_EQ(test, fake_view(test, 0x200), -ENXIO);
	/* Bad offsets. */
	fake_real_layout(cfg);
	KUNIT_EXPECT_EQ(test, fake_view(test, 0x10a), -EINVAL);
	KUNIT_EXPECT_EQ(test, fake_view(test, 0xfec), -EINVAL);
	KUNIT_EXPECT_EQ(test, fake_view(test, 0xfc), -EINVAL);
	KUNIT_EXPECT_FALSE(test, pvvf_cfg_bus_wrapped(&the_fake->bus));
	KUNIT_EXPECT_PTR_EQ(test, the_fake->bus.ops, &fake_pci_ops);
}

/* ---- writes become requests ---- */

static void test_pasid_enable_disable(struct kunit *test)
{
	struct pci_dev *pdev = &the_fake->pdev;

	fake_attach(test);
	KUNIT_ASSERT_EQ(test, pci_enable_pasid(pdev, PCI_PASID_CAP_EXEC), 0);
	KUNIT_ASSERT_EQ(test, the_fake->nr_reqs, 1);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[0].opcode,
			VIRTIO_PVVF_OP_PASID_ENABLE);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[0].vf, SLOT);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[0].value, VIRTIO_PVVF_PASID_EXEC);
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + PCI_PASID_CTRL),
			PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC);
	KUNIT_EXPECT_TRUE(test, the_fake->vf.order.pasid);

	pci_disable_pasid(pdev);
	KUNIT_ASSERT_EQ(test, the_fake->nr_reqs, 2);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[1].opcode,
			VIRTIO_PVVF_OP_PASID_DISABLE);
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + PCI_PASID_CTRL), 0);
	KUNIT_EXPECT_FALSE(test, the_fake->vf.order.pasid);
	KUNIT_EXPECT_TRUE(test, synth_bytes_untouched());
}

static void test_pasid_refused(struct kunit *test)
{
	fake_attach(test);
	the_fake->status = VIRTIO_PVVF_S_EBUSY;
	/* The PCI core does not read its write back; the view tells. */
	pci_enable_pasid(&the_fake->pdev, 0);
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 1);
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + PCI_PASID_CTRL), 0);
	KUNIT_EXPECT_FALSE(test, the_fake->vf.order.pasid);
	KUNIT_EXPECT_EQ(test, the_fake->vf.order.inflight, PVVF_OP_NONE);
}

static void test_pasid_needs_no_tlp(struct kunit *test)
{
	fake_attach(test);
	the_fake->pdev.pasid_no_tlp = 0;
	KUNIT_EXPECT_EQ(test, pci_enable_pasid(&the_fake->pdev, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 0);
}

static void test_pri_cycle(struct kunit *test)
{
	struct pci_dev *pdev = &the_fake->pdev;
	int pri = CAP_OFF + 8;

	fake_attach(test);
	KUNIT_ASSERT_EQ(test, pci_enable_pri(pdev, 100), 0);
	KUNIT_ASSERT_EQ(test, the_fake->nr_reqs, 1);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[0].opcode,
			VIRTIO_PVVF_OP_PRI_ENABLE);
	/* pci_enable_pri() clamps to the capacity, the PF's 64. */
	KUNIT_EXPECT_EQ(test, the_fake->reqs[0].value, 64);
	KUNIT_EXPECT_EQ(test, cfg_word(pri + PCI_PRI_CTRL),
			PCI_PRI_CTRL_ENABLE);
	KUNIT_EXPECT_EQ(test, cfg_word(pri + PCI_PRI_STATUS),
			PCI_PRI_STATUS_PASID);
	KUNIT_EXPECT_EQ(test, cfg_word(pri + PCI_PRI_ALLOC_REQ), 64);

	pci_disable_pri(pdev);
	KUNIT_ASSERT_EQ(test, the_fake->nr_reqs, 2);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[1].opcode,
			VIRTIO_PVVF_OP_PRI_DISABLE);
	KUNIT_EXPECT_EQ(test, cfg_word(pri + PCI_PRI_CTRL), 0);
	/* Draining: not Stopped until the host says so. */
	KUNIT_EXPECT_FALSE(test, cfg_word(pri + PCI_PRI_STATUS) &
			   PCI_PRI_STATUS_STOPPED);
	/* Reset before Stopped: the ordering rules refuse, nothing sent. */
	KUNIT_EXPECT_EQ(test, pci_reset_pri(pdev), 0);
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 2);

	spin_lock_irq(&the_fake->vf.lock);
	KUNIT_EXPECT_TRUE(test, pvvf_order_pri_status(&the_fake->vf.order,
						      VIRTIO_PVVF_PRI_STOPPED |
						      VIRTIO_PVVF_PRI_RF));
	spin_unlock_irq(&the_fake->vf.lock);
	KUNIT_EXPECT_EQ(test, cfg_word(pri + PCI_PRI_STATUS),
			PCI_PRI_STATUS_STOPPED | PCI_PRI_STATUS_RF |
			PCI_PRI_STATUS_PASID);
	KUNIT_EXPECT_EQ(test, pci_reset_pri(pdev), 0);
	KUNIT_ASSERT_EQ(test, the_fake->nr_reqs, 3);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[2].opcode,
			VIRTIO_PVVF_OP_PRI_RESET);
	KUNIT_EXPECT_EQ(test, cfg_word(pri + PCI_PRI_STATUS),
			PCI_PRI_STATUS_STOPPED | PCI_PRI_STATUS_PASID);
	KUNIT_EXPECT_TRUE(test, synth_bytes_untouched());
}

static void test_pri_refused(struct kunit *test)
{
	struct pci_dev *pdev = &the_fake->pdev;
	int pri = CAP_OFF + 8;

	fake_attach(test);
	the_fake->status = VIRTIO_PVVF_S_ENOSPC;
	pci_enable_pri(pdev, 8);
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 1);
	KUNIT_EXPECT_EQ(test, cfg_word(pri + PCI_PRI_CTRL), 0);
	KUNIT_EXPECT_EQ(test, cfg_word(pri + PCI_PRI_STATUS),
			PCI_PRI_STATUS_STOPPED | PCI_PRI_STATUS_PASID);
	KUNIT_EXPECT_FALSE(test, the_fake->vf.order.pri);
}

/* A state that must be read back first: refused, read-back scheduled. */
static void test_stale_refused(struct kunit *test)
{
	fake_attach(test);
	the_fake->vf.order.stale = true;
	pci_write_config_word(&the_fake->pdev, CAP_OFF + PCI_PASID_CTRL,
			      PCI_PASID_CTRL_ENABLE);
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 0);
	KUNIT_EXPECT_EQ(test, resyncs(), 1);
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + PCI_PASID_CTRL), 0);
}

/* No VF attached (between a removal and the next attach): nothing sent. */
static void test_unlinked(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, fake_view(test, CAP_OFF), 0);
	fake_enumerate(&the_fake->pdev);
	KUNIT_EXPECT_EQ(test, the_fake->pdev.pasid_cap, CAP_OFF);
	pci_write_config_word(&the_fake->pdev, CAP_OFF + PCI_PASID_CTRL,
			      PCI_PASID_CTRL_ENABLE);
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 0);
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + PCI_PASID_CTRL), 0);
}

static void test_passthrough_and_unwrap(struct kunit *test)
{
	struct pci_dev other = the_fake->pdev;

	other.devfn = OTHER_DEVFN;
	fake_attach(test);
	/* Other registers and other functions reach the device. */
	pci_write_config_word(&the_fake->pdev, PCI_COMMAND, 0x6);
	KUNIT_EXPECT_EQ(test, the_fake->cfg[0][PCI_COMMAND], 0x6);
	pci_write_config_dword(&other, CAP_OFF + 4, 0x10001);
	KUNIT_EXPECT_EQ(test, le32_at(the_fake->cfg[1] + CAP_OFF + 4),
			0x10001);
	KUNIT_EXPECT_EQ(test, cfg_word(PCI_VENDOR_ID), 0x1af4);

	pvvf_cfg_unlink(the_fake->view);
	pvvf_cfg_remove(the_fake->view);
	the_fake->view = NULL;
	KUNIT_EXPECT_PTR_EQ(test, the_fake->bus.ops, &fake_pci_ops);
	KUNIT_EXPECT_FALSE(test, pvvf_cfg_bus_wrapped(&the_fake->bus));
	KUNIT_EXPECT_EQ(test, pci_find_ext_capability(&the_fake->pdev,
						      PCI_EXT_CAP_ID_PASID), 0);
}

/*
 * A bus made below a wrapped one (a bridge added there) inherits the
 * wrapper: pci_add_new_bus() copies the parent's ops.  Its accesses reach
 * the original ops, never the parent's views; wrapping it wraps the
 * original, not the wrapper (which would recurse); unwrapping the parent
 * gives it the original back.
 */
static void test_child_bus(struct kunit *test)
{
	struct pci_bus *child = kunit_kzalloc(test, sizeof(*child),
					      GFP_KERNEL);
	struct pci_dev *bridge = kunit_kzalloc(test, sizeof(*bridge),
					       GFP_KERNEL);
	struct pvvf_cfg_view *v;
	struct pvvf_cap_layout l;
	u32 val;

	KUNIT_ASSERT_NOT_NULL(test, child);
	KUNIT_ASSERT_NOT_NULL(test, bridge);
	fake_attach(test);
	device_initialize(&child->dev);
	child->dev.release = fake_bus_release;
	INIT_LIST_HEAD(&child->devices);
	INIT_LIST_HEAD(&child->children);
	child->parent = &the_fake->bus;
	child->number = 1;
	child->ops = the_fake->bus.ops;		/* as pci_add_new_bus() */
	child->self = bridge;
	bridge->bus = &the_fake->bus;
	bridge->devfn = OTHER_DEVFN;
	bridge->subordinate = child;
	list_add_tail(&bridge->bus_list, &the_fake->bus.devices);

	pci_bus_read_config_dword(child, VF_DEVFN, CAP_OFF, &val);
	KUNIT_EXPECT_EQ(test, val, le32_at(the_fake->cfg[0] + CAP_OFF));
	pci_bus_read_config_dword(child, VF_DEVFN, PCI_VENDOR_ID, &val);
	KUNIT_EXPECT_EQ(test, val, 0x10441af4);
	pci_bus_write_config_dword(child, OTHER_DEVFN, CAP_OFF + 4, 0x10001);
	KUNIT_EXPECT_EQ(test, le32_at(the_fake->cfg[1] + CAP_OFF + 4),
			0x10001);

	/* A view of its own: the child's copy wraps the original ops. */
	KUNIT_ASSERT_EQ(test, pvvf_cfg_layout(child, VF_DEVFN, CAP_OFF,
					      &fake_caps, 16, 0, &l), 0);
	v = pvvf_cfg_add(child, VF_DEVFN, &l, fake_resync);
	KUNIT_ASSERT_FALSE(test, IS_ERR(v));
	pci_bus_read_config_dword(child, VF_DEVFN, CAP_OFF, &val);
	KUNIT_EXPECT_EQ(test, val & 0xffff, PCI_EXT_CAP_ID_PASID);
	pvvf_cfg_remove(v);
	KUNIT_EXPECT_PTR_EQ(test, child->ops, &fake_pci_ops);

	/* Inherited again, then the parent goes: the child is restored. */
	child->ops = the_fake->bus.ops;
	pvvf_cfg_unlink(the_fake->view);
	pvvf_cfg_remove(the_fake->view);
	the_fake->view = NULL;
	KUNIT_EXPECT_PTR_EQ(test, the_fake->bus.ops, &fake_pci_ops);
	KUNIT_EXPECT_PTR_EQ(test, child->ops, &fake_pci_ops);
	list_del(&bridge->bus_list);
}

/* ---- the VF's own ATS: the host hears of its Enable ---- */

static u16 real_ats_ctrl(void)
{
	return le32_at(the_fake->cfg[0] + 0x104) >> 16;
}

static void test_ats_reported(struct kunit *test)
{
	struct pci_dev *pdev = &the_fake->pdev;

	fake_attach(test);
	KUNIT_ASSERT_EQ(test, pci_enable_ats(pdev, 12), 0);
	KUNIT_ASSERT_EQ(test, the_fake->nr_reqs, 1);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[0].opcode, VIRTIO_PVVF_OP_ATS_SET);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[0].value, 1);	/* on, STU 0 */
	KUNIT_EXPECT_EQ(test, real_ats_ctrl(), PCI_ATS_CTRL_ENABLE);
	KUNIT_EXPECT_TRUE(test, the_fake->vf.order.ats);

	/* PASID Enable never changes under ATS: nothing is sent. */
	pci_enable_pasid(pdev, 0);
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 1);
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + PCI_PASID_CTRL), 0);
	pdev->pasid_enabled = 0;

	pci_disable_ats(pdev);
	KUNIT_ASSERT_EQ(test, the_fake->nr_reqs, 2);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[1].opcode, VIRTIO_PVVF_OP_ATS_SET);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[1].value, 0);
	KUNIT_EXPECT_EQ(test, real_ats_ctrl(), 0);
	KUNIT_EXPECT_FALSE(test, the_fake->vf.order.ats);
}

/* Refused: the Enable is not written. */
static void test_ats_refused(struct kunit *test)
{
	fake_attach(test);
	the_fake->status = VIRTIO_PVVF_S_EINVAL;
	pci_enable_ats(&the_fake->pdev, 12);
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 1);
	KUNIT_EXPECT_EQ(test, real_ats_ctrl(), 0);
	KUNIT_EXPECT_FALSE(test, the_fake->vf.order.ats);
}

/* A disable the ordering rules would refuse is done and told anyway. */
static void test_ats_disable_forced(struct kunit *test)
{
	struct pci_dev *pdev = &the_fake->pdev;

	fake_attach(test);
	KUNIT_ASSERT_EQ(test, pci_enable_ats(pdev, 12), 0);
	KUNIT_ASSERT_EQ(test, pci_enable_pri(pdev, 4), 0);
	KUNIT_ASSERT_EQ(test, the_fake->nr_reqs, 2);
	pci_disable_ats(pdev);
	KUNIT_EXPECT_EQ(test, real_ats_ctrl(), 0);
	KUNIT_ASSERT_EQ(test, the_fake->nr_reqs, 3);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[2].opcode, VIRTIO_PVVF_OP_ATS_SET);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[2].value, 0);
	KUNIT_EXPECT_TRUE(test, the_fake->vf.order.stale);
	KUNIT_EXPECT_EQ(test, resyncs(), 1);
}

/* pvvf_ats_enable() reports ATS itself: its own write passes through. */
static void test_ats_api_passthrough(struct kunit *test)
{
	fake_attach(test);
	the_fake->vf.order.inflight = PVVF_OP_ATS_ENABLE;
	KUNIT_EXPECT_EQ(test, pci_enable_ats(&the_fake->pdev, 12), 0);
	the_fake->vf.order.inflight = PVVF_OP_NONE;
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 0);
	KUNIT_EXPECT_EQ(test, real_ats_ctrl(), PCI_ATS_CTRL_ENABLE);
}

/* A view pvvf re-enumerates survives until the function is found again. */
static void test_reenumerating(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, fake_view(test, CAP_OFF), 0);
	KUNIT_EXPECT_FALSE(test, pvvf_cfg_set_reenumerating(&the_fake->bus,
							    OTHER_DEVFN));
	KUNIT_EXPECT_FALSE(test, pvvf_cfg_reenumerating(the_fake->view));
	KUNIT_EXPECT_TRUE(test, pvvf_cfg_set_reenumerating(&the_fake->bus,
							   VF_DEVFN));
	KUNIT_EXPECT_TRUE(test, pvvf_cfg_reenumerating(the_fake->view));
	pvvf_cfg_link(the_fake->view, &the_fake->vf);
	KUNIT_EXPECT_FALSE(test, pvvf_cfg_reenumerating(the_fake->view));
}

/*
 * Re-enumeration: the old VF is held (its state carried), the new function
 * sees the capabilities, and its IOMMU's PASID enable reaches the host
 * before the VF is attached again; attaching it ends the carry-over.
 */
static void test_hold_across_reenumeration(struct kunit *test)
{
	struct pci_dev *pdev = &the_fake->pdev;
	struct pvvf_vf *nvf = kunit_kzalloc(test, sizeof(*nvf), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, nvf);
	fake_attach(test);
	KUNIT_EXPECT_FALSE(test, pvvf_cfg_enumerates_pasid(&the_fake->bus,
							   VF_DEVFN));
	KUNIT_ASSERT_TRUE(test, pvvf_cfg_set_reenumerating(&the_fake->bus,
							   VF_DEVFN));
	KUNIT_EXPECT_TRUE(test, pvvf_cfg_enumerates_pasid(&the_fake->bus,
							  VF_DEVFN));
	pvvf_cfg_hold(the_fake->view, &the_fake->vf);
	/* The detach that follows: the old VF is gone. */
	the_fake->vf.order.gone = true;
	the_fake->vf.pv = NULL;

	/* The new pci_dev, enumerated. */
	pdev->pasid_cap = 0;
	pdev->pri_cap = 0;
	fake_enumerate(pdev);
	KUNIT_EXPECT_EQ(test, pdev->pasid_cap, CAP_OFF);
	KUNIT_ASSERT_EQ(test, pci_enable_pasid(pdev, PCI_PASID_CAP_EXEC), 0);
	KUNIT_ASSERT_EQ(test, the_fake->nr_reqs, 1);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[0].opcode,
			VIRTIO_PVVF_OP_PASID_ENABLE);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[0].vf, SLOT);
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + PCI_PASID_CTRL),
			PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC);

	/* The new VF: its state is unknown until its first GET_STATE. */
	kref_init(&nvf->ref);
	nvf->pdev = pdev;
	nvf->slot = SLOT;
	nvf->pv = &the_fake->pv;
	spin_lock_init(&nvf->lock);
	pvvf_order_init(&nvf->order, &fake_caps);
	nvf->order.stale = true;
	pvvf_cfg_link(the_fake->view, nvf);
	KUNIT_EXPECT_FALSE(test, pvvf_cfg_reenumerating(the_fake->view));
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + PCI_PASID_CTRL), 0);
	/* Unknown: a write is refused and a read-back scheduled. */
	pci_write_config_word(pdev, CAP_OFF + 8 + PCI_PRI_CTRL,
			      PCI_PRI_CTRL_RESET);
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 1);
	KUNIT_EXPECT_EQ(test, resyncs(), 1);
}

/* ---- a view made before its function: a hot-added VF ---- */

/*
 * The function is absent when the view is made: nothing is placed and
 * its slot reads as empty.  When it answers, the PCI core's enumeration
 * finds the capabilities, after its real ATS, the first time.
 */
static void test_pending_placed_on_arrival(struct kunit *test)
{
	struct pci_dev *pdev = &the_fake->pdev;
	u32 v;

	the_fake->absent = true;
	fake_pending(test, CAP_OFF);
	KUNIT_EXPECT_TRUE(test, pvvf_cfg_bus_wrapped(&the_fake->bus));
	KUNIT_EXPECT_EQ(test, pvvf_cfg_placed(the_fake->view), -EAGAIN);
	pci_bus_read_config_dword(&the_fake->bus, VF_DEVFN, PCI_VENDOR_ID, &v);
	KUNIT_EXPECT_EQ(test, v, 0xffffffff);
	pci_bus_read_config_dword(&the_fake->bus, VF_DEVFN, CAP_OFF, &v);
	KUNIT_EXPECT_EQ(test, v, 0xffffffff);
	pci_bus_read_config_dword(&the_fake->bus, VF_DEVFN, 0x100, &v);
	KUNIT_EXPECT_EQ(test, v, 0xffffffff);
	KUNIT_EXPECT_EQ(test, pvvf_cfg_placed(the_fake->view), -EAGAIN);
	KUNIT_EXPECT_FALSE(test, pvvf_cfg_enumerates_pasid(&the_fake->bus,
							   VF_DEVFN));

	the_fake->absent = false;
	fake_enumerate(pdev);
	KUNIT_EXPECT_EQ(test, pvvf_cfg_placed(the_fake->view), 0);
	KUNIT_EXPECT_EQ(test, pdev->ats_cap, 0x100);
	KUNIT_EXPECT_EQ(test, pdev->pasid_cap, CAP_OFF);
	KUNIT_EXPECT_EQ(test, pdev->pri_cap, CAP_OFF + 8);
	KUNIT_EXPECT_TRUE(test, pdev->pasid_required);
	KUNIT_EXPECT_EQ(test, pci_max_pasids(pdev), 1 << 16);
	KUNIT_EXPECT_EQ(test, pci_pasid_features(pdev), PCI_PASID_CAP_EXEC);
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + 8 + PCI_PRI_STATUS),
			PCI_PRI_STATUS_STOPPED | PCI_PRI_STATUS_PASID);
	KUNIT_EXPECT_TRUE(test, pvvf_cfg_enumerates_pasid(&the_fake->bus,
							  VF_DEVFN));
	expect_chain_well_formed(test, 3);
	KUNIT_EXPECT_TRUE(test, synth_bytes_untouched());
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 0);
}

/*
 * Before the VF is attached, the IOMMU's probe enables PASID: the request
 * goes to the host for the slot, and the register shows what it accepted.
 * Attaching the VF hands the view over; a refusal before it never shows.
 */
static void test_pending_pasid_before_attach(struct kunit *test)
{
	struct pci_dev *pdev = &the_fake->pdev;

	the_fake->absent = true;
	fake_pending(test, CAP_OFF);
	the_fake->absent = false;
	fake_enumerate(pdev);

	the_fake->status = VIRTIO_PVVF_S_EBUSY;
	pci_enable_pasid(pdev, PCI_PASID_CAP_EXEC);
	KUNIT_ASSERT_EQ(test, the_fake->nr_reqs, 1);
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + PCI_PASID_CTRL), 0);
	pci_disable_pasid(pdev);
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 1);

	the_fake->status = VIRTIO_PVVF_S_OK;
	KUNIT_ASSERT_EQ(test, pci_enable_pasid(pdev, PCI_PASID_CAP_EXEC), 0);
	KUNIT_ASSERT_EQ(test, the_fake->nr_reqs, 2);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[1].opcode,
			VIRTIO_PVVF_OP_PASID_ENABLE);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[1].vf, SLOT);
	KUNIT_EXPECT_EQ(test, the_fake->reqs[1].value, VIRTIO_PVVF_PASID_EXEC);
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + PCI_PASID_CTRL),
			PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC);
	KUNIT_EXPECT_TRUE(test, synth_bytes_untouched());
	KUNIT_EXPECT_EQ(test, resyncs(), 0);

	/* Attached: the VF's state, unknown until its first GET_STATE. */
	the_fake->vf.order.stale = true;
	pvvf_cfg_link(the_fake->view, &the_fake->vf);
	KUNIT_EXPECT_EQ(test, cfg_word(CAP_OFF + PCI_PASID_CTRL), 0);
	pci_write_config_word(pdev, CAP_OFF + 8 + PCI_PRI_CTRL,
			      PCI_PRI_CTRL_RESET);
	KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 2);
	KUNIT_EXPECT_EQ(test, resyncs(), 1);
}

/*
 * The function that answers is checked as pvvf_cfg_layout() checks one,
 * and must have the IDs its slot describes: a refused placement passes
 * every access through, untouched, and says why.
 */
static void test_pending_refusals(struct kunit *test)
{
	static const struct {
		int err;
		u16 off;
		int where;	/* real dword set */
		u32 val;
	} cases[] = {
		{ -EBUSY, CAP_OFF, CAP_OFF + 12, 0x100 },	/* not free */
		/* a real capability in the 24 bytes */
		{ -EBUSY, CAP_OFF, 0x100, PCI_EXT_CAP_ID_ATS | 1 << 16 |
					  (CAP_OFF + 8) << 20 },
		{ -ENXIO, CAP_OFF, 0x100, 0xffffffff },	/* no ext space */
		{ -ELOOP, 0x200, 0x100, PCI_EXT_CAP_ID_ATS | 1 << 16 |
					0x100 << 20 },
		/* another function than the slot's: its Device ID */
		{ -ENODEV, CAP_OFF, PCI_VENDOR_ID, 0x10451af4 },
	};
	struct pci_dev *pdev = &the_fake->pdev;
	u8 *cfg = the_fake->cfg[0];
	unsigned int i;
	u32 v;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		fake_real_layout(cfg);
		put_dword(cfg, cases[i].where, cases[i].val);
		the_fake->absent = true;
		fake_pending(test, cases[i].off);
		the_fake->absent = false;
		pdev->pasid_cap = 0;
		pdev->pri_cap = 0;
		fake_enumerate(pdev);
		KUNIT_EXPECT_EQ(test, pvvf_cfg_placed(the_fake->view),
				cases[i].err);
		KUNIT_EXPECT_EQ(test, pdev->pasid_cap, 0);
		KUNIT_EXPECT_EQ(test, pdev->pri_cap, 0);
		KUNIT_EXPECT_FALSE(test,
				   pvvf_cfg_enumerates_pasid(&the_fake->bus,
							     VF_DEVFN));
		/* Every dword of extended space reads and writes the real. */
		pci_read_config_dword(pdev, 0x100, &v);
		KUNIT_EXPECT_EQ(test, v, le32_at(cfg + 0x100));
		pci_read_config_dword(pdev, cases[i].where, &v);
		KUNIT_EXPECT_EQ(test, v, cases[i].val);
		pci_write_config_dword(pdev, cases[i].off + 4, 0x10001);
		KUNIT_EXPECT_EQ(test, le32_at(cfg + cases[i].off + 4), 0x10001);
		KUNIT_EXPECT_EQ(test, the_fake->nr_reqs, 0);
		pvvf_cfg_unlink(the_fake->view);
		pvvf_cfg_remove(the_fake->view);
		the_fake->view = NULL;
	}
	KUNIT_EXPECT_FALSE(test, pvvf_cfg_bus_wrapped(&the_fake->bus));
}

static struct kunit_case pvvf_cfg_ops_cases[] = {
	KUNIT_CASE(test_find_caps),
	KUNIT_CASE(test_chain_well_formed),
	KUNIT_CASE(test_empty_chain),
	KUNIT_CASE(test_empty_chain_at_start),
	KUNIT_CASE(test_layout_refusals),
	KUNIT_CASE(test_pasid_enable_disable),
	KUNIT_CASE(test_pasid_refused),
	KUNIT_CASE(test_pasid_needs_no_tlp),
	KUNIT_CASE(test_pri_cycle),
	KUNIT_CASE(test_pri_refused),
	KUNIT_CASE(test_stale_refused),
	KUNIT_CASE(test_unlinked),
	KUNIT_CASE(test_passthrough_and_unwrap),
	KUNIT_CASE(test_child_bus),
	KUNIT_CASE(test_reenumerating),
	KUNIT_CASE(test_ats_reported),
	KUNIT_CASE(test_ats_refused),
	KUNIT_CASE(test_ats_disable_forced),
	KUNIT_CASE(test_ats_api_passthrough),
	KUNIT_CASE(test_hold_across_reenumeration),
	KUNIT_CASE(test_pending_placed_on_arrival),
	KUNIT_CASE(test_pending_pasid_before_attach),
	KUNIT_CASE(test_pending_refusals),
	{}
};

static struct kunit_suite pvvf_cfg_ops_suite = {
	.name = "pvvf_cfg_ops",
	.init = fake_init,
	.exit = fake_exit,
	.test_cases = pvvf_cfg_ops_cases,
};

kunit_test_suites(&pvvf_cfg_ops_suite);
