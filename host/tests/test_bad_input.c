// SPDX-License-Identifier: BSD-3-Clause
/*
 * Requests in the wrong order or at the wrong time, as listed in
 * docs/bad-input.md: each gets its exact reply and changes nothing (the
 * whole core and simulated PF are compared before and after).  The other
 * rows of that table are backed by test_decoder.c, test_rules.c and
 * pvvfd's tests; scripts/bad-input-check.py checks that every row names a
 * test that exists.
 */
#include <endian.h>
#include <string.h>

#include "harness.h"

#define S(x) VIRTIO_PVVF_S_##x
#define Q(x) VIRTIO_PVVF_Q_##x

struct bstate {
	struct h_env *e;
	struct pvvf_guest *a, *b;
};

static struct bstate bs;

static int b_setup(void **st)
{
	struct pvvf_pf_sim_params p;
	const uint16_t va[] = { 0, 1 }, vb[] = { 2 };

	h_sim_defaults(&p);
	bs.e = h_env_new(&p, 1);
	bs.a = h_guest(bs.e, "a", 0, va, 2);
	bs.b = h_guest(bs.e, "b", 0, vb, 1);
	*st = &bs;
	return 0;
}

static int b_teardown(void **st)
{
	(void)st;
	if (h_violations(bs.e))
		fail_msg("simulated PF saw: %s", pvvf_pf_sim_last_violation(bs.e->sim[0]));
	h_env_free(bs.e);
	return 0;
}

static void drain(void)
{
	struct virtio_pvvf_event ev[64];

	h_events(bs.a, ev, 64);
	h_events(bs.b, ev, 64);
}

/* PASID may not change under the VF's own ATS (PCIe 7.8.9.3). */
static void test_bad_input_pasid_under_vf_ats(void **st)
{
	struct h_snap before;

	(void)st;
	h_assert_ok(h_ats(bs.a, 0, 1, 0));
	h_snap_take(bs.e, &before);
	h_assert_reply(h_pasid_enable(bs.a, 0, 0), S(EBUSY), Q(VF_ATS));
	h_assert_snap_equal(bs.e, &before);
	h_assert_ok(h_ats(bs.a, 0, 0, 0));
	h_assert_ok(h_pasid_enable(bs.a, 0, 0));
	h_assert_ok(h_ats(bs.a, 0, 1, 0));
	h_snap_take(bs.e, &before);
	h_assert_reply(h_pasid_disable(bs.a, 0), S(EBUSY), Q(VF_ATS));
	h_assert_snap_equal(bs.e, &before);
	h_assert_ok(h_ats(bs.a, 0, 0, 0));
	h_assert_ok(h_pasid_disable(bs.a, 0));
}

/* While a PF reset waits for acks nothing new is enabled. */
static void test_bad_input_enable_during_pf_reset(void **st)
{
	struct virtio_pvvf_event ev[8];
	struct h_snap before;
	int n;

	(void)st;
	drain();
	assert_int_equal(pvvf_pf_reset(bs.e->pf[0]), 0);
	n = h_events(bs.a, ev, 8);
	h_snap_take(bs.e, &before);
	h_assert_reply(h_pasid_enable(bs.a, 0, 0), S(EAGAIN), Q(PF_RESET));
	h_assert_reply(h_pri_enable(bs.a, 0, 1), S(EAGAIN), Q(PF_RESET));
	h_assert_reply(h_ats(bs.a, 1, 1, 0), S(EAGAIN), Q(PF_RESET));
	h_assert_snap_equal(bs.e, &before);
	for (int i = 0; i < n; i++)
		h_assert_ok(h_event_ack(bs.a, le32toh(ev[i].seq)));
	n = h_events(bs.b, ev, 8);
	for (int i = 0; i < n; i++)
		h_assert_ok(h_event_ack(bs.b, le32toh(ev[i].seq)));
	drain();
	assert_false(h_pf(bs.e, 0).reset_pending);
	h_assert_ok(h_pasid_enable(bs.a, 0, 0));
	h_assert_ok(h_pasid_disable(bs.a, 0));
}

/* An acknowledgement nobody waits for: twice, or of an unknown seq. */
static void test_bad_input_ack_twice(void **st)
{
	struct virtio_pvvf_event ev[8];
	struct h_snap before;
	uint32_t seq;
	int n;

	(void)st;
	drain();
	assert_int_equal(pvvf_pf_vf_reset(bs.e->pf[0], 1), 0);
	n = h_events(bs.a, ev, 8);
	assert_int_equal(n, 1);
	seq = le32toh(ev[0].seq);
	h_snap_take(bs.e, &before);
	h_assert_reply(h_event_ack(bs.a, seq + 1), S(EINVAL), Q(SEQ));
	h_assert_reply(h_event_ack(bs.b, seq), S(EINVAL), Q(SEQ));
	h_assert_snap_equal(bs.e, &before);
	h_assert_ok(h_event_ack(bs.a, seq));
	drain();
	h_snap_take(bs.e, &before);
	h_assert_reply(h_event_ack(bs.a, seq), S(EINVAL), Q(SEQ));
	h_assert_snap_equal(bs.e, &before);
}

/* After surprise removal only descriptor and state reads answer. */
static void test_bad_input_after_pf_removed(void **st)
{
	struct virtio_pvvf_vf_state s;
	struct h_snap before;

	(void)st;
	h_assert_ok(h_pasid_enable(bs.a, 0, 0));
	pvvf_pf_sim_remove(bs.e->sim[0]);
	drain();
	h_snap_take(bs.e, &before);
	h_assert_reply(h_pasid_enable(bs.a, 1, 0), S(ENODEV), Q(PF_GONE));
	h_assert_reply(h_pasid_disable(bs.a, 0), S(ENODEV), Q(PF_GONE));
	h_assert_reply(h_pri_enable(bs.b, 0, 1), S(ENODEV), Q(PF_GONE));
	h_assert_reply(h_ats(bs.b, 0, 1, 0), S(ENODEV), Q(PF_GONE));
	h_assert_snap_equal(bs.e, &before);
	h_assert_ok(h_get_state(bs.a, 0, &s));
	assert_true(le16toh(s.flags) & VIRTIO_PVVF_ST_PF_GONE);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, b_setup, b_teardown)
	const struct CMUnitTest tests[] = {
		T(test_bad_input_pasid_under_vf_ats),
		T(test_bad_input_enable_during_pf_reset),
		T(test_bad_input_ack_twice),
		T(test_bad_input_after_pf_removed),
	};
#undef T

	return cmocka_run_group_tests_name("pvvf_bad_input", tests, NULL, NULL);
}
