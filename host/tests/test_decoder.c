// SPDX-License-Identifier: BSD-3-Clause
/*
 * The request decoder and validator against malformed input: every row
 * sends bytes to guest "a" (slots 0 and 1) and asserts the exact reply
 * (used length, status, qualifier, tag echo, zeroed payload) and that the
 * whole core and simulated PF are unchanged afterwards.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "harness.h"

#define NONE VIRTIO_PVVF_VF_NONE
#define TAG 0x5eed1234u

struct dcase {
	const char *name;
	uint16_t opcode;
	uint16_t flags;
	uint32_t vf;
	int poke;		/* byte index set to 0x01 after building, -1: none */
	uint8_t body[8];
	size_t len;		/* 0: the opcode's size */
	size_t cap;		/* 0: the opcode's reply size */
	size_t used;
	uint16_t status;
	uint16_t qual;
	uint32_t tag;		/* expected echo */
};

#define S(x) VIRTIO_PVVF_S_##x
#define Q(x) VIRTIO_PVVF_Q_##x
#define OPC(x) VIRTIO_PVVF_OP_##x

static const struct dcase dcases[] = {
	/* lengths */
	{ "empty request", OPC(NOP), 0, NONE, -1, {0}, 1, 8, 8, S(EPROTO), Q(BAD_LENGTH), 0 },
	{ "tag not readable", OPC(NOP), 0, NONE, -1, {0}, 11, 8, 8, S(EPROTO), Q(BAD_LENGTH), 0 },
	{ "tag readable, short", OPC(NOP), 0, NONE, -1, {0}, 12, 8, 8, S(EPROTO), Q(BAD_LENGTH), TAG },
	{ "15 bytes", OPC(NOP), 0, NONE, -1, {0}, 15, 8, 8, S(EPROTO), Q(BAD_LENGTH), TAG },
	{ "nop too long", OPC(NOP), 0, NONE, -1, {0}, 24, 8, 8, S(EPROTO), Q(BAD_LENGTH), TAG },
	{ "pasid_enable short", OPC(PASID_ENABLE), 0, 0, -1, {0}, 16, 8, 8, S(EPROTO), Q(BAD_LENGTH), TAG },
	{ "pasid_disable long", OPC(PASID_DISABLE), 0, 0, -1, {0}, 24, 8, 8, S(EPROTO), Q(BAD_LENGTH), TAG },
	{ "pri_enable 23", OPC(PRI_ENABLE), 0, 0, -1, {1}, 23, 8, 8, S(EPROTO), Q(BAD_LENGTH), TAG },
	{ "get_state cap 8", OPC(GET_STATE), 0, 0, -1, {0}, 0, 8, 8, S(EPROTO), Q(BAD_LENGTH), TAG },
	{ "get_state cap 40", OPC(GET_STATE), 0, 0, -1, {0}, 0, 40, 8, S(EPROTO), Q(BAD_LENGTH), TAG },
	{ "get_vf cap 64", OPC(GET_VF), 0, 0, -1, {0}, 0, 64, 8, S(EPROTO), Q(BAD_LENGTH), TAG },
	{ "nop cap 16", OPC(NOP), 0, NONE, -1, {0}, 0, 16, 8, S(EPROTO), Q(BAD_LENGTH), TAG },
	{ "pri_status cap 8", OPC(PRI_STATUS), 0, 0, -1, {0}, 0, 8, 8, S(EPROTO), Q(BAD_LENGTH), TAG },
	/* opcodes */
	{ "opcode 0x06", 0x0006, 0, NONE, -1, {0}, 16, 8, 8, S(EOPNOTSUPP), Q(BAD_OPCODE), TAG },
	{ "opcode 0x12", 0x0012, 0, 0, -1, {0}, 16, 8, 8, S(EOPNOTSUPP), Q(BAD_OPCODE), TAG },
	{ "opcode 0x24", 0x0024, 0, 0, -1, {0}, 16, 8, 8, S(EOPNOTSUPP), Q(BAD_OPCODE), TAG },
	{ "opcode 0xff", 0x00ff, 0, 0, -1, {0}, 16, 8, 8, S(EOPNOTSUPP), Q(BAD_OPCODE), TAG },
	{ "opcode 0x100", 0x0100, 0, 0, -1, {0}, 16, 8, 8, S(EOPNOTSUPP), Q(BAD_OPCODE), TAG },
	{ "opcode 0xffff", 0xffff, 0, 0, -1, {0}, 16, 56, 8, S(EOPNOTSUPP), Q(BAD_OPCODE), TAG },
	/* flags */
	{ "flags 1", OPC(NOP), 1, NONE, -1, {0}, 0, 0, 8, S(EINVAL), Q(BAD_FLAGS), TAG },
	{ "flags 0x8000 get_state", OPC(GET_STATE), 0x8000, 0, -1, {0}, 0, 0, 36, S(EINVAL), Q(BAD_FLAGS), TAG },
	{ "flags on pasid_enable", OPC(PASID_ENABLE), 2, 0, -1, {2}, 0, 0, 8, S(EINVAL), Q(BAD_FLAGS), TAG },
	/* reserved bytes */
	{ "head reserved[0]", OPC(NOP), 0, NONE, 12, {0}, 0, 0, 8, S(EPROTO), Q(RESERVED), TAG },
	{ "head reserved[3]", OPC(GET_VF), 0, 0, 15, {0}, 0, 0, 56, S(EPROTO), Q(RESERVED), TAG },
	{ "event_ack reserved", OPC(EVENT_ACK), 0, NONE, 20, {0}, 0, 0, 8, S(EPROTO), Q(RESERVED), TAG },
	{ "event_ack reserved end", OPC(EVENT_ACK), 0, NONE, 23, {0}, 0, 0, 8, S(EPROTO), Q(RESERVED), TAG },
	{ "ats_set reserved", OPC(ATS_SET), 0, 0, 18, {1, 0}, 0, 0, 8, S(EPROTO), Q(RESERVED), TAG },
	{ "ats_set reserved end", OPC(ATS_SET), 0, 0, 23, {1, 0}, 0, 0, 8, S(EPROTO), Q(RESERVED), TAG },
	{ "pasid_enable reserved", OPC(PASID_ENABLE), 0, 0, 17, {2}, 0, 0, 8, S(EPROTO), Q(RESERVED), TAG },
	{ "pasid_enable reserved end", OPC(PASID_ENABLE), 0, 0, 23, {2}, 0, 0, 8, S(EPROTO), Q(RESERVED), TAG },
	{ "pri_enable reserved", OPC(PRI_ENABLE), 0, 0, 20, {4}, 0, 0, 8, S(EPROTO), Q(RESERVED), TAG },
	/* vf scope and ownership */
	{ "nop with slot 0", OPC(NOP), 0, 0, -1, {0}, 0, 0, 8, S(ENODEV), Q(NONE), TAG },
	{ "get_opcodes with slot", OPC(GET_OPCODES), 0, 1, -1, {0}, 0, 0, 40, S(ENODEV), Q(NONE), TAG },
	{ "event_ack with slot", OPC(EVENT_ACK), 0, 0, -1, {0}, 0, 0, 8, S(ENODEV), Q(NONE), TAG },
	{ "get_vf VF_NONE", OPC(GET_VF), 0, NONE, -1, {0}, 0, 0, 56, S(ENODEV), Q(NONE), TAG },
	{ "get_state slot 2", OPC(GET_STATE), 0, 2, -1, {0}, 0, 0, 36, S(ENODEV), Q(NONE), TAG },
	{ "pasid_enable slot 4095", OPC(PASID_ENABLE), 0, 4095, -1, {2}, 0, 0, 8, S(ENODEV), Q(NONE), TAG },
	{ "pri_enable slot 0xfffffffe", OPC(PRI_ENABLE), 0, 0xfffffffe, -1, {1}, 0, 0, 8, S(ENODEV), Q(NONE), TAG },
	/* operands */
	{ "pasid features 0x01", OPC(PASID_ENABLE), 0, 0, -1, {0x01}, 0, 0, 8, S(EINVAL), Q(BAD_FLAGS), TAG },
	{ "pasid features 0x08", OPC(PASID_ENABLE), 0, 0, -1, {0x08}, 0, 0, 8, S(EINVAL), Q(BAD_FLAGS), TAG },
	{ "ats enable 2", OPC(ATS_SET), 0, 0, -1, {2, 12}, 0, 0, 8, S(EINVAL), Q(BAD_VALUE), TAG },
	{ "ats stu 1 (PF: 0)", OPC(ATS_SET), 0, 0, -1, {1, 1}, 0, 0, 8, S(EINVAL), Q(STU), TAG },
	{ "ats stu 31", OPC(ATS_SET), 0, 0, -1, {1, 31}, 0, 0, 8, S(EINVAL), Q(STU), TAG },
	{ "ats stu 32", OPC(ATS_SET), 0, 0, -1, {1, 32}, 0, 0, 8, S(EINVAL), Q(BAD_VALUE), TAG },
	{ "pri alloc 0", OPC(PRI_ENABLE), 0, 0, -1, {0}, 0, 0, 8, S(EINVAL), Q(BAD_VALUE), TAG },
	{ "pri alloc > capacity", OPC(PRI_ENABLE), 0, 0, -1, {65}, 0, 0, 8, S(EINVAL), Q(BAD_VALUE), TAG },
	{ "pri alloc 2^32-1", OPC(PRI_ENABLE), 0, 0, -1, {0xff, 0xff, 0xff, 0xff}, 0, 0, 8, S(EINVAL), Q(BAD_VALUE), TAG },
	{ "event_ack unknown seq", OPC(EVENT_ACK), 0, NONE, -1, {7}, 0, 0, 8, S(EINVAL), Q(SEQ), TAG },
	{ "pri_reset while stopped is fine, but reset of none", OPC(PRI_RESET), 0, 3, -1, {0}, 0, 0, 8, S(ENODEV), Q(NONE), TAG },
};

struct dstate {
	struct h_env *e;
	struct pvvf_guest *a, *b, *c;
};

static int d_setup(void **st)
{
	static struct dstate ds;
	struct pvvf_pf_sim_params p;
	const uint16_t va[] = { 0, 1 }, vb[] = { 2 };

	h_sim_defaults(&p);
	ds.e = h_env_new(&p, 1);
	ds.a = h_guest(ds.e, "a", 0, va, 2);
	ds.b = h_guest(ds.e, "b", 0, vb, 1);
	*st = &ds;
	return 0;
}

static int d_teardown(void **st)
{
	struct dstate *ds = *st;

	h_env_free(ds->e);
	return 0;
}

static size_t d_build(const struct dcase *c, uint8_t *buf)
{
	struct virtio_pvvf_req_head h = {
		.opcode = htole16(c->opcode), .flags = htole16(c->flags),
		.vf = htole32(c->vf), .tag = htole32(TAG),
	};

	memset(buf, 0, 32);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), c->body, sizeof(c->body));
	if (c->poke >= 0)
		buf[c->poke] = 0x01;
	return c->len ? c->len : h_req_size(c->opcode);
}

static void test_decoder_table(void **st)
{
	struct dstate *ds = *st;

	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];
		uint8_t buf[33];
		size_t len = d_build(c, buf + 1);	/* deliberately unaligned */
		size_t cap = c->cap ? c->cap : h_resp_size(c->opcode);
		struct h_snap before;
		struct h_reply r;

		h_snap_take(ds->e, &before);
		r = h_raw(ds->a, buf + 1, len, cap);
		if (r.used != c->used || r.status != c->status || r.qual != c->qual ||
		    r.tag != c->tag)
			fail_msg("row '%s': used=%zu status=%u qual=%u tag=0x%x", c->name,
				 r.used, r.status, r.qual, r.tag);
		for (size_t b = 8; b < r.used; b++)
			if (r.buf[b])
				fail_msg("row '%s': payload byte %zu not zero", c->name, b);
		for (size_t b = r.used; b < sizeof(r.buf); b++)
			if (r.buf[b] != 0xa5)
				fail_msg("row '%s': wrote past used length at %zu", c->name, b);
		h_assert_snap_equal(ds->e, &before);
	}
}

static void test_decoder_no_room_for_header(void **st)
{
	struct dstate *ds = *st;
	uint8_t req[16] = { 0 };
	struct h_snap before;

	req[4] = req[5] = req[6] = req[7] = 0xff;
	for (size_t cap = 0; cap < 8; cap++) {
		struct h_reply r;

		h_snap_take(ds->e, &before);
		r = h_raw(ds->a, req, sizeof(req), cap);
		assert_int_equal(r.used, 0);
		for (size_t b = 0; b < sizeof(r.buf); b++)
			assert_int_equal(r.buf[b], 0xa5);
		h_assert_snap_equal(ds->e, &before);
	}
}

static void test_decoder_null_request(void **st)
{
	struct dstate *ds = *st;
	struct h_reply r = h_raw(ds->a, NULL, 0, 8);

	assert_int_equal(r.used, 8);
	h_assert_reply(r, S(EPROTO), Q(BAD_LENGTH));
	assert_int_equal(r.tag, 0);
}

/* Features not negotiated: the gated opcodes answer Q_FEATURE. */
static void test_decoder_feature_not_negotiated(void **st)
{
	struct dstate *ds = *st;
	struct h_snap before;

	assert_int_equal(pvvf_guest_ack_features(ds->a, 0), 0);
	h_snap_take(ds->e, &before);
	h_assert_reply(h_pasid_enable(ds->a, 0, 0), S(EOPNOTSUPP), Q(FEATURE));
	h_assert_reply(h_pasid_disable(ds->a, 0), S(EOPNOTSUPP), Q(FEATURE));
	h_assert_reply(h_pri_enable(ds->a, 0, 1), S(EOPNOTSUPP), Q(FEATURE));
	h_assert_reply(h_pri_disable(ds->a, 0), S(EOPNOTSUPP), Q(FEATURE));
	h_assert_reply(h_pri_reset(ds->a, 0), S(EOPNOTSUPP), Q(FEATURE));
	h_assert_reply(h_pri_status(ds->a, 0, NULL, NULL), S(EOPNOTSUPP), Q(FEATURE));
	/* feature checks come before the VF check */
	h_assert_reply(h_pasid_enable(ds->a, 77, 0), S(EOPNOTSUPP), Q(FEATURE));
	h_assert_snap_equal(ds->e, &before);
	assert_int_equal(pvvf_guest_ack_features(ds->a, 1u << VIRTIO_PVVF_F_PASID), 0);
	h_assert_reply(h_pri_enable(ds->a, 0, 1), S(EOPNOTSUPP), Q(FEATURE));
	h_assert_ok(h_pasid_enable(ds->a, 0, 0));
	h_assert_ok(h_pasid_disable(ds->a, 0));
	assert_int_equal(pvvf_guest_ack_features(ds->a, ~0ULL), -EINVAL);
	assert_int_equal(pvvf_guest_ack_features(ds->a, pvvf_guest_offered_features(ds->a)), 0);
}

/* A slot of another guest is answered exactly like an empty slot. */
static void test_decoder_other_guest_vf(void **st)
{
	struct dstate *ds = *st;
	uint8_t req[24] = { 0 };
	struct h_reply r1, r2;

	req[0] = VIRTIO_PVVF_OP_PASID_ENABLE;
	req[8] = 0x42;
	req[4] = 1;		/* a's slot 1 exists; b has only slot 0 */
	r1 = h_raw(ds->b, req, 24, 8);
	req[4] = 5;		/* no guest has slot 5 */
	r2 = h_raw(ds->b, req, 24, 8);
	assert_int_equal(r1.used, r2.used);
	assert_memory_equal(r1.buf, r2.buf, sizeof(r1.buf));
	h_assert_reply(r1, S(ENODEV), Q(NONE));
	assert_false(h_vf(ds->e, 0, 1).pasid);
}

static void test_decoder_get_opcodes(void **st)
{
	struct dstate *ds = *st;
	struct h_reply r = h_req(ds->a, VIRTIO_PVVF_OP_GET_OPCODES, NONE, NULL, 0);
	uint8_t want[32] = { 0 };
	const uint16_t ops[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x10, 0x11,
				 0x20, 0x21, 0x22, 0x23 };

	h_assert_ok(r);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		want[ops[i] / 8] |= (uint8_t)(1u << (ops[i] % 8));
	assert_memory_equal(r.buf + 8, want, sizeof(want));
}

static void test_decoder_nop_echoes_tag(void **st)
{
	struct dstate *ds = *st;
	struct h_reply r = h_req(ds->a, VIRTIO_PVVF_OP_NOP, NONE, NULL, 0);

	h_assert_ok(r);
	assert_int_equal(r.used, 8);
}

/* Repeated enable answers EALREADY and changes nothing. */
static void test_decoder_repeated_enable(void **st)
{
	struct dstate *ds = *st;
	struct h_snap before;

	h_assert_ok(h_pasid_enable(ds->a, 0, VIRTIO_PVVF_PASID_EXEC));
	h_assert_ok(h_pri_enable(ds->a, 0, 4));
	h_assert_ok(h_ats(ds->a, 1, 1, 0));
	h_snap_take(ds->e, &before);
	h_assert_reply(h_pasid_enable(ds->a, 0, VIRTIO_PVVF_PASID_EXEC), S(EALREADY), Q(NONE));
	h_assert_reply(h_pasid_enable(ds->a, 0, 0), S(EALREADY), Q(NONE));
	h_assert_reply(h_pri_enable(ds->a, 0, 4), S(EALREADY), Q(NONE));
	h_assert_reply(h_ats(ds->a, 1, 1, 0), S(EALREADY), Q(NONE));
	h_assert_snap_equal(ds->e, &before);
	h_assert_ok(h_ats(ds->a, 1, 0, 0));
	h_assert_ok(h_pri_disable(ds->a, 0));
	h_assert_ok(h_pasid_disable(ds->a, 0));
	assert_int_equal(h_violations(ds->e), 0);
}

/* The log gets one key=value decision line per request. */
static void test_decoder_decision_log(void **st)
{
	struct dstate *ds = *st;
	uint32_t before = ds->e->log_lines;
	const char *line;

	h_assert_reply(h_pasid_enable(ds->a, 9, 0), S(ENODEV), Q(NONE));
	assert_int_equal(ds->e->log_lines, before + 1);
	line = ds->e->log[before % H_LOG_KEEP];
	assert_string_equal(line, "decision guest=a slot=9 op=pasid_enable status=19 qual=none pf=none");
	h_assert_reply(h_pri_enable(ds->a, 1, 65), S(EINVAL), Q(BAD_VALUE));
	line = ds->e->log[(ds->e->log_lines - 1) % H_LOG_KEEP];
	assert_string_equal(line, "decision guest=a slot=1 op=pri_enable status=22 qual=bad_value pf=0x100 refs=0 pri_free=64");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoder_table),
		cmocka_unit_test(test_decoder_no_room_for_header),
		cmocka_unit_test(test_decoder_null_request),
		cmocka_unit_test(test_decoder_feature_not_negotiated),
		cmocka_unit_test(test_decoder_other_guest_vf),
		cmocka_unit_test(test_decoder_get_opcodes),
		cmocka_unit_test(test_decoder_nop_echoes_tag),
		cmocka_unit_test(test_decoder_repeated_enable),
		cmocka_unit_test(test_decoder_decision_log),
	};

	return cmocka_run_group_tests_name("pvvf_decoder", tests, d_setup, d_teardown);
}
