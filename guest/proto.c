// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf: parse and check what the device wrote (docs/spec.md section 6).
 *
 * Pure functions: no virtio, PCI or locking.  Every caller hands in a private
 * copy of the device's bytes, so a value cannot change between its check and
 * its use.
 */
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/byteorder.h>

#include "proto.h"

static_assert(sizeof(struct virtio_pvvf_req_ats_set) <= PVVF_REQ_MAX);
static_assert(sizeof(struct virtio_pvvf_resp_get_vf) == PVVF_RESP_MAX);

struct pvvf_op_sizes {
	u8 req;
	u8 resp;
	bool vf_scoped;
};

/* docs/spec.md 6.1: every opcode has one request and one reply size. */
static const struct pvvf_op_sizes pvvf_ops[] = {
	[VIRTIO_PVVF_OP_NOP] = { 16, 8, false },
	[VIRTIO_PVVF_OP_GET_OPCODES] = { 16, 40, false },
	[VIRTIO_PVVF_OP_GET_VF] = { 16, 56, true },
	[VIRTIO_PVVF_OP_GET_STATE] = { 16, 36, true },
	[VIRTIO_PVVF_OP_EVENT_ACK] = { 24, 8, false },
	[VIRTIO_PVVF_OP_ATS_SET] = { 24, 8, true },
	[VIRTIO_PVVF_OP_PASID_ENABLE] = { 24, 8, true },
	[VIRTIO_PVVF_OP_PASID_DISABLE] = { 16, 8, true },
	[VIRTIO_PVVF_OP_PRI_ENABLE] = { 24, 8, true },
	[VIRTIO_PVVF_OP_PRI_DISABLE] = { 16, 8, true },
	[VIRTIO_PVVF_OP_PRI_RESET] = { 16, 8, true },
	[VIRTIO_PVVF_OP_PRI_STATUS] = { 16, 16, true },
};

static const struct pvvf_op_sizes *pvvf_op(u16 opcode)
{
	if (opcode >= ARRAY_SIZE(pvvf_ops) || !pvvf_ops[opcode].req)
		return NULL;
	return &pvvf_ops[opcode];
}

/* Size of @opcode's request, or -EINVAL for an opcode this driver lacks. */
int pvvf_proto_req_size(u16 opcode)
{
	const struct pvvf_op_sizes *op = pvvf_op(opcode);

	return op ? op->req : -EINVAL;
}

/* Size of @opcode's full reply, or -EINVAL for an opcode this driver lacks. */
int pvvf_proto_resp_size(u16 opcode)
{
	const struct pvvf_op_sizes *op = pvvf_op(opcode);

	return op ? op->resp : -EINVAL;
}

/* True if @opcode names a VF slot rather than VIRTIO_PVVF_VF_NONE. */
bool pvvf_proto_op_is_vf(u16 opcode)
{
	const struct pvvf_op_sizes *op = pvvf_op(opcode);

	return op && op->vf_scoped;
}

/*
 * The status numbers are fixed by the header on every architecture; map each
 * to this kernel's errno.  Anything else is a device error.
 */
int pvvf_proto_status_to_errno(u16 status)
{
	switch (status) {
	case VIRTIO_PVVF_S_OK:		return 0;
	case VIRTIO_PVVF_S_EPERM:	return -EPERM;
	case VIRTIO_PVVF_S_EIO:		return -EIO;
	case VIRTIO_PVVF_S_EAGAIN:	return -EAGAIN;
	case VIRTIO_PVVF_S_ENOMEM:	return -ENOMEM;
	case VIRTIO_PVVF_S_EBUSY:	return -EBUSY;
	case VIRTIO_PVVF_S_ENODEV:	return -ENODEV;
	case VIRTIO_PVVF_S_EINVAL:	return -EINVAL;
	case VIRTIO_PVVF_S_ENOSPC:	return -ENOSPC;
	case VIRTIO_PVVF_S_EPROTO:	return -EPROTO;
	case VIRTIO_PVVF_S_EOPNOTSUPP:	return -EOPNOTSUPP;
	case VIRTIO_PVVF_S_ETIMEDOUT:	return -ETIMEDOUT;
	case VIRTIO_PVVF_S_EALREADY:	return -EALREADY;
	default:			return -EPROTO;
	}
}

static void pvvf_proto_put_args(void *buf, u16 opcode,
				const struct pvvf_req_args *args)
{
	struct virtio_pvvf_req_event_ack *ack = buf;
	struct virtio_pvvf_req_ats_set *ats = buf;
	struct virtio_pvvf_req_pasid_enable *pasid = buf;
	struct virtio_pvvf_req_pri_enable *pri = buf;

	switch (opcode) {
	case VIRTIO_PVVF_OP_EVENT_ACK:
		ack->seq = cpu_to_le32(args->value);
		break;
	case VIRTIO_PVVF_OP_ATS_SET:
		ats->enable = args->enable;
		ats->stu = args->stu;
		break;
	case VIRTIO_PVVF_OP_PASID_ENABLE:
		pasid->features = args->value;
		break;
	case VIRTIO_PVVF_OP_PRI_ENABLE:
		pri->alloc = cpu_to_le32(args->value);
		break;
	}
}

static int pvvf_proto_check_args(u16 opcode, const struct pvvf_req_args *args)
{
	switch (opcode) {
	case VIRTIO_PVVF_OP_ATS_SET:
		if (args->enable > 1 || args->stu > 31)
			return -ERANGE;
		break;
	case VIRTIO_PVVF_OP_PASID_ENABLE:
		if (args->value & ~VIRTIO_PVVF_PASID_MASK)
			return -EINVAL;
		break;
	case VIRTIO_PVVF_OP_PRI_ENABLE:
		if (!args->value)
			return -ERANGE;
		break;
	}
	return 0;
}

/**
 * pvvf_proto_build_req() - write a request into a driver-owned buffer
 * @buf: destination, at least the opcode's request size
 * @buf_len: size of @buf
 * @opcode: VIRTIO_PVVF_OP_*
 * @vf: slot, or VIRTIO_PVVF_VF_NONE for a device-scoped opcode
 * @tag: the request's tag
 * @args: operands (may be NULL for opcodes without any)
 *
 * Return: the request size, or -EINVAL / -ERANGE for a request the spec does
 * not allow (docs/spec.md 6.1.3).
 */
int pvvf_proto_build_req(void *buf, size_t buf_len, u16 opcode, u32 vf,
			 u32 tag, const struct pvvf_req_args *args)
{
	static const struct pvvf_req_args none;
	const struct pvvf_op_sizes *op = pvvf_op(opcode);
	struct virtio_pvvf_req_head *head = buf;
	bool dev_scoped = vf == VIRTIO_PVVF_VF_NONE;
	int err;

	if (!op || buf_len < op->req)
		return -EINVAL;
	if (op->vf_scoped == dev_scoped)
		return -EINVAL;
	if (op->vf_scoped && vf >= VIRTIO_PVVF_MAX_VFS)
		return -ERANGE;
	args = args ?: &none;
	err = pvvf_proto_check_args(opcode, args);
	if (err)
		return err;

	memset(buf, 0, op->req);
	head->opcode = cpu_to_le16(opcode);
	head->vf = cpu_to_le32(vf);
	head->tag = cpu_to_le32(tag);
	pvvf_proto_put_args(buf, opcode, args);
	return op->req;
}

/**
 * pvvf_proto_check_reply() - check a reply the device returned
 * @opcode: the request's opcode
 * @tag: the request's tag
 * @buf: a private copy of the device-writable buffer
 * @used_len: the used length the device reported
 * @reply: the status as an errno, and the qualifier
 *
 * docs/spec.md 6.1.3: accept the full reply size with any status, or just
 * the header with a non-zero status; a tag that is not the request's means
 * the reply is discarded.
 *
 * Return: 0 if the reply may be used (see @reply->err for the device's
 * answer), -EPROTO for a wrong size or a qualifier on success, -EBADMSG for
 * a wrong tag, -EINVAL for an opcode this driver does not know.
 */
int pvvf_proto_check_reply(u16 opcode, u32 tag, const void *buf,
			   u32 used_len, struct pvvf_reply *reply)
{
	const struct virtio_pvvf_resp_head *head = buf;
	const struct pvvf_op_sizes *op = pvvf_op(opcode);
	u16 status, qualifier;

	if (!op)
		return -EINVAL;
	if (used_len != op->resp && used_len != sizeof(*head))
		return -EPROTO;
	status = le16_to_cpu(head->status);
	qualifier = le16_to_cpu(head->qualifier);
	if (used_len != op->resp && status == VIRTIO_PVVF_S_OK)
		return -EPROTO;
	if (le32_to_cpu(head->tag) != tag)
		return -EBADMSG;
	if (status == VIRTIO_PVVF_S_OK && qualifier != VIRTIO_PVVF_Q_NONE)
		return -EPROTO;

	reply->err = pvvf_proto_status_to_errno(status);
	reply->qualifier = qualifier <= VIRTIO_PVVF_Q_PF_IO ? qualifier : 0;
	return 0;
}

static bool pvvf_mem_is_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

/* Device configuration (docs/spec.md 5, 5.2). */
int pvvf_proto_parse_config(const struct virtio_pvvf_config *raw,
			    struct pvvf_config *cfg)
{
	u16 num_vfs = le16_to_cpu(raw->num_vfs);

	if (!pvvf_mem_is_zero(raw->reserved, sizeof(raw->reserved)))
		return -EPROTO;
	if (num_vfs > VIRTIO_PVVF_MAX_VFS)
		return -ERANGE;
	cfg->epoch = le32_to_cpu(raw->epoch);
	cfg->num_vfs = num_vfs;
	return 0;
}

/**
 * pvvf_proto_num_vfs() - the VF slots to use after reading num_vfs
 * @limit: the most slots usable until the next device reset
 *         (VIRTIO_PVVF_MAX_VFS after one); lowered by a shrink
 * @old_num: the slots in use; 0 right after a device reset
 * @new_num: num_vfs as just read
 * @use: set to the slots to use from now on
 *
 * num_vfs never decreases while DRIVER_OK is set (docs/spec.md 5.1).  A
 * smaller value is a device error (5.2): the slots above it are no longer
 * used, and not used again before a device reset, whatever num_vfs says.
 *
 * Return: 0, or -ESTALE for a shrink.
 */
int pvvf_proto_num_vfs(u16 *limit, u16 old_num, u16 new_num, u16 *use)
{
	int err = 0;

	if (new_num < old_num) {
		if (new_num < *limit)
			*limit = new_num;
		err = -ESTALE;
	}
	*use = new_num < *limit ? new_num : *limit;
	if (*use > VIRTIO_PVVF_MAX_VFS)
		*use = VIRTIO_PVVF_MAX_VFS;
	return err;
}

/**
 * pvvf_proto_parse_opcodes() - the GET_OPCODES bitmap
 * @raw: a private copy of the reply
 * @known: set to the supported opcodes this driver knows, as a bit mask
 *
 * Return: 0, or -EOPNOTSUPP if an opcode in PVVF_OPS_REQUIRED is missing.
 */
int pvvf_proto_parse_opcodes(const struct virtio_pvvf_resp_opcodes *raw,
			     u64 *known)
{
	u64 mask = 0;
	unsigned int op;

	for (op = 0; op < ARRAY_SIZE(pvvf_ops); op++) {
		if (pvvf_op(op) && (raw->bitmap[op / 8] & BIT(op % 8)))
			mask |= BIT_ULL(op);
	}
	if ((mask & PVVF_OPS_REQUIRED) != PVVF_OPS_REQUIRED)
		return -EOPNOTSUPP;
	*known = mask;
	return 0;
}

#define PVVF_VF_F_ALL \
	(VIRTIO_PVVF_VF_F_PASID | VIRTIO_PVVF_VF_F_PRI | VIRTIO_PVVF_VF_F_ATS)
#define PVVF_CAP_OFFSET_MIN	0x100
#define PVVF_CAP_OFFSET_MAX	0xfe8
/* Linux keeps the STU as a page shift: 12 + the 5-bit STU field. */
#define PVVF_ATS_PS_MIN		12
#define PVVF_ATS_PS_MAX		(PVVF_ATS_PS_MIN + 31)

static int pvvf_proto_check_vf_desc(const struct virtio_pvvf_vf_desc *raw,
				    bool cap_offset_ok)
{
	u16 flags = le16_to_cpu(raw->flags);
	u16 vendor = le16_to_cpu(raw->vendor_id);
	u16 cap = le16_to_cpu(raw->cap_offset);

	if (!pvvf_mem_is_zero(raw->reserved, sizeof(raw->reserved)))
		return -EPROTO;
	if (!raw->path_len || raw->path_len > VIRTIO_PVVF_PATH_MAX)
		return -ERANGE;
	if (vendor == 0 || vendor == 0xffff)
		return -ERANGE;
	if (flags & ~PVVF_VF_F_ALL)
		return -EINVAL;
	if (raw->pasid_features & ~VIRTIO_PVVF_PASID_MASK)
		return -EINVAL;
	if (le16_to_cpu(raw->pri_status) & ~VIRTIO_PVVF_PRI_PASID)
		return -EINVAL;
	if (raw->pasid_max_width > VIRTIO_PVVF_PASID_WIDTH_MAX)
		return -ERANGE;
	if ((flags & VIRTIO_PVVF_VF_F_PRI) && !le32_to_cpu(raw->pri_capacity))
		return -ERANGE;
	if (raw->ats_stu &&
	    (raw->ats_stu < PVVF_ATS_PS_MIN || raw->ats_stu > PVVF_ATS_PS_MAX))
		return -ERANGE;
	if (cap_offset_ok && cap &&
	    (cap < PVVF_CAP_OFFSET_MIN || cap > PVVF_CAP_OFFSET_MAX || cap & 3))
		return -ERANGE;
	return 0;
}

/**
 * pvvf_proto_parse_vf_desc() - a GET_VF descriptor
 * @raw: a private copy of the descriptor
 * @cap_offset_ok: VIRTIO_PVVF_F_CAP_OFFSET was negotiated
 * @desc: the converted descriptor
 *
 * docs/spec.md 6.4.3 lists what the driver must refuse.  The capability
 * values are kept only when the descriptor says the PF has the capability.
 *
 * Return: 0, -EPROTO, -EINVAL or -ERANGE.
 */
int pvvf_proto_parse_vf_desc(const struct virtio_pvvf_vf_desc *raw,
			     bool cap_offset_ok, struct pvvf_vf_desc *desc)
{
	int err = pvvf_proto_check_vf_desc(raw, cap_offset_ok);

	if (err)
		return err;
	memset(desc, 0, sizeof(*desc));
	desc->segment = le16_to_cpu(raw->segment);
	desc->root_bus = raw->root_bus;
	desc->path_len = raw->path_len;
	memcpy(desc->path, raw->path, raw->path_len);
	desc->vendor_id = le16_to_cpu(raw->vendor_id);
	desc->device_id = le16_to_cpu(raw->device_id);
	desc->pf_id = le64_to_cpu(raw->pf_id);
	desc->vf_index = le16_to_cpu(raw->vf_index);
	desc->flags = le16_to_cpu(raw->flags);
	desc->cap_offset = cap_offset_ok ? le16_to_cpu(raw->cap_offset) : 0;
	if (desc->flags & VIRTIO_PVVF_VF_F_PASID) {
		desc->pasid_max_width = raw->pasid_max_width;
		desc->pasid_features = raw->pasid_features;
	}
	if (desc->flags & VIRTIO_PVVF_VF_F_PRI) {
		desc->pri_capacity = le32_to_cpu(raw->pri_capacity);
		desc->pri_status = le16_to_cpu(raw->pri_status);
	}
	desc->ats_stu = raw->ats_stu;
	return 0;
}

#define PVVF_ST_ALL	0x00ff
#define PVVF_PRI_ALL \
	(VIRTIO_PVVF_PRI_RF | VIRTIO_PVVF_PRI_UPRGI | VIRTIO_PVVF_PRI_STOPPED | \
	 VIRTIO_PVVF_PRI_PASID)

/**
 * pvvf_proto_parse_state() - a GET_STATE reply payload
 * @raw: a private copy of the state
 * @st: the converted state
 *
 * Return: 0; -EPROTO for non-zero reserved bytes; -EINVAL for unknown bits;
 * -ERANGE for an STU above 31, PASID features without PASID enabled, or
 * PRI enabled with no allocation.
 */
int pvvf_proto_parse_state(const struct virtio_pvvf_vf_state *raw,
			   struct pvvf_vf_state *st)
{
	u16 flags = le16_to_cpu(raw->flags);
	u16 pri_status = le16_to_cpu(raw->pri_status);

	if (!pvvf_mem_is_zero(raw->reserved, sizeof(raw->reserved)) ||
	    !pvvf_mem_is_zero(raw->reserved2, sizeof(raw->reserved2)))
		return -EPROTO;
	if (flags & ~PVVF_ST_ALL || pri_status & ~PVVF_PRI_ALL ||
	    raw->pasid_features & ~VIRTIO_PVVF_PASID_MASK)
		return -EINVAL;
	if (raw->ats_stu > 31)
		return -ERANGE;
	if (!(flags & VIRTIO_PVVF_ST_PASID) && raw->pasid_features)
		return -ERANGE;
	if ((flags & VIRTIO_PVVF_ST_PRI) && !le32_to_cpu(raw->pri_alloc))
		return -ERANGE;

	st->epoch = le32_to_cpu(raw->epoch);
	st->flags = flags;
	st->pri_status = pri_status;
	st->pasid_features = raw->pasid_features;
	st->ats_stu = raw->ats_stu;
	st->pri_alloc = le32_to_cpu(raw->pri_alloc);
	st->pri_outstanding = le32_to_cpu(raw->pri_outstanding);
	st->pri_pool_free = le32_to_cpu(raw->pri_pool_free);
	return 0;
}

/* A PRI_STATUS reply: -EPROTO for reserved bytes, -EINVAL for unknown bits. */
int pvvf_proto_parse_pri_status(const struct virtio_pvvf_resp_pri_status *raw,
				struct pvvf_pri_status *ps)
{
	u16 status = le16_to_cpu(raw->status);

	if (!pvvf_mem_is_zero(raw->reserved, sizeof(raw->reserved)))
		return -EPROTO;
	if (status & ~PVVF_PRI_ALL)
		return -EINVAL;
	ps->status = status;
	ps->outstanding = le32_to_cpu(raw->outstanding);
	return 0;
}

#define PVVF_DETAIL_ALL \
	(VIRTIO_PVVF_DETAIL_PASID_REVOKED | VIRTIO_PVVF_DETAIL_PRI_REVOKED | \
	 VIRTIO_PVVF_DETAIL_VALUES)

/* docs/spec.md 6.9: which events name a slot, which name the device. */
static int pvvf_proto_check_event_vf(u16 type, u32 vf, u16 num_vfs)
{
	if (vf == VIRTIO_PVVF_VF_NONE)
		return type == VIRTIO_PVVF_EVT_RESYNC ||
		       type == VIRTIO_PVVF_EVT_VF_TABLE ? 0 : -ERANGE;
	if (type == VIRTIO_PVVF_EVT_RESYNC)
		return -ERANGE;
	return vf < num_vfs ? 0 : -ERANGE;
}

/**
 * pvvf_proto_parse_event() - an eventq buffer
 * @buf: a private copy of the buffer
 * @len: the used length the device reported
 * @num_vfs: the slots the driver knows
 * @evt: the converted event
 *
 * Return: 0; -EMSGSIZE unless @len is 32; -EPROTO for reserved bytes;
 * -EOPNOTSUPP for an unknown type; -EINVAL for unknown flag or detail bits;
 * -ERANGE for a slot the driver does not know or the wrong scope, with
 * @evt filled in (docs/spec.md 6.9.3: such an event is ignored, but one
 * with EVT_F_ACK is still acknowledged).
 */
int pvvf_proto_parse_event(const void *buf, u32 len, u16 num_vfs,
			   struct pvvf_event *evt)
{
	const struct virtio_pvvf_event *raw = buf;
	u16 type, flags;
	u32 vf, detail;

	if (len != sizeof(*raw))
		return -EMSGSIZE;
	if (!pvvf_mem_is_zero(raw->reserved, sizeof(raw->reserved)))
		return -EPROTO;
	type = le16_to_cpu(raw->type);
	flags = le16_to_cpu(raw->flags);
	vf = le32_to_cpu(raw->vf);
	detail = le32_to_cpu(raw->detail);
	if (type >= VIRTIO_PVVF_EVT_COUNT)
		return -EOPNOTSUPP;
	if (flags & ~VIRTIO_PVVF_EVT_F_ACK)
		return -EINVAL;
	if (type == VIRTIO_PVVF_EVT_PF_STATE ? detail & ~PVVF_DETAIL_ALL : detail)
		return -EINVAL;
	evt->type = type;
	evt->flags = flags;
	evt->vf = vf;
	evt->seq = le32_to_cpu(raw->seq);
	evt->epoch = le32_to_cpu(raw->epoch);
	evt->detail = detail;
	return pvvf_proto_check_event_vf(type, vf, num_vfs);
}
