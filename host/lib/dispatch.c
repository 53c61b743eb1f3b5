// SPDX-License-Identifier: BSD-3-Clause
/*
 * Request decoding and validation (docs/spec.md 6.1.2), then the rule
 * functions of arb.c, then the reply.
 *
 * The request is copied once into a local buffer before anything looks at
 * it, so a guest changing its buffer meanwhile cannot make two checks see
 * different bytes.  Checks run in the order the spec fixes; the first that
 * fails decides the reply, and nothing changes state before all passed.
 */
#include <string.h>

#include "core_int.h"

#define PVVF_REQ_MAX	24	/* largest request */
#define PVVF_RESP_MAX	56	/* largest reply (GET_VF) */
#define PVVF_HDR	sizeof(struct virtio_pvvf_req_head)
#define PVVF_RHDR	sizeof(struct virtio_pvvf_resp_head)
#define PVVF_NO_FEATURE	(-1)

typedef struct pvvf_verdict pvvf_op_fn(struct pvvf_guest *g, struct pvvf_vf *vf,
				       const uint8_t *req, uint8_t *resp);

struct pvvf_op {
	const char *name;
	uint8_t req_len;
	uint8_t resp_len;
	uint8_t rsvd_from;	/* first reserved byte of the body, 0: none */
	int8_t feature;		/* VIRTIO_PVVF_F_* or PVVF_NO_FEATURE */
	bool vf_scoped;
	pvvf_op_fn *fn;
};

static uint16_t pvvf_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t pvvf_le32(const uint8_t *p)
{
	return (uint32_t)pvvf_le16(p) | (uint32_t)pvvf_le16(p + 2) << 16;
}

static const char *const pvvf_qual_names[] = {
	"none", "bad_length", "reserved", "bad_opcode", "bad_flags",
	"bad_value", "feature", "vf_ats", "pf_ats", "pf_unsupported",
	"pri_enabled", "not_stopped", "pool", "pf_gone", "pf_reset", "stu",
	"revoked", "seq", "pf_io",
};

const char *pvvf_qual_name(uint16_t qual)
{
	if (qual < sizeof(pvvf_qual_names) / sizeof(pvvf_qual_names[0]))
		return pvvf_qual_names[qual];
	return "unknown";
}

/* ---- common per-VF gates ---- */

/*
 * A removed PF answers nothing but descriptor and state reads; while a PF
 * reset waits for acknowledgements nothing new may be enabled (disables
 * are how a driver quiesces, so they stay allowed).
 */
static struct pvvf_verdict pvvf_vf_usable(const struct pvvf_vf *vf, bool enabling)
{
	if (vf->pf->gone)
		return PVVF_FAIL(ENODEV, PF_GONE);
	if (enabling && vf->pf->reset_pending)
		return PVVF_FAIL(EAGAIN, PF_RESET);
	return PVVF_OK;
}

static struct pvvf_verdict pvvf_vf_usable_pasid(const struct pvvf_vf *vf, bool enabling)
{
	struct pvvf_verdict v = pvvf_vf_usable(vf, enabling);

	if (!v.status && !vf->pf->caps.pasid)
		return PVVF_FAIL(EOPNOTSUPP, PF_UNSUPPORTED);
	return v;
}

static struct pvvf_verdict pvvf_vf_usable_pri(const struct pvvf_vf *vf, bool enabling)
{
	struct pvvf_verdict v = pvvf_vf_usable(vf, enabling);

	if (!v.status && !vf->pf->caps.pri)
		return PVVF_FAIL(EOPNOTSUPP, PF_UNSUPPORTED);
	return v;
}

/* ---- device-scoped opcodes ---- */

static struct pvvf_verdict pvvf_op_nop(struct pvvf_guest *g, struct pvvf_vf *vf,
				       const uint8_t *req, uint8_t *resp)
{
	(void)g, (void)vf, (void)req, (void)resp;
	return PVVF_OK;
}

static const struct pvvf_op pvvf_ops[VIRTIO_PVVF_OP_COUNT];

static struct pvvf_verdict pvvf_op_get_opcodes(struct pvvf_guest *g, struct pvvf_vf *vf,
					       const uint8_t *req, uint8_t *resp)
{
	(void)g, (void)vf, (void)req;
	for (unsigned int op = 0; op < VIRTIO_PVVF_OP_COUNT; op++)
		if (pvvf_ops[op].fn)
			resp[PVVF_RHDR + op / 8] |= (uint8_t)(1u << (op % 8));
	return PVVF_OK;
}

static struct pvvf_verdict pvvf_op_event_ack(struct pvvf_guest *g, struct pvvf_vf *vf,
					     const uint8_t *req, uint8_t *resp)
{
	(void)vf, (void)resp;
	if (!pvvf_evq_ack(g, pvvf_le32(req + PVVF_HDR)))
		return PVVF_FAIL(EINVAL, SEQ);
	return PVVF_OK;
}

/* ---- descriptor and state ---- */

static uint16_t pvvf_desc_flags(const struct pvvf_pf *pf)
{
	return (pf->caps.pasid ? VIRTIO_PVVF_VF_F_PASID : 0) |
	       (pf->caps.pri ? VIRTIO_PVVF_VF_F_PRI : 0) |
	       (pf->caps.vf_ats ? VIRTIO_PVVF_VF_F_ATS : 0);
}

static struct pvvf_verdict pvvf_op_get_vf(struct pvvf_guest *g, struct pvvf_vf *vf,
					  const uint8_t *req, uint8_t *resp)
{
	const struct pvvf_pf *pf = vf->pf;
	struct virtio_pvvf_vf_desc d = { 0 };

	(void)req;
	d.segment = htole16(vf->segment);
	d.root_bus = vf->root_bus;
	d.path_len = vf->path_len;
	memcpy(d.path, vf->path, sizeof(d.path));
	d.vendor_id = htole16(vf->vendor_id);
	d.device_id = htole16(vf->device_id);
	d.pf_id = htole64(pf->id);
	d.vf_index = htole16(vf->index);
	d.flags = htole16(pvvf_desc_flags(pf));
	if (pvvf_guest_has(g, VIRTIO_PVVF_F_CAP_OFFSET))
		d.cap_offset = htole16(vf->cap_offset);
	d.pasid_max_width = pf->caps.pasid ? pf->caps.pasid_max_width : 0;
	d.pasid_features = pf->caps.pasid ? pf->caps.pasid_features : 0;
	d.pri_capacity = htole32(pf->caps.pri_capacity);
	d.pri_status = htole16(pf->caps.pri && pf->caps.pri_pasid_required ?
			       VIRTIO_PVVF_PRI_PASID : 0);
	d.ats_stu = pf->caps.ats_stu;
	memcpy(resp + PVVF_RHDR, &d, sizeof(d));
	return PVVF_OK;
}

static uint16_t pvvf_state_flags(const struct pvvf_vf *vf)
{
	const struct pvvf_pf *pf = vf->pf;

	return VIRTIO_PVVF_ST_PRESENT |
	       (vf->ats ? VIRTIO_PVVF_ST_ATS : 0) |
	       (vf->pasid ? VIRTIO_PVVF_ST_PASID : 0) |
	       (vf->pri_enabled ? VIRTIO_PVVF_ST_PRI : 0) |
	       (pf->pasid_ctrl & PCI_PASID_CTRL_ENABLE ? VIRTIO_PVVF_ST_PF_PASID : 0) |
	       (pf->pri_on ? VIRTIO_PVVF_ST_PF_PRI : 0) |
	       (pf->reset_pending ? VIRTIO_PVVF_ST_PF_RESET : 0) |
	       (pf->gone ? VIRTIO_PVVF_ST_PF_GONE : 0);
}

static struct pvvf_verdict pvvf_op_get_state(struct pvvf_guest *g, struct pvvf_vf *vf,
					     const uint8_t *req, uint8_t *resp)
{
	struct virtio_pvvf_vf_state s = { 0 };

	(void)req;
	s.epoch = htole32(g->epoch);
	s.flags = htole16(pvvf_state_flags(vf));
	s.pri_status = htole16(vf->pf->caps.pri ? pvvf_vf_pri_status(vf) : 0);
	s.pasid_features = vf->pasid_features;
	s.ats_stu = vf->ats ? vf->ats_stu : 0;
	s.pri_alloc = htole32(vf->pri_held);
	s.pri_outstanding = htole32(pvvf_vf_pri_outstanding(vf));
	s.pri_pool_free = htole32(vf->pf->pri_free);
	memcpy(resp + PVVF_RHDR, &s, sizeof(s));
	return PVVF_OK;
}

/* ---- ATS, PASID, PRI ---- */

static struct pvvf_verdict pvvf_op_ats_set(struct pvvf_guest *g, struct pvvf_vf *vf,
					   const uint8_t *req, uint8_t *resp)
{
	uint8_t enable = req[PVVF_HDR], stu = req[PVVF_HDR + 1];
	struct pvvf_verdict v;

	(void)g, (void)resp;
	if (enable > 1)
		return PVVF_FAIL(EINVAL, BAD_VALUE);
	v = pvvf_vf_usable(vf, enable);
	return v.status ? v : pvvf_vf_ats_set(vf, enable, stu);
}

static struct pvvf_verdict pvvf_op_pasid_enable(struct pvvf_guest *g, struct pvvf_vf *vf,
						const uint8_t *req, uint8_t *resp)
{
	uint8_t features = req[PVVF_HDR];
	struct pvvf_verdict v;

	(void)g, (void)resp;
	if (features & ~VIRTIO_PVVF_PASID_MASK)
		return PVVF_FAIL(EINVAL, BAD_FLAGS);
	v = pvvf_vf_usable_pasid(vf, true);
	return v.status ? v : pvvf_vf_pasid_enable(vf, features);
}

static struct pvvf_verdict pvvf_op_pasid_disable(struct pvvf_guest *g, struct pvvf_vf *vf,
						 const uint8_t *req, uint8_t *resp)
{
	struct pvvf_verdict v = pvvf_vf_usable_pasid(vf, false);

	(void)g, (void)req, (void)resp;
	return v.status ? v : pvvf_vf_pasid_disable(vf);
}

static struct pvvf_verdict pvvf_op_pri_enable(struct pvvf_guest *g, struct pvvf_vf *vf,
					      const uint8_t *req, uint8_t *resp)
{
	struct pvvf_verdict v = pvvf_vf_usable_pri(vf, true);

	(void)g, (void)resp;
	return v.status ? v : pvvf_vf_pri_enable(vf, pvvf_le32(req + PVVF_HDR));
}

static struct pvvf_verdict pvvf_op_pri_disable(struct pvvf_guest *g, struct pvvf_vf *vf,
					       const uint8_t *req, uint8_t *resp)
{
	struct pvvf_verdict v = pvvf_vf_usable_pri(vf, false);

	(void)g, (void)req, (void)resp;
	return v.status ? v : pvvf_vf_pri_disable(vf);
}

static struct pvvf_verdict pvvf_op_pri_reset(struct pvvf_guest *g, struct pvvf_vf *vf,
					     const uint8_t *req, uint8_t *resp)
{
	struct pvvf_verdict v = pvvf_vf_usable_pri(vf, false);

	(void)g, (void)req, (void)resp;
	return v.status ? v : pvvf_vf_pri_reset(vf);
}

static struct pvvf_verdict pvvf_op_pri_status(struct pvvf_guest *g, struct pvvf_vf *vf,
					      const uint8_t *req, uint8_t *resp)
{
	struct virtio_pvvf_resp_pri_status r = { 0 };
	struct pvvf_verdict v = pvvf_vf_usable_pri(vf, false);

	(void)g, (void)req;
	if (v.status)
		return v;
	r.status = htole16(pvvf_vf_pri_status(vf));
	r.outstanding = htole32(pvvf_vf_pri_outstanding(vf));
	memcpy(resp + PVVF_RHDR, (uint8_t *)&r + PVVF_RHDR, sizeof(r) - PVVF_RHDR);
	return PVVF_OK;
}

/* docs/spec.md 6.1: sizes, scope and feature of every opcode */
#define OP(code, nm, rq, rp, rs, feat, scoped, f) \
	[VIRTIO_PVVF_OP_##code] = { nm, rq, rp, rs, feat, scoped, f }
static const struct pvvf_op pvvf_ops[VIRTIO_PVVF_OP_COUNT] = {
	OP(NOP, "nop", 16, 8, 0, PVVF_NO_FEATURE, false, pvvf_op_nop),
	OP(GET_OPCODES, "get_opcodes", 16, 40, 0, PVVF_NO_FEATURE, false, pvvf_op_get_opcodes),
	OP(GET_VF, "get_vf", 16, 56, 0, PVVF_NO_FEATURE, true, pvvf_op_get_vf),
	OP(GET_STATE, "get_state", 16, 36, 0, PVVF_NO_FEATURE, true, pvvf_op_get_state),
	OP(EVENT_ACK, "event_ack", 24, 8, 20, PVVF_NO_FEATURE, false, pvvf_op_event_ack),
	OP(ATS_SET, "ats_set", 24, 8, 18, PVVF_NO_FEATURE, true, pvvf_op_ats_set),
	OP(PASID_ENABLE, "pasid_enable", 24, 8, 17, VIRTIO_PVVF_F_PASID, true, pvvf_op_pasid_enable),
	OP(PASID_DISABLE, "pasid_disable", 16, 8, 0, VIRTIO_PVVF_F_PASID, true, pvvf_op_pasid_disable),
	OP(PRI_ENABLE, "pri_enable", 24, 8, 20, VIRTIO_PVVF_F_PRI, true, pvvf_op_pri_enable),
	OP(PRI_DISABLE, "pri_disable", 16, 8, 0, VIRTIO_PVVF_F_PRI, true, pvvf_op_pri_disable),
	OP(PRI_RESET, "pri_reset", 16, 8, 0, VIRTIO_PVVF_F_PRI, true, pvvf_op_pri_reset),
	OP(PRI_STATUS, "pri_status", 16, 16, 0, VIRTIO_PVVF_F_PRI, true, pvvf_op_pri_status),
};
#undef OP

_Static_assert(sizeof(struct virtio_pvvf_resp_get_vf) == PVVF_RESP_MAX, "largest reply");
_Static_assert(sizeof(struct virtio_pvvf_req_pri_enable) == PVVF_REQ_MAX, "largest request");

/* ---- validation ---- */

static bool pvvf_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* 6.1.2 after the lengths: flags, reserved bytes, feature, vf. */
static struct pvvf_verdict pvvf_req_check(const struct pvvf_guest *g, const struct pvvf_op *op,
					  const uint8_t *req, struct pvvf_vf **vf)
{
	uint32_t slot = pvvf_le32(req + 4);

	if (pvvf_le16(req + 2) != VIRTIO_PVVF_REQ_F_NONE)
		return PVVF_FAIL(EINVAL, BAD_FLAGS);
	if (!pvvf_zero(req + 12, 4) ||
	    (op->rsvd_from && !pvvf_zero(req + op->rsvd_from, op->req_len - op->rsvd_from)))
		return PVVF_FAIL(EPROTO, RESERVED);
	if (op->feature != PVVF_NO_FEATURE && !pvvf_guest_has(g, (uint64_t)op->feature))
		return PVVF_FAIL(EOPNOTSUPP, FEATURE);
	/* Another guest's VF and an empty slot look exactly the same. */
	*vf = op->vf_scoped ? pvvf_guest_slot_vf(g, slot) : NULL;
	if (op->vf_scoped ? !*vf : slot != VIRTIO_PVVF_VF_NONE)
		return PVVF_FAIL(ENODEV, NONE);
	return PVVF_OK;
}

static void pvvf_req_log(struct pvvf_guest *g, const struct pvvf_op *op, uint16_t opcode,
			 uint32_t slot, const struct pvvf_vf *vf, struct pvvf_verdict v)
{
	char opname[8], slotname[12];

	if (!pvvf_log_on(g->core))
		return;
	snprintf(opname, sizeof(opname), "0x%04x", opcode);
	snprintf(slotname, sizeof(slotname), slot == VIRTIO_PVVF_VF_NONE ? "none" : "%u", slot);
	if (!vf) {
		pvvf_log(g->core, "decision guest=%s slot=%s op=%s status=%u qual=%s pf=none",
			 g->name, slotname, op ? op->name : opname, v.status,
			 pvvf_qual_name(v.qual));
		return;
	}
	pvvf_log(g->core, "decision guest=%s slot=%s op=%s status=%u qual=%s pf=0x%llx refs=%u pri_free=%u",
		 g->name, slotname, op->name, v.status, pvvf_qual_name(v.qual),
		 (unsigned long long)vf->pf->id, vf->pf->pasid_refs, vf->pf->pri_free);
}

static void pvvf_resp_head(uint8_t *out, struct pvvf_verdict v, uint32_t tag)
{
	struct virtio_pvvf_resp_head h = {
		.status = htole16(v.status),
		.qualifier = htole16(v.qual),
		.tag = htole32(tag),
	};

	memcpy(out, &h, sizeof(h));
}

/* The lengths decide whether a full reply can be written at all. */
static const struct pvvf_op *pvvf_req_frame(const uint8_t *in, size_t req_len,
					    size_t resp_cap, struct pvvf_verdict *v)
{
	uint16_t opcode = pvvf_le16(in);
	const struct pvvf_op *op = opcode < VIRTIO_PVVF_OP_COUNT ? &pvvf_ops[opcode] : NULL;

	if (req_len < PVVF_HDR) {
		*v = PVVF_FAIL(EPROTO, BAD_LENGTH);
		return NULL;
	}
	if (!op || !op->fn) {
		*v = PVVF_FAIL(EOPNOTSUPP, BAD_OPCODE);
		return NULL;
	}
	if (req_len != op->req_len || resp_cap != op->resp_len) {
		*v = PVVF_FAIL(EPROTO, BAD_LENGTH);
		return NULL;
	}
	return op;
}

size_t pvvf_guest_request(struct pvvf_guest *g, const void *req, size_t req_len,
			  void *resp, size_t resp_cap)
{
	uint8_t in[PVVF_REQ_MAX] = { 0 }, out[PVVF_RESP_MAX] = { 0 };
	const struct pvvf_op *op;
	struct pvvf_vf *vf = NULL;
	struct pvvf_verdict v;
	uint32_t tag;

	if (resp_cap < PVVF_RHDR)
		return 0;
	if (req && req_len)
		memcpy(in, req, req_len < sizeof(in) ? req_len : sizeof(in));
	tag = req_len >= 12 ? pvvf_le32(in + 8) : 0;
	op = pvvf_req_frame(in, req_len, resp_cap, &v);
	if (op) {
		v = pvvf_req_check(g, op, in, &vf);
		if (!v.status)
			v = op->fn(g, vf, in, out);
		if (v.status)
			memset(out, 0, sizeof(out));
	}
	pvvf_resp_head(out, v, tag);
	pvvf_req_log(g, op, pvvf_le16(in), pvvf_le32(in + 4), vf, v);
	memcpy(resp, out, op ? op->resp_len : PVVF_RHDR);
	return op ? op->resp_len : PVVF_RHDR;
}
