// SPDX-License-Identifier: BSD-3-Clause
/*
 * Events, PF reset and removal, the config epoch, the VF table, and guest
 * disconnect.  Guest "a" owns VFs 0 and 1, guest "b" VFs 2 and 3.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/pci_regs.h>

#include "harness.h"

#define S(x) VIRTIO_PVVF_S_##x
#define Q(x) VIRTIO_PVVF_Q_##x
#define EVT(x) VIRTIO_PVVF_EVT_##x

struct estate {
	struct h_env *e;
	struct pvvf_guest *a, *b;
	struct pvvf_pf_sim *sim;
};

static struct estate es;

static int e_setup(void **st)
{
	struct pvvf_pf_sim_params p;
	const uint16_t va[] = { 0, 1 }, vb[] = { 2, 3 };

	h_sim_defaults(&p);
	es.e = h_env_new(&p, 1);
	es.sim = es.e->sim[0];
	es.a = h_guest(es.e, "a", 0, va, 2);
	es.b = h_guest(es.e, "b", 0, vb, 2);
	*st = &es;
	return 0;
}

static int e_teardown(void **st)
{
	(void)st;
	if (h_violations(es.e))
		fail_msg("simulated PF saw: %s", pvvf_pf_sim_last_violation(es.sim));
	h_env_free(es.e);
	return 0;
}

static uint32_t epoch_of(struct pvvf_guest *g)
{
	struct virtio_pvvf_config c;

	pvvf_guest_get_config(g, &c);
	return le32toh(c.epoch);
}

static void drain_events(void)
{
	struct virtio_pvvf_event ev[64];

	h_events(es.a, ev, 64);
	h_events(es.b, ev, 64);
}

/* ---- PF reset ---- */

static void test_pf_reset_waits_for_every_ack(void **st)
{
	struct virtio_pvvf_event ev[8];
	struct virtio_pvvf_vf_state s;
	int n;

	(void)st;
	h_assert_ok(h_pasid_enable(es.a, 0, 0));
	h_assert_ok(h_pri_enable(es.b, 1, 8));
	h_assert_ok(h_ats(es.b, 0, 1, 0));
	drain_events();
	assert_int_equal(pvvf_pf_reset(es.e->pf[0]), 0);
	assert_int_equal(pvvf_pf_reset(es.e->pf[0]), -EALREADY);
	assert_int_equal(h_pf(es.e, 0).reset_acks_pending, 4);
	n = h_events(es.a, ev, 8);
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++) {
		assert_int_equal(le16toh(ev[i].type), EVT(PF_RESET_BEGIN));
		assert_int_equal(le16toh(ev[i].flags), VIRTIO_PVVF_EVT_F_ACK);
	}
	/* while it waits: nothing new is enabled, disables are allowed */
	h_assert_reply(h_pasid_enable(es.a, 1, 0), S(EAGAIN), Q(PF_RESET));
	h_assert_reply(h_pri_enable(es.a, 1, 1), S(EAGAIN), Q(PF_RESET));
	h_assert_reply(h_ats(es.a, 1, 1, 0), S(EAGAIN), Q(PF_RESET));
	h_assert_ok(h_pasid_disable(es.a, 0));
	h_assert_ok(h_get_state(es.a, 0, &s));
	assert_true(le16toh(s.flags) & VIRTIO_PVVF_ST_PF_RESET);
	h_assert_ok(h_event_ack(es.a, le32toh(ev[0].seq)));
	h_assert_reply(h_event_ack(es.a, le32toh(ev[0].seq)), S(EINVAL), Q(SEQ));
	h_assert_ok(h_event_ack(es.a, le32toh(ev[1].seq)));
	assert_true(h_pf(es.e, 0).reset_pending);
	assert_int_equal(pvvf_pf_sim_stats(es.sim)->resets, 0);
	n = h_events(es.b, ev, 8);
	assert_int_equal(n, 2);
	h_assert_ok(h_event_ack(es.b, le32toh(ev[0].seq)));
	h_assert_ok(h_event_ack(es.b, le32toh(ev[1].seq)));
	/* the last ack ran the reset */
	assert_int_equal(pvvf_pf_sim_stats(es.sim)->resets, 1);
	assert_false(h_pf(es.e, 0).reset_pending);
	assert_int_equal(h_pf(es.e, 0).pri_free, 64);
	assert_false(h_vf(es.e, 0, 3).pri_enabled);
	assert_false(h_vf(es.e, 0, 2).ats);
	n = h_events(es.b, ev, 8);
	assert_int_not_equal(h_find_event(ev, n, EVT(PF_RESET_DONE), 0), -1);
	assert_int_not_equal(h_find_event(ev, n, EVT(PF_RESET_DONE), 1), -1);
	h_assert_ok(h_pasid_enable(es.a, 1, 0));
}

static void test_pf_reset_runs_at_ack_deadline(void **st)
{
	(void)st;
	h_assert_ok(h_pri_enable(es.a, 0, 8));
	assert_int_equal(pvvf_pf_reset(es.e->pf[0]), 0);
	h_tick(es.e, PVVF_RESET_ACK_TIMEOUT_NS - 1);
	assert_true(h_pf(es.e, 0).reset_pending);
	h_tick(es.e, 1);
	assert_false(h_pf(es.e, 0).reset_pending);
	assert_int_equal(pvvf_pf_sim_stats(es.sim)->resets, 1);
	assert_false(h_vf(es.e, 0, 0).pri_enabled);
}

static void test_pf_reset_request_from_host(void **st)
{
	struct virtio_pvvf_event ev[8];

	(void)st;
	drain_events();
	pvvf_guest_disconnect(es.b);
	pvvf_pf_sim_request_reset(es.sim);
	assert_int_equal(h_pf(es.e, 0).reset_acks_pending, 2);
	assert_int_equal(h_events(es.a, ev, 8), 2);
	/* a disconnecting guest no longer holds the reset up */
	pvvf_guest_disconnect(es.a);
	h_tick(es.e, 1);
	assert_int_equal(pvvf_pf_sim_stats(es.sim)->resets, 1);
}

static void test_event_ack_unknown_seq(void **st)
{
	struct virtio_pvvf_event ev[8];
	struct h_snap before;
	int n;

	(void)st;
	h_assert_ok(h_pri_enable(es.a, 0, 8));
	h_assert_ok(h_pri_disable(es.a, 0));
	n = h_events(es.a, ev, 8);
	assert_true(n >= 1);
	h_snap_take(es.e, &before);
	/* a delivered event that needs no ack, and one never delivered */
	h_assert_reply(h_event_ack(es.a, le32toh(ev[n - 1].seq)), S(EINVAL), Q(SEQ));
	h_assert_reply(h_event_ack(es.a, 12345), S(EINVAL), Q(SEQ));
	h_assert_snap_equal(es.e, &before);
}

/* ---- VF reset ---- */

static void test_vf_reset_waits_for_ack(void **st)
{
	struct virtio_pvvf_event ev[8];
	struct pvvf_vf_info other_before, other_after;
	int n;

	(void)st;
	h_assert_ok(h_pasid_enable(es.a, 0, 0));
	h_assert_ok(h_pri_enable(es.a, 0, 8));
	h_assert_ok(h_ats(es.a, 0, 1, 0));
	h_assert_ok(h_pri_enable(es.b, 0, 8));
	assert_int_equal(pvvf_pf_sim_inject(es.sim, 0, 2, es.e->now), 2);
	drain_events();
	other_before = h_vf(es.e, 0, 2);
	pvvf_pf_sim_request_vf_reset(es.sim, 0);
	assert_int_equal(pvvf_pf_vf_reset(es.e->pf[0], 0), -EALREADY);
	assert_true(h_vf(es.e, 0, 0).reset_pending);
	assert_int_equal(h_events(es.b, ev, 8), 0);
	n = h_events(es.a, ev, 8);
	assert_int_equal(n, 1);
	assert_int_equal(le16toh(ev[0].type), EVT(VF_RESET_BEGIN));
	assert_int_equal(le16toh(ev[0].flags), VIRTIO_PVVF_EVT_F_ACK);
	assert_int_equal(le32toh(ev[0].vf), 0);
	/* nothing happens before the ack */
	assert_true(h_vf(es.e, 0, 0).pasid);
	h_assert_ok(h_event_ack(es.a, le32toh(ev[0].seq)));
	assert_false(h_vf(es.e, 0, 0).reset_pending);
	assert_false(h_vf(es.e, 0, 0).pasid);
	assert_false(h_vf(es.e, 0, 0).ats);
	assert_false(h_vf(es.e, 0, 0).pri_enabled);
	assert_int_equal(pvvf_pf_sim_outstanding(es.sim, 0), 0);
	assert_int_equal(h_pf(es.e, 0).pasid_refs, 0);
	assert_false(h_pf(es.e, 0).pasid_enabled);
	assert_int_equal(h_pf(es.e, 0).pri_free, 56);
	n = h_events(es.a, ev, 8);
	assert_int_not_equal(h_find_event(ev, n, EVT(VF_RESET_DONE), 0), -1);
	assert_int_not_equal(h_find_event(ev, n, EVT(PRI_STOPPED), 0), -1);
	other_after = h_vf(es.e, 0, 2);
	assert_memory_equal(&other_before, &other_after, sizeof(other_after));
}

static void test_vf_reset_runs_at_deadline(void **st)
{
	(void)st;
	h_assert_ok(h_pasid_enable(es.b, 1, 0));
	assert_int_equal(pvvf_pf_vf_reset(es.e->pf[0], 3), 0);
	assert_int_equal(pvvf_core_tick(es.e->core, es.e->now),
			 es.e->now + PVVF_RESET_ACK_TIMEOUT_NS);
	h_tick(es.e, PVVF_RESET_ACK_TIMEOUT_NS - 1);
	assert_true(h_vf(es.e, 0, 3).pasid);
	h_tick(es.e, 1);
	assert_false(h_vf(es.e, 0, 3).pasid);
	assert_false(h_vf(es.e, 0, 3).reset_pending);
	/* an unassigned VF is reset at once */
	assert_int_equal(pvvf_pf_vf_reset(es.e->pf[0], 7), 0);
	assert_false(h_vf(es.e, 0, 7).reset_pending);
	assert_int_equal(pvvf_pf_vf_reset(es.e->pf[0], 8), -ENOENT);
}

/* A VF waiting for both resets: each ack answers only its own event. */
static void test_vf_and_pf_reset_acks_are_distinct(void **st)
{
	struct virtio_pvvf_event ev[8];
	int n, pf_i, vf_i;

	(void)st;
	drain_events();
	assert_int_equal(pvvf_pf_vf_reset(es.e->pf[0], 1), 0);
	assert_int_equal(pvvf_pf_reset(es.e->pf[0]), 0);
	n = h_events(es.a, ev, 8);
	vf_i = h_find_event(ev, n, EVT(VF_RESET_BEGIN), 1);
	pf_i = h_find_event(ev, n, EVT(PF_RESET_BEGIN), 1);
	assert_true(vf_i >= 0 && pf_i >= 0);
	assert_int_equal(h_pf(es.e, 0).reset_acks_pending, 4);
	h_assert_ok(h_event_ack(es.a, le32toh(ev[vf_i].seq)));
	assert_false(h_vf(es.e, 0, 1).reset_pending);
	assert_int_equal(h_pf(es.e, 0).reset_acks_pending, 4);
	h_assert_reply(h_event_ack(es.a, le32toh(ev[vf_i].seq)), S(EINVAL), Q(SEQ));
	h_assert_ok(h_event_ack(es.a, le32toh(ev[pf_i].seq)));
	assert_int_equal(h_pf(es.e, 0).reset_acks_pending, 3);
}

/* ---- removal ---- */

static void test_pf_removed(void **st)
{
	struct virtio_pvvf_event ev[8];
	struct virtio_pvvf_vf_state s;
	int n;

	(void)st;
	h_assert_ok(h_pasid_enable(es.a, 0, 0));
	h_assert_ok(h_pri_enable(es.b, 0, 8));
	pvvf_pf_sim_inject(es.sim, 2, 3, es.e->now);
	h_assert_ok(h_pri_disable(es.b, 0));
	drain_events();
	pvvf_pf_sim_remove(es.sim);
	n = h_events(es.a, ev, 8);
	assert_int_equal(n, 2);
	assert_int_not_equal(h_find_event(ev, n, EVT(PF_REMOVED), 0), -1);
	assert_int_not_equal(h_find_event(ev, n, EVT(PF_REMOVED), 1), -1);
	h_assert_reply(h_pasid_disable(es.a, 0), S(ENODEV), Q(PF_GONE));
	h_assert_reply(h_pri_status(es.b, 0, NULL, NULL), S(ENODEV), Q(PF_GONE));
	h_assert_reply(h_ats(es.b, 0, 0, 0), S(ENODEV), Q(PF_GONE));
	h_assert_ok(h_get_state(es.a, 0, &s));
	assert_int_equal(le16toh(s.flags), VIRTIO_PVVF_ST_PRESENT | VIRTIO_PVVF_ST_PF_GONE);
	h_tick(es.e, PVVF_DRAIN_TIMEOUT_NS * 2);
	assert_int_equal(pvvf_pf_reset(es.e->pf[0]), -ENODEV);
	/* unregistering empties the slots */
	pvvf_core_remove_pf(es.e->core, es.e->pf[0]);
	es.e->npf = 0;
	h_assert_reply(h_get_state(es.a, 0, &s), S(ENODEV), Q(NONE));
	n = h_events(es.a, ev, 8);
	assert_int_not_equal(h_find_event(ev, n, EVT(VF_TABLE), 0), -1);
	/* no op reached the PF after it reported its removal */
	assert_int_equal(pvvf_pf_sim_violation_count(es.sim), 0);
	pvvf_pf_sim_destroy(es.sim);
}

/* ---- queue bounds ---- */

static void test_events_coalesce_per_slot_and_type(void **st)
{
	struct virtio_pvvf_event ev[8];
	int n;

	(void)st;
	drain_events();
	h_assert_ok(h_pasid_enable(es.a, 0, 0));
	pvvf_pf_sim_host_pasid(es.sim, false, 0);
	pvvf_pf_sim_host_pasid(es.sim, true, 0);
	h_assert_ok(h_pasid_enable(es.a, 0, 0));
	h_assert_ok(h_pri_enable(es.a, 0, 4));
	pvvf_pf_sim_host_pasid(es.sim, false, 0);
	pvvf_pf_sim_host_pri_disable(es.sim);
	n = h_events(es.a, ev, 8);
	assert_int_equal(n, 1);
	assert_int_equal(le16toh(ev[0].type), EVT(PF_STATE));
	assert_int_equal(le32toh(ev[0].detail), VIRTIO_PVVF_DETAIL_PASID_REVOKED |
			 VIRTIO_PVVF_DETAIL_PRI_REVOKED);
	assert_int_equal(le32toh(ev[0].epoch), epoch_of(es.a));
}

static void test_events_overflow_becomes_resync(void **st)
{
	struct pvvf_guest_params gp = { .name = "c", .evq_depth = 4 };
	struct virtio_pvvf_event ev[8];
	struct pvvf_guest *c;
	int n;

	(void)st;
	c = pvvf_guest_create(es.e->core, &gp);
	assert_non_null(c);
	pvvf_guest_connect(c);
	for (uint16_t i = 4; i < 8; i++) {
		struct pvvf_vf_spec s = { .pf = es.e->pf[0], .vf_index = i, .path_len = 1 };

		assert_int_equal(pvvf_guest_add_vf(c, &s), i - 4);
	}
	assert_int_equal(pvvf_guest_events_pending(c), 4);
	/* a fifth distinct event: the queue collapses into one RESYNC */
	assert_int_equal(pvvf_guest_remove_vf(c, 3), 0);
	assert_int_equal(pvvf_guest_events_pending(c), 1);
	n = h_events(c, ev, 8);
	assert_int_equal(n, 1);
	assert_int_equal(le16toh(ev[0].type), EVT(RESYNC));
	assert_int_equal(le32toh(ev[0].vf), VIRTIO_PVVF_VF_NONE);
	for (int i = 0; i < 100; i++)
		pvvf_guest_remove_vf(c, (uint32_t)(i % 3));
	assert_true(pvvf_guest_events_pending(c) <= 4);
	pvvf_guest_destroy(c);
}

/* A reset waits for acks: its BEGIN events survive an overflow. */
static void test_events_overflow_keeps_ack_events(void **st)
{
	struct pvvf_guest_params gp = { .name = "c", .evq_depth = 3 };
	struct virtio_pvvf_event ev[8];
	struct pvvf_guest *c;
	int n;

	(void)st;
	c = pvvf_guest_create(es.e->core, &gp);
	assert_non_null(c);
	pvvf_guest_connect(c);
	for (uint16_t i = 4; i < 8; i++) {
		struct pvvf_vf_spec s = { .pf = es.e->pf[0], .vf_index = i, .path_len = 1 };

		if (i == 6)
			assert_int_equal(pvvf_pf_reset(es.e->pf[0]), 0);
		if (i < 6)
			h_events(c, ev, 8);
		assert_int_equal(pvvf_guest_add_vf(c, &s), i - 4);
	}
	/* two BEGINs, then two VF_TABLEs: the second overflowed */
	n = h_events(c, ev, 8);
	assert_int_equal(n, 3);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(le16toh(ev[i].type), EVT(PF_RESET_BEGIN));
		assert_int_equal(le32toh(ev[i].vf), (uint32_t)i);
		assert_true(le16toh(ev[i].flags) & VIRTIO_PVVF_EVT_F_ACK);
	}
	assert_int_equal(le16toh(ev[2].type), EVT(RESYNC));
	for (int i = 0; i < 2; i++)
		h_assert_ok(h_event_ack(c, le32toh(ev[i].seq)));
	pvvf_guest_destroy(c);
}

static void test_events_seq_increments(void **st)
{
	struct virtio_pvvf_event ev[8];
	int n;

	(void)st;
	drain_events();
	h_assert_ok(h_pri_enable(es.a, 0, 4));
	h_assert_ok(h_pri_enable(es.a, 1, 4));
	h_assert_ok(h_pri_disable(es.a, 0));
	h_assert_ok(h_pri_disable(es.a, 1));
	n = h_events(es.a, ev, 8);
	assert_int_equal(n, 2);
	assert_int_equal(le32toh(ev[1].seq), le32toh(ev[0].seq) + 1);
	for (int i = 0; i < n; i++) {
		static const uint8_t zero[12];

		assert_memory_equal(ev[i].reserved, zero, sizeof(zero));
	}
}

static void test_events_only_while_connected(void **st)
{
	struct virtio_pvvf_event ev[8];

	(void)st;
	pvvf_guest_disconnect(es.a);
	pvvf_pf_sim_request_reset(es.sim);
	assert_int_equal(h_events(es.a, ev, 8), 0);
	assert_int_equal(h_pf(es.e, 0).reset_acks_pending, 2);
}

/* ---- config epoch ---- */

static void test_epoch_tracks_shared_state(void **st)
{
	uint32_t ea, eb, ca;

	(void)st;
	ea = epoch_of(es.a);
	eb = epoch_of(es.b);
	ca = es.e->cfg_changes[0];
	/* per-VF only: no epoch change */
	h_assert_ok(h_ats(es.a, 1, 1, 0));
	assert_int_equal(epoch_of(es.a), ea);
	h_assert_ok(h_ats(es.a, 1, 0, 0));
	/* PF bit on: both guests share it */
	h_assert_ok(h_pasid_enable(es.a, 0, 0));
	assert_true(epoch_of(es.a) != ea);
	assert_true(epoch_of(es.b) != eb);
	assert_true(es.e->cfg_changes[0] > ca);
	eb = epoch_of(es.b);
	/* a second reference changes nothing shared */
	h_assert_ok(h_pasid_enable(es.b, 0, 0));
	assert_int_equal(epoch_of(es.b), eb);
}

/* ---- VF table ---- */

static void test_vf_table_slots_never_reused(void **st)
{
	struct virtio_pvvf_config c;
	struct virtio_pvvf_event ev[8];
	struct virtio_pvvf_vf_state s;
	struct pvvf_vf_spec spec = { .pf = es.e->pf[0], .vf_index = 1, .path_len = 1 };
	int n;

	(void)st;
	drain_events();
	h_assert_ok(h_pasid_enable(es.a, 1, 0));
	assert_int_equal(pvvf_guest_remove_vf(es.a, 1), 0);
	assert_int_equal(pvvf_guest_remove_vf(es.a, 1), -ENODEV);
	assert_int_equal(h_pf(es.e, 0).pasid_refs, 0);
	n = h_events(es.a, ev, 8);
	assert_int_equal(n, 1);
	assert_int_equal(le16toh(ev[0].type), EVT(VF_TABLE));
	h_assert_reply(h_get_state(es.a, 1, &s), S(ENODEV), Q(NONE));
	/* the VF can be given again, in a new slot; num_vfs only grows */
	assert_int_equal(pvvf_guest_add_vf(es.b, &spec), 2);
	assert_int_equal(pvvf_guest_add_vf(es.a, &spec), -EBUSY);
	pvvf_guest_get_config(es.a, &c);
	assert_int_equal(le16toh(c.num_vfs), 2);
	spec.vf_index = 200;
	assert_int_equal(pvvf_guest_add_vf(es.a, &spec), -EINVAL);
	spec.vf_index = 5;
	spec.cap_offset = 0x102;
	assert_int_equal(pvvf_guest_add_vf(es.a, &spec), -EINVAL);
}

static void test_get_vf_descriptor(void **st)
{
	struct h_reply r;
	struct virtio_pvvf_vf_desc d;

	(void)st;
	r = h_req(es.b, VIRTIO_PVVF_OP_GET_VF, 1, NULL, 0);
	h_assert_ok(r);
	memcpy(&d, r.buf + 8, sizeof(d));
	assert_int_equal(d.path_len, 2);
	assert_int_equal(d.path[1], 3 << 3);
	assert_int_equal(le64toh(d.pf_id), 0x100);
	assert_int_equal(le16toh(d.vf_index), 3);
	assert_int_equal(le16toh(d.flags), VIRTIO_PVVF_VF_F_PASID | VIRTIO_PVVF_VF_F_PRI |
			 VIRTIO_PVVF_VF_F_ATS);
	assert_int_equal(le16toh(d.cap_offset), pvvf_pf_sim_vf_free_offset(es.sim));
	assert_int_equal(d.pasid_max_width, 20);
	assert_int_equal(d.pasid_features, VIRTIO_PVVF_PASID_EXEC | VIRTIO_PVVF_PASID_PRIV);
	assert_int_equal(le32toh(d.pri_capacity), 64);
	assert_int_equal(le16toh(d.pri_status), VIRTIO_PVVF_PRI_PASID);
	assert_int_equal(d.ats_stu, 12);
	/* without F_CAP_OFFSET the offset is not reported */
	assert_int_equal(pvvf_guest_ack_features(es.b, 3), 0);
	r = h_req(es.b, VIRTIO_PVVF_OP_GET_VF, 1, NULL, 0);
	memcpy(&d, r.buf + 8, sizeof(d));
	assert_int_equal(d.cap_offset, 0);
}

/* ---- disconnect ---- */

static void test_disconnect_releases_in_teardown_order(void **st)
{
	char order[4][24] = { { 0 } };
	uint32_t start;
	int k = 0;

	(void)st;
	h_assert_ok(h_pasid_enable(es.a, 0, 0));
	h_assert_ok(h_pri_enable(es.a, 0, 8));
	assert_int_equal(pvvf_pf_sim_inject(es.sim, 0, 3, es.e->now), 3);
	h_assert_ok(h_ats(es.a, 0, 1, 0));
	start = es.e->log_lines;
	pvvf_guest_disconnect(es.a);
	assert_true(es.e->log_lines - start <= H_LOG_KEEP);
	/* the host log says what happened, in order */
	for (uint32_t i = start; i < es.e->log_lines && k < 4; i++) {
		const char *l = es.e->log[i % H_LOG_KEEP];
		const char *a = strstr(l, "action=");

		if (a && strncmp(l, "host", 4) == 0)
			snprintf(order[k++], sizeof(order[0]), "%.*s",
				 (int)strcspn(a + 7, " "), a + 7);
	}
	assert_string_equal(order[0], "drain_abort");
	assert_string_equal(order[1], "pri_off");
	assert_string_equal(order[2], "pasid_off");
	assert_int_equal(pvvf_pf_sim_stats(es.sim)->prq_aborted, 3);
	assert_int_equal(h_pf(es.e, 0).pasid_refs, 0);
	assert_int_equal(h_pf(es.e, 0).pri_free, 64);
	assert_int_equal(h_pf(es.e, 0).ats_vfs, 0);
	assert_false(pvvf_guest_connected(es.a));
	assert_int_equal(pvvf_guest_acked_features(es.a), 0);
	/* and it can come back */
	pvvf_guest_ack_features(es.a, pvvf_guest_offered_features(es.a));
	pvvf_guest_connect(es.a);
	h_assert_ok(h_pasid_enable(es.a, 0, 0));
}

static void test_disconnect_leaves_other_guest_alone(void **st)
{
	struct pvvf_vf_info before, after;

	(void)st;
	h_assert_ok(h_pasid_enable(es.b, 0, 0));
	h_assert_ok(h_pri_enable(es.b, 0, 8));
	h_assert_ok(h_pasid_enable(es.a, 0, 0));
	h_assert_ok(h_ats(es.b, 1, 1, 0));
	before = h_vf(es.e, 0, 2);
	pvvf_guest_disconnect(es.a);
	after = h_vf(es.e, 0, 2);
	assert_memory_equal(&before, &after, sizeof(after));
	assert_int_equal(h_pf(es.e, 0).pasid_refs, 1);
	assert_true(h_pf(es.e, 0).pasid_enabled);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, e_setup, e_teardown)
	const struct CMUnitTest tests[] = {
		T(test_pf_reset_waits_for_every_ack),
		T(test_pf_reset_runs_at_ack_deadline),
		T(test_pf_reset_request_from_host),
		T(test_event_ack_unknown_seq),
		T(test_vf_reset_waits_for_ack),
		T(test_vf_reset_runs_at_deadline),
		T(test_vf_and_pf_reset_acks_are_distinct),
		T(test_pf_removed),
		T(test_events_coalesce_per_slot_and_type),
		T(test_events_overflow_becomes_resync),
		T(test_events_overflow_keeps_ack_events),
		T(test_events_seq_increments),
		T(test_events_only_while_connected),
		T(test_epoch_tracks_shared_state),
		T(test_vf_table_slots_never_reused),
		T(test_get_vf_descriptor),
		T(test_disconnect_releases_in_teardown_order),
		T(test_disconnect_leaves_other_guest_alone),
	};
#undef T

	return cmocka_run_group_tests_name("pvvf_events", tests, NULL, NULL);
}
