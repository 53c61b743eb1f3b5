// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the synthesized PASID/PRI register model (guest/cap.c) alone -
 * which requests each kind of write becomes, and what each register reads.
 */
#include <kunit/test.h>
#include <linux/pci_regs.h>
#include <linux/string.h>

#include "../guest/cap.h"

#define OFF	0x108

static u32 zero_cfg(void *ctx, int where)
{
	return where == 0x100 ? PCI_EXT_CAP_ID_ATS | 1 << 16 : 0;
}

static void layout(struct kunit *test, struct pvvf_cap_layout *l, bool pasid,
		   bool pri)
{
	struct pvvf_order_caps caps = {
		.pasid = pasid, .pri = pri,
		.pasid_features = PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV,
		.pri_capacity = 32,
	};

	KUNIT_ASSERT_EQ(test, pvvf_cap_layout_init(l, OFF, &caps, 20, 0,
						   zero_cfg, NULL), 0);
}

static void test_pri_only(struct kunit *test)
{
	struct pvvf_cap_regs r = {};
	struct pvvf_cap_layout l;
	u32 link;

	layout(test, &l, false, true);
	KUNIT_EXPECT_EQ(test, pvvf_cap_first(&l), OFF + 8);
	link = pvvf_cap_link_dword(&l, PCI_EXT_CAP_ID_ATS | 1 << 16);
	KUNIT_EXPECT_EQ(test, PCI_EXT_CAP_NEXT(link), OFF + 8);
	KUNIT_EXPECT_EQ(test, pvvf_cap_read(&l, &r, OFF, 4), 0);
	KUNIT_EXPECT_EQ(test, pvvf_cap_read(&l, &r, OFF + 8, 2),
			PCI_EXT_CAP_ID_PRI);
	KUNIT_EXPECT_EQ(test, pvvf_cap_read(&l, &r, OFF + 0x10, 4), 32);
}

static void test_none_offered(struct kunit *test)
{
	struct pvvf_order_caps caps = {};
	struct pvvf_cap_layout l;

	KUNIT_EXPECT_EQ(test, pvvf_cap_layout_init(&l, OFF, &caps, 0, 0,
						   zero_cfg, NULL), -EOPNOTSUPP);
}

/* A link header whose Next is no longer 0 is the function's own. */
static void test_link_passthrough(struct kunit *test)
{
	struct pvvf_cap_layout l;
	u32 real = PCI_EXT_CAP_ID_ATS | 1 << 16 | 0x200 << 20;

	layout(test, &l, true, true);
	KUNIT_EXPECT_EQ(test, pvvf_cap_link_dword(&l, real), real);
}

struct write_case {
	const char *name;
	struct pvvf_cap_regs regs;
	int where, size;
	u32 val;
	unsigned int nr_ops;
	enum pvvf_op op[3];
	u32 arg[3];
	bool set_alloc;
	u32 alloc;
};

#define PASID_CTRL	(OFF + PCI_PASID_CTRL)
#define PRI_CTRL	(OFF + 8 + PCI_PRI_CTRL)
#define PRI_ALLOC	(OFF + 8 + PCI_PRI_ALLOC_REQ)
#define ON		PCI_PRI_CTRL_ENABLE

static const struct write_case write_cases[] = {
	{ "pasid enable word", {}, PASID_CTRL, 2, 1 | PCI_PASID_CTRL_PRIV,
	  1, { PVVF_OP_PASID_ENABLE }, { PCI_PASID_CTRL_PRIV } },
	{ "pasid enable dword, cap bits ignored", {}, OFF + 4, 4,
	  0x00071f06, 1, { PVVF_OP_PASID_ENABLE },
	  { PCI_PASID_CTRL_EXEC | PCI_PASID_CTRL_PRIV } },
	{ "pasid enable byte", {}, PASID_CTRL, 1, 1, 1,
	  { PVVF_OP_PASID_ENABLE }, { 0 } },
	{ "pasid: unknown bits dropped", {}, PASID_CTRL, 2, 0xfff9, 1,
	  { PVVF_OP_PASID_ENABLE }, { 0 } },
	{ "pasid cap bytes only", {}, OFF + 4, 2, 0xffff, 0 },
	{ "pasid high ctrl byte", {}, PASID_CTRL + 1, 1, 0xff, 0 },
	{ "pasid disable", { .pasid_ctrl = 1 }, PASID_CTRL, 2, 0, 1,
	  { PVVF_OP_PASID_DISABLE } },
	{ "pasid features while enabled", { .pasid_ctrl = 1 }, PASID_CTRL,
	  2, 1 | PCI_PASID_CTRL_EXEC, 0 },
	{ "pri enable with latched alloc", { .pri_alloc = 9 }, PRI_CTRL, 2,
	  ON, 1, { PVVF_OP_PRI_ENABLE }, { 9 } },
	{ "pri reset then enable", { .pri_alloc = 3 }, PRI_CTRL, 2,
	  ON | PCI_PRI_CTRL_RESET, 2,
	  { PVVF_OP_PRI_RESET, PVVF_OP_PRI_ENABLE }, { 0, 3 } },
	{ "pri disable then reset", { .pri_ctrl = ON }, PRI_CTRL, 2,
	  PCI_PRI_CTRL_RESET, 2, { PVVF_OP_PRI_DISABLE, PVVF_OP_PRI_RESET } },
	{ "pri status write ignored", { .pri_ctrl = ON }, PRI_CTRL + 2, 2,
	  0xffff, 0 },
	{ "pri dword keeps enable", { .pri_ctrl = ON }, PRI_CTRL, 4,
	  0xffff0001, 0 },
	{ "alloc latched while disabled", {}, PRI_ALLOC, 4, 17, 0, {}, {},
	  true, 17 },
	{ "alloc byte", { .pri_alloc = 0x100 }, PRI_ALLOC, 1, 5, 0, {}, {},
	  true, 0x105 },
	{ "alloc ignored while enabled", { .pri_ctrl = ON }, PRI_ALLOC, 4, 17,
	  0 },
	{ "capacity is read-only", {}, OFF + 0x10, 4, 1, 0 },
	{ "headers are read-only", {}, OFF, 4, 0, 0 },
};

static void write_case_desc(const struct write_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(write, write_cases, write_case_desc);

static void test_write(struct kunit *test)
{
	const struct write_case *c = test->param_value;
	struct pvvf_cap_layout l;
	struct pvvf_cap_write w;
	unsigned int i;

	layout(test, &l, true, true);
	pvvf_cap_decode_write(&l, &c->regs, c->where, c->size, c->val, &w);
	KUNIT_ASSERT_EQ(test, w.nr_ops, c->nr_ops);
	for (i = 0; i < w.nr_ops; i++) {
		KUNIT_EXPECT_EQ(test, w.ops[i].op, c->op[i]);
		KUNIT_EXPECT_EQ(test, w.ops[i].arg, c->arg[i]);
	}
	KUNIT_EXPECT_EQ(test, w.set_alloc, c->set_alloc);
	KUNIT_EXPECT_EQ(test, w.alloc, c->alloc);
}

/* Registers from the ordering state: only what the host accepted. */
static void test_regs_of(struct kunit *test)
{
	struct pvvf_order_caps caps = { .pasid = true, .pri = true,
					.pri_capacity = 32 };
	struct pvvf_cap_layout l;
	struct pvvf_cap_regs r;
	struct pvvf_order o;

	layout(test, &l, true, true);
	l.pri_status_ro = PCI_PRI_STATUS_PASID;
	pvvf_order_init(&o, &caps);
	pvvf_cap_regs_of(&l, &o, 7, &r);
	KUNIT_EXPECT_EQ(test, r.pasid_ctrl, 0);
	KUNIT_EXPECT_EQ(test, r.pri_ctrl, 0);
	KUNIT_EXPECT_EQ(test, r.pri_status,
			PCI_PRI_STATUS_STOPPED | PCI_PRI_STATUS_PASID);
	KUNIT_EXPECT_EQ(test, r.pri_alloc, 7);

	o.pasid = true;
	o.pasid_features = VIRTIO_PVVF_PASID_EXEC;
	o.pri = true;
	o.pri_alloc = 4;
	o.pri_stopped = false;
	o.pri_status = VIRTIO_PVVF_PRI_UPRGI;
	pvvf_cap_regs_of(&l, &o, 7, &r);
	KUNIT_EXPECT_EQ(test, r.pasid_ctrl,
			PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC);
	KUNIT_EXPECT_EQ(test, r.pri_ctrl, PCI_PRI_CTRL_ENABLE);
	KUNIT_EXPECT_EQ(test, r.pri_status,
			PCI_PRI_STATUS_UPRGI | PCI_PRI_STATUS_PASID);
	KUNIT_EXPECT_EQ(test, r.pri_alloc, 4);
	KUNIT_EXPECT_EQ(test, pvvf_cap_read(&l, &r, OFF + 0xc, 4),
			PCI_PRI_CTRL_ENABLE |
			(PCI_PRI_STATUS_UPRGI | PCI_PRI_STATUS_PASID) << 16);
	KUNIT_EXPECT_EQ(test, pvvf_cap_read(&l, &r, OFF + 0xe, 1),
			PCI_PRI_STATUS_UPRGI);
	KUNIT_EXPECT_EQ(test, pvvf_cap_read(&l, &r, OFF + 5, 1), 0x14);
}

/* The VF's own ATS capability at 0x100: its Control word is at 0x106. */
static void test_ats_decode(struct kunit *test)
{
	struct pvvf_cap_layout l;
	struct pvvf_cap_write w;
	u32 off = 0x20 << 16 | 0x20;	/* disabled: Capability 0x20 */
	u32 on = (PCI_ATS_CTRL_ENABLE | 3) << 16 | 0x20;

	layout(test, &l, true, true);
	KUNIT_EXPECT_EQ(test, l.ats, 0x100);
	KUNIT_EXPECT_TRUE(test, pvvf_cap_in_ats_ctrl(&l, 0x106, 2));
	KUNIT_EXPECT_TRUE(test, pvvf_cap_in_ats_ctrl(&l, 0x104, 4));
	KUNIT_EXPECT_TRUE(test, pvvf_cap_in_ats_ctrl(&l, 0x107, 1));
	KUNIT_EXPECT_FALSE(test, pvvf_cap_in_ats_ctrl(&l, 0x104, 2));
	KUNIT_EXPECT_FALSE(test, pvvf_cap_in_ats_ctrl(&l, 0x100, 4));

	pvvf_cap_decode_ats(&l, off, 0x106, 2, PCI_ATS_CTRL_ENABLE | 5, &w);
	KUNIT_ASSERT_EQ(test, w.nr_ops, 1);
	KUNIT_EXPECT_EQ(test, w.ops[0].op, PVVF_OP_ATS_ENABLE);
	KUNIT_EXPECT_EQ(test, w.ops[0].arg, 5);
	/* The high byte alone: Enable with the STU already there. */
	pvvf_cap_decode_ats(&l, off | 2 << 16, 0x107, 1, 0x80, &w);
	KUNIT_ASSERT_EQ(test, w.nr_ops, 1);
	KUNIT_EXPECT_EQ(test, w.ops[0].arg, 2);
	pvvf_cap_decode_ats(&l, on, 0x104, 4, 0x20, &w);
	KUNIT_ASSERT_EQ(test, w.nr_ops, 1);
	KUNIT_EXPECT_EQ(test, w.ops[0].op, PVVF_OP_ATS_DISABLE);
	/* Enable unchanged: nothing to tell. */
	pvvf_cap_decode_ats(&l, on, 0x106, 2, PCI_ATS_CTRL_ENABLE, &w);
	KUNIT_EXPECT_EQ(test, w.nr_ops, 0);
	pvvf_cap_decode_ats(&l, on, 0x106, 1, 0, &w);
	KUNIT_EXPECT_EQ(test, w.nr_ops, 0);
}

static struct kunit_case pvvf_cap_cases[] = {
	KUNIT_CASE(test_pri_only),
	KUNIT_CASE(test_none_offered),
	KUNIT_CASE(test_link_passthrough),
	KUNIT_CASE_PARAM(test_write, write_gen_params),
	KUNIT_CASE(test_regs_of),
	KUNIT_CASE(test_ats_decode),
	{}
};

static struct kunit_suite pvvf_cap_suite = {
	.name = "pvvf_cap",
	.test_cases = pvvf_cap_cases,
};

kunit_test_suites(&pvvf_cap_suite);
