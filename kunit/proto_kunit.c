// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the guest's parsers of device data against hostile input.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "../guest/proto.h"

/* ---- config ---- */

static void pvvf_proto_config_ok(struct kunit *test)
{
	struct virtio_pvvf_config raw = {
		.epoch = cpu_to_le32(7), .num_vfs = cpu_to_le16(3),
	};
	struct pvvf_config cfg;

	KUNIT_ASSERT_EQ(test, pvvf_proto_parse_config(&raw, &cfg), 0);
	KUNIT_EXPECT_EQ(test, cfg.epoch, 7U);
	KUNIT_EXPECT_EQ(test, cfg.num_vfs, 3);
}

static void pvvf_proto_config_hostile(struct kunit *test)
{
	struct virtio_pvvf_config raw = {};
	struct pvvf_config cfg = { .num_vfs = 99 };

	raw.num_vfs = cpu_to_le16(VIRTIO_PVVF_MAX_VFS);
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_config(&raw, &cfg), 0);
	raw.num_vfs = cpu_to_le16(VIRTIO_PVVF_MAX_VFS + 1);
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_config(&raw, &cfg), -ERANGE);
	raw.num_vfs = cpu_to_le16(0xffff);
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_config(&raw, &cfg), -ERANGE);
	raw.num_vfs = cpu_to_le16(1);
	raw.reserved[1] = 1;
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_config(&raw, &cfg), -EPROTO);
	/* A refused config leaves the output alone. */
	KUNIT_EXPECT_EQ(test, cfg.num_vfs, VIRTIO_PVVF_MAX_VFS);
}

static void pvvf_proto_num_vfs_only_grows(struct kunit *test)
{
	u16 limit = VIRTIO_PVVF_MAX_VFS, use = 99;

	KUNIT_EXPECT_EQ(test, pvvf_proto_num_vfs(&limit, 0, 0, &use), 0);
	KUNIT_EXPECT_EQ(test, use, 0);
	KUNIT_EXPECT_EQ(test, pvvf_proto_num_vfs(&limit, 2, 5, &use), 0);
	KUNIT_EXPECT_EQ(test, use, 5);
	KUNIT_EXPECT_EQ(test, pvvf_proto_num_vfs(&limit, 5, 5, &use), 0);
	KUNIT_EXPECT_EQ(test, use, 5);
	KUNIT_EXPECT_EQ(test, limit, VIRTIO_PVVF_MAX_VFS);
	KUNIT_EXPECT_EQ(test, pvvf_proto_num_vfs(&limit, 0, VIRTIO_PVVF_MAX_VFS,
						 &use), 0);
	KUNIT_EXPECT_EQ(test, use, VIRTIO_PVVF_MAX_VFS);
}

/* docs/spec.md 5.2: a shrink is a device error; the slots above stay unused. */
static void pvvf_proto_num_vfs_shrink(struct kunit *test)
{
	u16 limit = VIRTIO_PVVF_MAX_VFS, use = 99;

	KUNIT_EXPECT_EQ(test, pvvf_proto_num_vfs(&limit, 5, 3, &use), -ESTALE);
	KUNIT_EXPECT_EQ(test, use, 3);
	KUNIT_EXPECT_EQ(test, limit, 3);
	/* Growing back does not bring the slots back before a reset... */
	KUNIT_EXPECT_EQ(test, pvvf_proto_num_vfs(&limit, 3, 8, &use), 0);
	KUNIT_EXPECT_EQ(test, use, 3);
	/* ...a second shrink lowers the bound further... */
	KUNIT_EXPECT_EQ(test, pvvf_proto_num_vfs(&limit, 3, 1, &use), -ESTALE);
	KUNIT_EXPECT_EQ(test, use, 1);
	KUNIT_EXPECT_EQ(test, pvvf_proto_num_vfs(&limit, 1, 0, &use), -ESTALE);
	KUNIT_EXPECT_EQ(test, use, 0);
	/* ...and after a reset (old 0, limit restored) any value is fine. */
	limit = VIRTIO_PVVF_MAX_VFS;
	KUNIT_EXPECT_EQ(test, pvvf_proto_num_vfs(&limit, 0, 2, &use), 0);
	KUNIT_EXPECT_EQ(test, use, 2);
}

/* ---- sizes and requests ---- */

static void pvvf_proto_sizes_match_spec(struct kunit *test)
{
	static const struct { u16 op; int req, resp; bool vf; } t[] = {
		{ VIRTIO_PVVF_OP_NOP, 16, 8, false },
		{ VIRTIO_PVVF_OP_GET_OPCODES, 16, 40, false },
		{ VIRTIO_PVVF_OP_GET_VF, 16, 56, true },
		{ VIRTIO_PVVF_OP_GET_STATE, 16, 36, true },
		{ VIRTIO_PVVF_OP_EVENT_ACK, 24, 8, false },
		{ VIRTIO_PVVF_OP_ATS_SET, 24, 8, true },
		{ VIRTIO_PVVF_OP_PASID_ENABLE, 24, 8, true },
		{ VIRTIO_PVVF_OP_PASID_DISABLE, 16, 8, true },
		{ VIRTIO_PVVF_OP_PRI_ENABLE, 24, 8, true },
		{ VIRTIO_PVVF_OP_PRI_DISABLE, 16, 8, true },
		{ VIRTIO_PVVF_OP_PRI_RESET, 16, 8, true },
		{ VIRTIO_PVVF_OP_PRI_STATUS, 16, 16, true },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		KUNIT_EXPECT_EQ_MSG(test, pvvf_proto_req_size(t[i].op),
				    t[i].req, "op %#x", t[i].op);
		KUNIT_EXPECT_EQ_MSG(test, pvvf_proto_resp_size(t[i].op),
				    t[i].resp, "op %#x", t[i].op);
		KUNIT_EXPECT_EQ_MSG(test, pvvf_proto_op_is_vf(t[i].op),
				    t[i].vf, "op %#x", t[i].op);
	}
	KUNIT_EXPECT_EQ(test, pvvf_proto_req_size(0x6), -EINVAL);
	KUNIT_EXPECT_EQ(test, pvvf_proto_resp_size(0x24), -EINVAL);
	KUNIT_EXPECT_EQ(test, pvvf_proto_resp_size(0xffff), -EINVAL);
	KUNIT_EXPECT_FALSE(test, pvvf_proto_op_is_vf(0x100));
}

static void pvvf_proto_build_req_layout(struct kunit *test)
{
	struct pvvf_req_args args = { .value = 512 };
	struct virtio_pvvf_req_pri_enable req;
	u8 buf[PVVF_REQ_MAX];
	int len;

	memset(buf, 0xa5, sizeof(buf));
	len = pvvf_proto_build_req(buf, sizeof(buf), VIRTIO_PVVF_OP_PRI_ENABLE,
				   3, 0x1234, &args);
	KUNIT_ASSERT_EQ(test, len, 24);
	memcpy(&req, buf, sizeof(req));
	KUNIT_EXPECT_EQ(test, le16_to_cpu(req.head.opcode), 0x20);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(req.head.flags), 0);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(req.head.vf), 3U);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(req.head.tag), 0x1234U);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(req.alloc), 512U);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(req.head.reserved, 0, 4));
	KUNIT_EXPECT_TRUE(test, !memchr_inv(req.reserved, 0, 4));
}

static int pvvf_build(u16 opcode, u32 vf, size_t len,
		      const struct pvvf_req_args *args)
{
	u8 buf[PVVF_REQ_MAX];

	return pvvf_proto_build_req(buf, len, opcode, vf, 1, args);
}

static void pvvf_proto_build_req_refuses(struct kunit *test)
{
	static const struct pvvf_req_args bad_ats = { .enable = 1, .stu = 32 };
	static const struct pvvf_req_args bad_pasid = { .value = 0x1 };
	static const struct pvvf_req_args zero = {};
	static const struct {
		u16 op;
		u32 vf;
		size_t len;
		const struct pvvf_req_args *args;
		int err;
	} t[] = {
		/* Scope must match the opcode. */
		{ VIRTIO_PVVF_OP_NOP, 0, PVVF_REQ_MAX, NULL, -EINVAL },
		{ VIRTIO_PVVF_OP_GET_VF, VIRTIO_PVVF_VF_NONE, PVVF_REQ_MAX,
		  NULL, -EINVAL },
		{ VIRTIO_PVVF_OP_GET_VF, VIRTIO_PVVF_MAX_VFS, PVVF_REQ_MAX,
		  NULL, -ERANGE },
		/* Buffer too small for the opcode. */
		{ VIRTIO_PVVF_OP_ATS_SET, 0, 16, &zero, -EINVAL },
		/* Operands out of range. */
		{ VIRTIO_PVVF_OP_ATS_SET, 0, PVVF_REQ_MAX, &bad_ats, -ERANGE },
		{ VIRTIO_PVVF_OP_PASID_ENABLE, 0, PVVF_REQ_MAX, &bad_pasid,
		  -EINVAL },
		{ VIRTIO_PVVF_OP_PRI_ENABLE, 0, PVVF_REQ_MAX, &zero, -ERANGE },
		/* Not an opcode. */
		{ 0x7, VIRTIO_PVVF_VF_NONE, PVVF_REQ_MAX, NULL, -EINVAL },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		KUNIT_EXPECT_EQ_MSG(test, pvvf_build(t[i].op, t[i].vf, t[i].len,
						     t[i].args),
				    t[i].err, "row %u", i);
}

/* ---- replies ---- */

static void pvvf_proto_put_head(u8 *buf, u16 status, u16 qual, u32 tag)
{
	struct virtio_pvvf_resp_head h = {
		.status = cpu_to_le16(status), .qualifier = cpu_to_le16(qual),
		.tag = cpu_to_le32(tag),
	};

	memcpy(buf, &h, sizeof(h));
}

struct pvvf_reply_case {
	const char *name;
	u16 opcode;
	u16 status;
	u16 qualifier;
	u32 tag;		/* the request's tag is 42 */
	u32 used;
	int ret;		/* of pvvf_proto_check_reply() */
	int err;		/* reply.err when ret == 0 */
};

static const struct pvvf_reply_case pvvf_reply_cases[] = {
	{ "ok full", VIRTIO_PVVF_OP_GET_STATE, 0, 0, 42, 36, 0, 0 },
	{ "error full", VIRTIO_PVVF_OP_GET_STATE, 19, 0, 42, 36, 0, -ENODEV },
	{ "error header only", VIRTIO_PVVF_OP_GET_VF, 16, 0, 42, 8, 0,
	  -EBUSY },
	{ "ok header only", VIRTIO_PVVF_OP_GET_VF, 0, 0, 42, 8, -EPROTO, 0 },
	{ "short", VIRTIO_PVVF_OP_GET_VF, 0, 0, 42, 55, -EPROTO, 0 },
	{ "long", VIRTIO_PVVF_OP_GET_VF, 0, 0, 42, 57, -EPROTO, 0 },
	{ "empty", VIRTIO_PVVF_OP_NOP, 0, 0, 42, 0, -EPROTO, 0 },
	{ "huge", VIRTIO_PVVF_OP_NOP, 0, 0, 42, 0xffffffff, -EPROTO, 0 },
	{ "4 bytes error", VIRTIO_PVVF_OP_NOP, 5, 0, 42, 4, -EPROTO, 0 },
	{ "wrong tag", VIRTIO_PVVF_OP_NOP, 0, 0, 41, 8, -EBADMSG, 0 },
	{ "wrong tag error", VIRTIO_PVVF_OP_PRI_STATUS, 22, 5, 43, 8,
	  -EBADMSG, 0 },
	{ "qualifier on success", VIRTIO_PVVF_OP_NOP, 0, 3, 42, 8, -EPROTO,
	  0 },
	{ "unknown status", VIRTIO_PVVF_OP_NOP, 2, 0, 42, 8, 0, -EPROTO },
	{ "status 0xffff", VIRTIO_PVVF_OP_NOP, 0xffff, 0, 42, 8, 0,
	  -EPROTO },
	{ "unknown opcode", 0x99, 0, 0, 42, 8, -EINVAL, 0 },
	{ "EALREADY", VIRTIO_PVVF_OP_PASID_ENABLE, 114, 0, 42, 8, 0,
	  -EALREADY },
	{ "ENOSPC pool", VIRTIO_PVVF_OP_PRI_ENABLE, 28, 12, 42, 8, 0,
	  -ENOSPC },
};

static void pvvf_proto_reply_case_desc(const struct pvvf_reply_case *c,
				       char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pvvf_reply, pvvf_reply_cases, pvvf_proto_reply_case_desc);

static void pvvf_proto_check_reply_cases(struct kunit *test)
{
	const struct pvvf_reply_case *c = test->param_value;
	struct pvvf_reply reply = { .err = 1234 };
	u8 buf[PVVF_RESP_MAX] = {};
	int ret;

	pvvf_proto_put_head(buf, c->status, c->qualifier, c->tag);
	ret = pvvf_proto_check_reply(c->opcode, 42, buf, c->used, &reply);
	KUNIT_EXPECT_EQ_MSG(test, ret, c->ret, "%s", c->name);
	if (!ret)
		KUNIT_EXPECT_EQ_MSG(test, reply.err, c->err, "%s", c->name);
	else
		KUNIT_EXPECT_EQ_MSG(test, reply.err, 1234, "%s", c->name);
}

static void pvvf_proto_status_map(struct kunit *test)
{
	static const struct { u16 s; int e; } t[] = {
		{ 0, 0 }, { 1, -EPERM }, { 5, -EIO }, { 11, -EAGAIN },
		{ 12, -ENOMEM }, { 16, -EBUSY }, { 19, -ENODEV },
		{ 22, -EINVAL }, { 28, -ENOSPC }, { 71, -EPROTO },
		{ 95, -EOPNOTSUPP }, { 110, -ETIMEDOUT }, { 114, -EALREADY },
		{ 2, -EPROTO }, { 13, -EPROTO }, { 115, -EPROTO },
		{ 0xffff, -EPROTO },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		KUNIT_EXPECT_EQ_MSG(test, pvvf_proto_status_to_errno(t[i].s),
				    t[i].e, "status %u", t[i].s);
}

static void pvvf_proto_unknown_qualifier(struct kunit *test)
{
	struct pvvf_reply reply;
	u8 buf[PVVF_RESP_MAX] = {};

	pvvf_proto_put_head(buf, VIRTIO_PVVF_S_EBUSY, 0x7777, 1);
	KUNIT_ASSERT_EQ(test, pvvf_proto_check_reply(VIRTIO_PVVF_OP_NOP, 1,
						     buf, 8, &reply), 0);
	KUNIT_EXPECT_EQ(test, reply.err, -EBUSY);
	KUNIT_EXPECT_EQ(test, reply.qualifier, 0);
}

/* ---- GET_OPCODES ---- */

static void pvvf_proto_opcodes(struct kunit *test)
{
	struct virtio_pvvf_resp_opcodes raw = {};
	u64 known = 0;

	raw.bitmap[0] = 0x3f;		/* 0x00..0x05 */
	KUNIT_ASSERT_EQ(test, pvvf_proto_parse_opcodes(&raw, &known), 0);
	KUNIT_EXPECT_EQ(test, known, (u64)0x3f);

	raw.bitmap[2] = 0x03;		/* 0x10, 0x11 */
	raw.bitmap[4] = 0x0f;		/* 0x20..0x23 */
	raw.bitmap[0] |= 0xc0;		/* 0x06, 0x07: unknown, ignored */
	raw.bitmap[31] = 0xff;		/* 0xf8..0xff: unknown */
	KUNIT_ASSERT_EQ(test, pvvf_proto_parse_opcodes(&raw, &known), 0);
	KUNIT_EXPECT_EQ(test, known,
			(u64)0x3f | BIT_ULL(0x10) | BIT_ULL(0x11) |
			BIT_ULL(0x20) | BIT_ULL(0x21) | BIT_ULL(0x22) |
			BIT_ULL(0x23));

	/* NOP is optional: the driver never sends it. */
	raw.bitmap[0] = 0x3e;
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_opcodes(&raw, &known), 0);

	known = 1;
	raw.bitmap[0] = 0x3f & ~BIT(VIRTIO_PVVF_OP_GET_STATE);
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_opcodes(&raw, &known),
			-EOPNOTSUPP);
	raw.bitmap[0] = 0x3f & ~BIT(VIRTIO_PVVF_OP_ATS_SET);
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_opcodes(&raw, &known),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, known, (u64)1);
}

/* ---- VF descriptors ---- */

static void pvvf_proto_good_desc(struct virtio_pvvf_vf_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->segment = cpu_to_le16(1);
	d->root_bus = 0x80;
	d->path_len = 2;
	d->path[0] = 0x08;
	d->path[1] = 0x11;
	d->vendor_id = cpu_to_le16(0x8086);
	d->device_id = cpu_to_le16(0x1889);
	d->pf_id = cpu_to_le64(0x1122334455667788ULL);
	d->vf_index = cpu_to_le16(5);
	d->flags = cpu_to_le16(VIRTIO_PVVF_VF_F_PASID | VIRTIO_PVVF_VF_F_PRI |
			       VIRTIO_PVVF_VF_F_ATS);
	d->cap_offset = cpu_to_le16(0x200);
	d->pasid_max_width = 20;
	d->pasid_features = VIRTIO_PVVF_PASID_EXEC;
	d->pri_capacity = cpu_to_le32(256);
	d->pri_status = cpu_to_le16(VIRTIO_PVVF_PRI_PASID);
	d->ats_stu = 12;
}

static void pvvf_proto_desc_ok(struct kunit *test)
{
	struct virtio_pvvf_vf_desc raw;
	struct pvvf_vf_desc d;

	pvvf_proto_good_desc(&raw);
	KUNIT_ASSERT_EQ(test, pvvf_proto_parse_vf_desc(&raw, true, &d), 0);
	KUNIT_EXPECT_EQ(test, d.segment, 1);
	KUNIT_EXPECT_EQ(test, d.root_bus, 0x80);
	KUNIT_EXPECT_EQ(test, d.path_len, 2);
	KUNIT_EXPECT_EQ(test, d.path[1], 0x11);
	KUNIT_EXPECT_EQ(test, d.path[2], 0);
	KUNIT_EXPECT_EQ(test, d.vendor_id, 0x8086);
	KUNIT_EXPECT_EQ(test, d.device_id, 0x1889);
	KUNIT_EXPECT_EQ(test, d.pf_id, 0x1122334455667788ULL);
	KUNIT_EXPECT_EQ(test, d.vf_index, 5);
	KUNIT_EXPECT_EQ(test, d.cap_offset, 0x200);
	KUNIT_EXPECT_EQ(test, d.pasid_max_width, 20);
	KUNIT_EXPECT_EQ(test, d.pri_capacity, 256U);
	KUNIT_EXPECT_EQ(test, d.ats_stu, 12);

	/* Without the feature the offset is ignored, even a bad one. */
	raw.cap_offset = cpu_to_le16(0x3);
	KUNIT_ASSERT_EQ(test, pvvf_proto_parse_vf_desc(&raw, false, &d), 0);
	KUNIT_EXPECT_EQ(test, d.cap_offset, 0);

	/* Capability values count only with their flag. */
	raw.flags = 0;
	KUNIT_ASSERT_EQ(test, pvvf_proto_parse_vf_desc(&raw, false, &d), 0);
	KUNIT_EXPECT_EQ(test, d.pasid_max_width, 0);
	KUNIT_EXPECT_EQ(test, d.pri_capacity, 0U);
}

struct pvvf_desc_case {
	const char *name;
	void (*mutate)(struct virtio_pvvf_vf_desc *d);
	int err;
};

#define PVVF_DESC_MUT(n, stmt) \
	static void pvvf_desc_##n(struct virtio_pvvf_vf_desc *d) { stmt; }

PVVF_DESC_MUT(path0, d->path_len = 0)
PVVF_DESC_MUT(path9, d->path_len = 9)
PVVF_DESC_MUT(path255, d->path_len = 255)
PVVF_DESC_MUT(vendor0, d->vendor_id = 0)
PVVF_DESC_MUT(vendor_ff, d->vendor_id = cpu_to_le16(0xffff))
PVVF_DESC_MUT(flags, d->flags = cpu_to_le16(0x8))
PVVF_DESC_MUT(pasid_feat, d->pasid_features = 0x1)
PVVF_DESC_MUT(pasid_feat_hi, d->pasid_features = 0x80)
PVVF_DESC_MUT(pasid_width, d->pasid_max_width = 21)
PVVF_DESC_MUT(pri_status, d->pri_status = cpu_to_le16(VIRTIO_PVVF_PRI_RF))
PVVF_DESC_MUT(pri_cap0, d->pri_capacity = 0)
PVVF_DESC_MUT(cap_low, d->cap_offset = cpu_to_le16(0xfc))
PVVF_DESC_MUT(cap_high, d->cap_offset = cpu_to_le16(0xfec))
PVVF_DESC_MUT(cap_align, d->cap_offset = cpu_to_le16(0x102))
PVVF_DESC_MUT(stu_low, d->ats_stu = 11)
PVVF_DESC_MUT(stu_high, d->ats_stu = 44)
PVVF_DESC_MUT(reserved0, d->reserved[0] = 1)
PVVF_DESC_MUT(reserved8, d->reserved[8] = 0x80)
PVVF_DESC_MUT(cap_edge, d->cap_offset = cpu_to_le16(0xfe8))
PVVF_DESC_MUT(path8, d->path_len = 8)
PVVF_DESC_MUT(stu_max, d->ats_stu = 43)

static const struct pvvf_desc_case pvvf_desc_cases[] = {
	{ "path_len 0", pvvf_desc_path0, -ERANGE },
	{ "path_len 9", pvvf_desc_path9, -ERANGE },
	{ "path_len 255", pvvf_desc_path255, -ERANGE },
	{ "vendor 0", pvvf_desc_vendor0, -ERANGE },
	{ "vendor ffff", pvvf_desc_vendor_ff, -ERANGE },
	{ "unknown flag", pvvf_desc_flags, -EINVAL },
	{ "unknown PASID feature", pvvf_desc_pasid_feat, -EINVAL },
	{ "high PASID feature", pvvf_desc_pasid_feat_hi, -EINVAL },
	{ "PASID width 21", pvvf_desc_pasid_width, -ERANGE },
	{ "PRI status RF", pvvf_desc_pri_status, -EINVAL },
	{ "PRI capacity 0", pvvf_desc_pri_cap0, -ERANGE },
	{ "cap offset below 0x100", pvvf_desc_cap_low, -ERANGE },
	{ "cap offset above 0xfe8", pvvf_desc_cap_high, -ERANGE },
	{ "cap offset unaligned", pvvf_desc_cap_align, -ERANGE },
	{ "STU below 12", pvvf_desc_stu_low, -ERANGE },
	{ "STU above 43", pvvf_desc_stu_high, -ERANGE },
	{ "reserved[0]", pvvf_desc_reserved0, -EPROTO },
	{ "reserved[8]", pvvf_desc_reserved8, -EPROTO },
	{ "cap offset 0xfe8", pvvf_desc_cap_edge, 0 },
	{ "path_len 8", pvvf_desc_path8, 0 },
	{ "STU 43", pvvf_desc_stu_max, 0 },
};

static void pvvf_proto_desc_case_desc(const struct pvvf_desc_case *c,
				      char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pvvf_desc, pvvf_desc_cases, pvvf_proto_desc_case_desc);

static void pvvf_proto_desc_hostile(struct kunit *test)
{
	const struct pvvf_desc_case *c = test->param_value;
	struct virtio_pvvf_vf_desc raw;
	struct pvvf_vf_desc d;

	pvvf_proto_good_desc(&raw);
	c->mutate(&raw);
	memset(&d, 0x5a, sizeof(d));
	KUNIT_EXPECT_EQ_MSG(test, pvvf_proto_parse_vf_desc(&raw, true, &d),
			    c->err, "%s", c->name);
	if (c->err)
		KUNIT_EXPECT_EQ_MSG(test, d.path_len, 0x5a,
				    "%s: output written", c->name);
}

/* ---- GET_STATE and PRI_STATUS ---- */

static void pvvf_proto_good_state(struct virtio_pvvf_vf_state *s)
{
	memset(s, 0, sizeof(*s));
	s->epoch = cpu_to_le32(9);
	s->flags = cpu_to_le16(VIRTIO_PVVF_ST_PRESENT | VIRTIO_PVVF_ST_PASID |
			       VIRTIO_PVVF_ST_PRI | VIRTIO_PVVF_ST_PF_PRI);
	s->pri_status = cpu_to_le16(VIRTIO_PVVF_PRI_RF);
	s->pasid_features = VIRTIO_PVVF_PASID_PRIV;
	s->pri_alloc = cpu_to_le32(32);
	s->pri_outstanding = cpu_to_le32(4);
	s->pri_pool_free = cpu_to_le32(100);
}

static void pvvf_proto_state(struct kunit *test)
{
	struct virtio_pvvf_vf_state raw;
	struct pvvf_vf_state st;

	pvvf_proto_good_state(&raw);
	KUNIT_ASSERT_EQ(test, pvvf_proto_parse_state(&raw, &st), 0);
	KUNIT_EXPECT_EQ(test, st.epoch, 9U);
	KUNIT_EXPECT_EQ(test, st.pri_alloc, 32U);
	KUNIT_EXPECT_EQ(test, st.pri_outstanding, 4U);
	KUNIT_EXPECT_EQ(test, st.pri_pool_free, 100U);
	KUNIT_EXPECT_EQ(test, st.pasid_features, VIRTIO_PVVF_PASID_PRIV);

	pvvf_proto_good_state(&raw);
	raw.flags = cpu_to_le16(0x100 | VIRTIO_PVVF_ST_PRESENT);
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_state(&raw, &st), -EINVAL);
	pvvf_proto_good_state(&raw);
	raw.pri_status = cpu_to_le16(0x0004);
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_state(&raw, &st), -EINVAL);
	pvvf_proto_good_state(&raw);
	raw.pasid_features = 0x8;
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_state(&raw, &st), -EINVAL);
	pvvf_proto_good_state(&raw);
	raw.ats_stu = 32;
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_state(&raw, &st), -ERANGE);
	pvvf_proto_good_state(&raw);
	raw.flags = cpu_to_le16(VIRTIO_PVVF_ST_PRESENT | VIRTIO_PVVF_ST_PRI);
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_state(&raw, &st), -ERANGE);
	pvvf_proto_good_state(&raw);
	raw.pri_alloc = 0;
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_state(&raw, &st), -ERANGE);
	pvvf_proto_good_state(&raw);
	raw.reserved[1] = 1;
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_state(&raw, &st), -EPROTO);
	pvvf_proto_good_state(&raw);
	raw.reserved2[3] = 1;
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_state(&raw, &st), -EPROTO);
}

static void pvvf_proto_pri_status(struct kunit *test)
{
	struct virtio_pvvf_resp_pri_status raw = {};
	struct pvvf_pri_status ps;

	raw.status = cpu_to_le16(VIRTIO_PVVF_PRI_STOPPED | VIRTIO_PVVF_PRI_RF);
	raw.outstanding = cpu_to_le32(3);
	KUNIT_ASSERT_EQ(test, pvvf_proto_parse_pri_status(&raw, &ps), 0);
	KUNIT_EXPECT_EQ(test, ps.outstanding, 3U);
	raw.status = cpu_to_le16(0x0200);
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_pri_status(&raw, &ps), -EINVAL);
	raw.status = 0;
	raw.reserved[0] = 1;
	KUNIT_EXPECT_EQ(test, pvvf_proto_parse_pri_status(&raw, &ps), -EPROTO);
}

/* ---- events ---- */

struct pvvf_event_case {
	const char *name;
	u16 type;
	u16 flags;
	u32 vf;
	u32 detail;
	u8 reserved_byte;
	u32 len;
	int err;
};

#define NONE VIRTIO_PVVF_VF_NONE
static const struct pvvf_event_case pvvf_event_cases[] = {
	{ "resync", VIRTIO_PVVF_EVT_RESYNC, 0, NONE, 0, 0, 32, 0 },
	{ "resync with slot", VIRTIO_PVVF_EVT_RESYNC, 0, 1, 0, 0, 32,
	  -ERANGE },
	{ "pf_state revoke", VIRTIO_PVVF_EVT_PF_STATE, 0, 3, 0x3, 0, 32, 0 },
	{ "pf_state values", VIRTIO_PVVF_EVT_PF_STATE, 0, 0, 0x4, 0, 32, 0 },
	{ "pf_state unknown detail", VIRTIO_PVVF_EVT_PF_STATE, 0, 0, 0x8, 0,
	  32, -EINVAL },
	{ "pf_state no slot", VIRTIO_PVVF_EVT_PF_STATE, 0, NONE, 1, 0, 32,
	  -ERANGE },
	{ "reset begin ack", VIRTIO_PVVF_EVT_PF_RESET_BEGIN,
	  VIRTIO_PVVF_EVT_F_ACK, 2, 0, 0, 32, 0 },
	{ "reset with detail", VIRTIO_PVVF_EVT_VF_RESET_DONE, 0, 2, 1, 0, 32,
	  -EINVAL },
	{ "unknown flag", VIRTIO_PVVF_EVT_PRI_STOPPED, 0x2, 2, 0, 0, 32,
	  -EINVAL },
	{ "slot == num_vfs", VIRTIO_PVVF_EVT_PRI_STOPPED, 0, 4, 0, 0, 32,
	  -ERANGE },
	{ "slot huge", VIRTIO_PVVF_EVT_PF_REMOVED, 0, 0xfffffffe, 0, 0, 32,
	  -ERANGE },
	{ "slot beyond, ack", VIRTIO_PVVF_EVT_VF_RESET_BEGIN,
	  VIRTIO_PVVF_EVT_F_ACK, 9, 0, 0, 32, -ERANGE },
	{ "vf_table device", VIRTIO_PVVF_EVT_VF_TABLE, 0, NONE, 0, 0, 32, 0 },
	{ "vf_table slot", VIRTIO_PVVF_EVT_VF_TABLE, 0, 3, 0, 0, 32, 0 },
	{ "unknown type", VIRTIO_PVVF_EVT_COUNT, 0, 0, 0, 0, 32,
	  -EOPNOTSUPP },
	{ "type 0xffff", 0xffff, VIRTIO_PVVF_EVT_F_ACK, 0, 0, 0, 32,
	  -EOPNOTSUPP },
	{ "reserved byte", VIRTIO_PVVF_EVT_PRI_STOPPED, 0, 1, 0, 1, 32,
	  -EPROTO },
	{ "short", VIRTIO_PVVF_EVT_PRI_STOPPED, 0, 1, 0, 0, 31, -EMSGSIZE },
	{ "long", VIRTIO_PVVF_EVT_PRI_STOPPED, 0, 1, 0, 0, 33, -EMSGSIZE },
	{ "empty", VIRTIO_PVVF_EVT_RESYNC, 0, NONE, 0, 0, 0, -EMSGSIZE },
};

#undef NONE

static void pvvf_proto_event_case_desc(const struct pvvf_event_case *c,
				       char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pvvf_event, pvvf_event_cases, pvvf_proto_event_case_desc);

static void pvvf_proto_event_hostile(struct kunit *test)
{
	const struct pvvf_event_case *c = test->param_value;
	struct virtio_pvvf_event raw = {
		.type = cpu_to_le16(c->type), .flags = cpu_to_le16(c->flags),
		.vf = cpu_to_le32(c->vf), .seq = cpu_to_le32(77),
		.epoch = cpu_to_le32(5), .detail = cpu_to_le32(c->detail),
	};
	struct pvvf_event evt = { .seq = 1 };
	int err;

	raw.reserved[11] = c->reserved_byte;
	err = pvvf_proto_parse_event(&raw, c->len, 4, &evt);
	KUNIT_EXPECT_EQ_MSG(test, err, c->err, "%s", c->name);
	if (!err || err == -ERANGE) {
		/* An out-of-range event is filled in, to be acknowledged. */
		KUNIT_EXPECT_EQ(test, evt.seq, 77U);
		KUNIT_EXPECT_EQ(test, evt.type, c->type);
		KUNIT_EXPECT_EQ(test, evt.flags, c->flags);
		KUNIT_EXPECT_EQ(test, evt.vf, c->vf);
	} else {
		KUNIT_EXPECT_EQ_MSG(test, evt.seq, 1U, "%s: written", c->name);
	}
}

static struct kunit_case pvvf_proto_cases[] = {
	KUNIT_CASE(pvvf_proto_config_ok),
	KUNIT_CASE(pvvf_proto_config_hostile),
	KUNIT_CASE(pvvf_proto_num_vfs_only_grows),
	KUNIT_CASE(pvvf_proto_num_vfs_shrink),
	KUNIT_CASE(pvvf_proto_sizes_match_spec),
	KUNIT_CASE(pvvf_proto_build_req_layout),
	KUNIT_CASE(pvvf_proto_build_req_refuses),
	KUNIT_CASE_PARAM(pvvf_proto_check_reply_cases, pvvf_reply_gen_params),
	KUNIT_CASE(pvvf_proto_status_map),
	KUNIT_CASE(pvvf_proto_unknown_qualifier),
	KUNIT_CASE(pvvf_proto_opcodes),
	KUNIT_CASE(pvvf_proto_desc_ok),
	KUNIT_CASE_PARAM(pvvf_proto_desc_hostile, pvvf_desc_gen_params),
	KUNIT_CASE(pvvf_proto_state),
	KUNIT_CASE(pvvf_proto_pri_status),
	KUNIT_CASE_PARAM(pvvf_proto_event_hostile, pvvf_event_gen_params),
	{}
};

static struct kunit_suite pvvf_proto_suite = {
	.name = "pvvf_proto",
	.test_cases = pvvf_proto_cases,
};

kunit_test_suite(pvvf_proto_suite);

MODULE_LICENSE("GPL");
