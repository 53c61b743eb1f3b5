// SPDX-License-Identifier: BSD-3-Clause
/*
 * The arbitration rules of docs/design.md, one test per rule, against the
 * simulated PF.  Every test ends by checking that the simulated PF saw no
 * PCIe rule broken.  Guest "a" owns VFs 0 and 1 (slots 0, 1), guest "b"
 * owns VFs 2 and 3 (slots 0, 1) of the same PF.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <linux/pci_regs.h>

#include "harness.h"

#define S(x) VIRTIO_PVVF_S_##x
#define Q(x) VIRTIO_PVVF_Q_##x
#define EXEC VIRTIO_PVVF_PASID_EXEC
#define PRIV VIRTIO_PVVF_PASID_PRIV

struct rstate {
	struct h_env *e;
	struct pvvf_guest *a, *b;
	struct pvvf_pf_sim *sim;
};

static struct rstate rs;

static int r_setup_with(const struct pvvf_pf_sim_params *p)
{
	const uint16_t va[] = { 0, 1 }, vb[] = { 2, 3 };

	rs.e = h_env_new(p, 1);
	rs.sim = rs.e->sim[0];
	rs.a = h_guest(rs.e, "a", 0, va, 2);
	rs.b = h_guest(rs.e, "b", 0, vb, 2);
	return 0;
}

static int r_setup(void **st)
{
	struct pvvf_pf_sim_params p;

	h_sim_defaults(&p);
	*st = &rs;
	return r_setup_with(&p);
}

static int r_teardown(void **st)
{
	(void)st;
	if (h_violations(rs.e))
		fail_msg("simulated PF saw: %s", pvvf_pf_sim_last_violation(rs.sim));
	h_env_free(rs.e);
	return 0;
}

static uint16_t sim_pasid_ctrl(void)
{
	return (uint16_t)pvvf_pf_sim_cfg_read(rs.sim, -1,
		pvvf_pf_sim_cap(rs.sim, PCI_EXT_CAP_ID_PASID) + PCI_PASID_CTRL, 2);
}

static uint16_t sim_pri_ctrl(void)
{
	return (uint16_t)pvvf_pf_sim_cfg_read(rs.sim, -1,
		pvvf_pf_sim_cap(rs.sim, PCI_EXT_CAP_ID_PRI) + PCI_PRI_CTRL, 2);
}

static uint32_t sim_pri_alloc(void)
{
	return pvvf_pf_sim_cfg_read(rs.sim, -1,
		pvvf_pf_sim_cap(rs.sim, PCI_EXT_CAP_ID_PRI) + PCI_PRI_ALLOC_REQ, 4);
}

/* ---- PASID ---- */

static void test_pasid_refcount_shared_by_two_guests(void **st)
{
	(void)st;
	h_assert_ok(h_pasid_enable(rs.a, 0, EXEC));
	assert_int_equal(sim_pasid_ctrl(), PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC |
			 PCI_PASID_CTRL_PRIV);
	assert_int_equal(h_pf(rs.e, 0).pasid_owner, PVVF_OWNER_PVVF);
	h_assert_ok(h_pasid_enable(rs.b, 1, 0));
	assert_int_equal(h_pf(rs.e, 0).pasid_refs, 2);
	h_assert_ok(h_pasid_disable(rs.a, 0));
	/* b still holds a reference: the PF bit stays, b is untouched */
	assert_true(sim_pasid_ctrl() & PCI_PASID_CTRL_ENABLE);
	assert_true(h_vf(rs.e, 0, 3).pasid);
	h_assert_ok(h_pasid_disable(rs.b, 1));
	assert_int_equal(sim_pasid_ctrl(), 0);
	assert_int_equal(h_pf(rs.e, 0).pasid_refs, 0);
	assert_int_equal(h_pf(rs.e, 0).pasid_owner, 0);
}

static void test_pasid_disable_when_off_is_noop(void **st)
{
	struct h_snap before;

	(void)st;
	h_snap_take(rs.e, &before);
	h_assert_ok(h_pasid_disable(rs.a, 0));
	h_assert_snap_equal(rs.e, &before);
}

static void test_pasid_host_owner_never_fought(void **st)
{
	(void)st;
	pvvf_pf_sim_host_pasid(rs.sim, true, PCI_PASID_CTRL_EXEC);
	assert_int_equal(h_pf(rs.e, 0).pasid_owner, PVVF_OWNER_HOST);
	/* the host enabled EXEC only: PRIV cannot be added under it */
	h_assert_reply(h_pasid_enable(rs.a, 0, PRIV), S(EOPNOTSUPP), Q(PF_UNSUPPORTED));
	h_assert_ok(h_pasid_enable(rs.a, 0, EXEC));
	h_assert_ok(h_pasid_disable(rs.a, 0));
	assert_int_equal(sim_pasid_ctrl(), PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC);
	assert_int_equal(h_pf(rs.e, 0).pasid_owner, PVVF_OWNER_HOST);
}

static void test_pasid_host_takes_over_pvvf_enable(void **st)
{
	(void)st;
	h_assert_ok(h_pasid_enable(rs.a, 0, 0));
	pvvf_pf_sim_host_pasid(rs.sim, true, PCI_PASID_CTRL_EXEC | PCI_PASID_CTRL_PRIV);
	h_assert_ok(h_pasid_disable(rs.a, 0));
	assert_true(sim_pasid_ctrl() & PCI_PASID_CTRL_ENABLE);
	assert_int_equal(h_pf(rs.e, 0).pasid_owner, PVVF_OWNER_HOST);
}

static void test_pasid_vf_ats_blocks_change(void **st)
{
	struct h_snap before;

	(void)st;
	h_assert_ok(h_ats(rs.a, 0, 1, 0));
	h_snap_take(rs.e, &before);
	h_assert_reply(h_pasid_enable(rs.a, 0, 0), S(EBUSY), Q(VF_ATS));
	h_assert_snap_equal(rs.e, &before);
	h_assert_ok(h_ats(rs.a, 0, 0, 0));
	h_assert_ok(h_pasid_enable(rs.a, 0, 0));
	h_assert_ok(h_ats(rs.a, 0, 1, 0));
	h_snap_take(rs.e, &before);
	h_assert_reply(h_pasid_disable(rs.a, 0), S(EBUSY), Q(VF_ATS));
	h_assert_snap_equal(rs.e, &before);
}

static void test_pasid_pf_change_blocked_by_other_ats(void **st)
{
	struct h_snap before;

	(void)st;
	h_assert_ok(h_ats(rs.b, 0, 1, 0));
	h_snap_take(rs.e, &before);
	h_assert_reply(h_pasid_enable(rs.a, 0, 0), S(EBUSY), Q(PF_ATS));
	h_assert_snap_equal(rs.e, &before);
	h_assert_ok(h_ats(rs.b, 0, 0, 0));
	/* the PF's own ATS counts too */
	pvvf_pf_sim_host_ats(rs.sim, true);
	h_assert_reply(h_pasid_enable(rs.a, 0, 0), S(EBUSY), Q(PF_ATS));
	pvvf_pf_sim_host_ats(rs.sim, false);
	h_assert_ok(h_pasid_enable(rs.a, 0, 0));
}

static void test_pasid_no_pf_change_needed_under_ats(void **st)
{
	(void)st;
	h_assert_ok(h_pasid_enable(rs.a, 0, 0));
	h_assert_ok(h_ats(rs.b, 0, 1, 0));
	/* the PF bit is already on: nothing to write, so ATS elsewhere is fine */
	h_assert_ok(h_pasid_enable(rs.a, 1, 0));
	assert_int_equal(h_pf(rs.e, 0).pasid_refs, 2);
}

static void test_pasid_last_disable_deferred_while_ats(void **st)
{
	(void)st;
	h_assert_ok(h_pasid_enable(rs.a, 0, 0));
	h_assert_ok(h_ats(rs.b, 0, 1, 0));
	h_assert_ok(h_pasid_disable(rs.a, 0));
	assert_true(sim_pasid_ctrl() & PCI_PASID_CTRL_ENABLE);
	assert_true(h_pf(rs.e, 0).pasid_off_deferred);
	/* an enable meanwhile needs no PF change and cancels the deferral */
	h_assert_ok(h_pasid_enable(rs.a, 1, 0));
	assert_false(h_pf(rs.e, 0).pasid_off_deferred);
	h_assert_ok(h_pasid_disable(rs.a, 1));
	assert_true(h_pf(rs.e, 0).pasid_off_deferred);
	h_assert_ok(h_ats(rs.b, 0, 0, 0));
	assert_int_equal(sim_pasid_ctrl(), 0);
	assert_false(h_pf(rs.e, 0).pasid_off_deferred);
}

static void test_pasid_deferred_until_host_ats_off(void **st)
{
	(void)st;
	h_assert_ok(h_pasid_enable(rs.a, 0, 0));
	pvvf_pf_sim_host_ats(rs.sim, true);
	h_assert_ok(h_pasid_disable(rs.a, 0));
	assert_true(h_pf(rs.e, 0).pasid_off_deferred);
	pvvf_pf_sim_host_ats(rs.sim, false);
	assert_int_equal(sim_pasid_ctrl(), 0);
}

static void test_pasid_features_limited_to_pf(void **st)
{
	struct pvvf_pf_sim_params p;
	struct h_snap before;

	(void)st;
	r_teardown(st);
	h_sim_defaults(&p);
	p.pasid_features = PCI_PASID_CAP_EXEC;
	r_setup_with(&p);
	h_snap_take(rs.e, &before);
	h_assert_reply(h_pasid_enable(rs.a, 0, PRIV), S(EOPNOTSUPP), Q(PF_UNSUPPORTED));
	h_assert_reply(h_pasid_enable(rs.a, 0, EXEC | PRIV), S(EOPNOTSUPP), Q(PF_UNSUPPORTED));
	h_assert_snap_equal(rs.e, &before);
	h_assert_ok(h_pasid_enable(rs.a, 0, EXEC));
	assert_int_equal(sim_pasid_ctrl(), PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC);
	assert_int_equal(h_vf(rs.e, 0, 0).pasid_features, EXEC);
}

static void test_pasid_pf_without_capability(void **st)
{
	struct pvvf_pf_sim_params p;

	(void)st;
	r_teardown(st);
	h_sim_defaults(&p);
	p.pasid = false;
	p.pri = false;
	r_setup_with(&p);
	h_assert_reply(h_pasid_enable(rs.a, 0, 0), S(EOPNOTSUPP), Q(PF_UNSUPPORTED));
	h_assert_reply(h_pasid_disable(rs.a, 0), S(EOPNOTSUPP), Q(PF_UNSUPPORTED));
	h_assert_reply(h_pri_enable(rs.a, 0, 1), S(EOPNOTSUPP), Q(PF_UNSUPPORTED));
	h_assert_reply(h_pri_status(rs.a, 0, NULL, NULL), S(EOPNOTSUPP), Q(PF_UNSUPPORTED));
}

static void test_pasid_host_revocation(void **st)
{
	struct virtio_pvvf_event ev[16];
	int n;

	(void)st;
	h_assert_ok(h_pasid_enable(rs.a, 1, 0));
	h_assert_ok(h_pasid_enable(rs.b, 0, EXEC));
	h_events(rs.a, ev, 16);
	h_events(rs.b, ev, 16);
	pvvf_pf_sim_host_pasid(rs.sim, false, 0);
	n = h_events(rs.a, ev, 16);
	assert_int_equal(n, 1);
	assert_int_equal(le16toh(ev[0].type), VIRTIO_PVVF_EVT_PF_STATE);
	assert_int_equal(le32toh(ev[0].vf), 1);
	assert_int_equal(le32toh(ev[0].detail), VIRTIO_PVVF_DETAIL_PASID_REVOKED);
	n = h_events(rs.b, ev, 16);
	assert_int_equal(n, 1);
	assert_int_equal(le32toh(ev[0].vf), 0);
	assert_int_equal(h_pf(rs.e, 0).pasid_refs, 0);
	assert_false(h_vf(rs.e, 0, 1).pasid);
	h_assert_reply(h_pasid_enable(rs.a, 0, 0), S(EPERM), Q(REVOKED));
	/* the host hands PASID back by enabling it itself */
	pvvf_pf_sim_host_pasid(rs.sim, true, 0);
	h_assert_ok(h_pasid_enable(rs.a, 0, 0));
}

/* ---- ATS ---- */

static void test_ats_stu_must_match_pf(void **st)
{
	struct h_snap before;

	(void)st;
	h_snap_take(rs.e, &before);
	h_assert_reply(h_ats(rs.a, 0, 1, 1), S(EINVAL), Q(STU));
	h_assert_snap_equal(rs.e, &before);
	h_assert_ok(h_ats(rs.a, 0, 1, 0));
	assert_int_equal(h_pf(rs.e, 0).ats_vfs, 1);
	h_assert_ok(h_ats(rs.a, 0, 0, 0));
	h_assert_ok(h_ats(rs.a, 0, 0, 0));
	assert_int_equal(h_pf(rs.e, 0).ats_vfs, 0);
}

/*
 * Encodings: the descriptor's ats_stu is the PF's STU as a page shift
 * (0: none), ATS_SET and GET_STATE carry the 5-bit STU field.
 */
static void test_ats_stu_encodings(void **st)
{
	struct pvvf_pf_sim_params p;
	struct virtio_pvvf_vf_state s;
	struct virtio_pvvf_vf_desc d;
	struct h_reply r;

	(void)st;
	r_teardown(st);
	h_sim_defaults(&p);
	p.ats_stu = 16;		/* 64 KiB */
	r_setup_with(&p);
	r = h_req(rs.a, VIRTIO_PVVF_OP_GET_VF, 0, NULL, 0);
	memcpy(&d, r.buf + 8, sizeof(d));
	assert_int_equal(d.ats_stu, 16);
	h_assert_reply(h_ats(rs.a, 0, 1, 16), S(EINVAL), Q(STU));
	h_assert_reply(h_ats(rs.a, 0, 1, 0), S(EINVAL), Q(STU));
	h_assert_ok(h_ats(rs.a, 0, 1, 4));
	h_assert_ok(h_get_state(rs.a, 0, &s));
	assert_int_equal(s.ats_stu, 4);
	assert_true(le16toh(s.flags) & VIRTIO_PVVF_ST_ATS);
}

/* ---- PRI ---- */

static void test_pri_first_enable_programs_pf(void **st)
{
	(void)st;
	assert_int_equal(sim_pri_ctrl(), 0);
	h_assert_ok(h_pri_enable(rs.a, 0, 16));
	assert_int_equal(sim_pri_ctrl(), PCI_PRI_CTRL_ENABLE);
	assert_int_equal(sim_pri_alloc(), 64);
	assert_int_equal(h_pf(rs.e, 0).pri_free, 48);
	h_assert_ok(h_pri_enable(rs.b, 0, 48));
	assert_int_equal(h_pf(rs.e, 0).pri_free, 0);
	assert_int_equal(sim_pri_alloc(), 64);
}

static void test_pri_pool_exhausted(void **st)
{
	struct h_snap before;

	(void)st;
	h_assert_ok(h_pri_enable(rs.a, 0, 40));
	h_snap_take(rs.e, &before);
	h_assert_reply(h_pri_enable(rs.b, 0, 25), S(ENOSPC), Q(POOL));
	h_assert_snap_equal(rs.e, &before);
	h_assert_ok(h_pri_enable(rs.b, 0, 24));
	assert_int_equal(h_pf(rs.e, 0).pri_free, 0);
}

static void test_pri_disable_idle_stops_at_once(void **st)
{
	struct virtio_pvvf_event ev[8];
	uint16_t status;
	uint32_t out;
	int n;

	(void)st;
	h_assert_ok(h_pri_enable(rs.a, 0, 8));
	h_events(rs.a, ev, 8);
	h_assert_ok(h_pri_disable(rs.a, 0));
	n = h_events(rs.a, ev, 8);
	assert_int_not_equal(h_find_event(ev, n, VIRTIO_PVVF_EVT_PRI_STOPPED, 0), -1);
	h_assert_ok(h_pri_status(rs.a, 0, &status, &out));
	assert_int_equal(status, VIRTIO_PVVF_PRI_STOPPED | VIRTIO_PVVF_PRI_PASID);
	assert_int_equal(out, 0);
	assert_int_equal(h_pf(rs.e, 0).pri_free, 64);
	assert_int_equal(sim_pri_ctrl(), 0);
	h_assert_ok(h_pri_disable(rs.a, 0));
}

static void test_pri_drain_completes_then_stopped(void **st)
{
	struct virtio_pvvf_event ev[8];
	struct h_snap before;
	uint16_t status;
	uint32_t out;

	(void)st;
	h_assert_ok(h_pri_enable(rs.a, 0, 8));
	assert_int_equal(pvvf_pf_sim_inject(rs.sim, 0, 3, rs.e->now), 3);
	h_events(rs.a, ev, 8);
	h_assert_ok(h_pri_disable(rs.a, 0));
	h_assert_ok(h_pri_status(rs.a, 0, &status, &out));
	assert_int_equal(status & VIRTIO_PVVF_PRI_STOPPED, 0);
	assert_int_equal(out, 3);
	assert_int_equal(h_events(rs.a, ev, 8), 0);
	/* outstanding requests still count against the pool */
	assert_int_equal(h_pf(rs.e, 0).pri_free, 56);
	assert_int_equal(sim_pri_ctrl(), PCI_PRI_CTRL_ENABLE);
	/* no new page requests from a disabled VF */
	assert_int_equal(pvvf_pf_sim_inject(rs.sim, 0, 1, rs.e->now), 0);
	h_snap_take(rs.e, &before);
	h_assert_reply(h_pri_reset(rs.a, 0), S(EBUSY), Q(NOT_STOPPED));
	h_assert_reply(h_pri_enable(rs.a, 0, 8), S(EBUSY), Q(NOT_STOPPED));
	h_assert_snap_equal(rs.e, &before);
	assert_int_equal(pvvf_pf_sim_complete(rs.sim, 0, 2), 2);
	assert_int_equal(h_events(rs.a, ev, 8), 0);
	assert_int_equal(pvvf_pf_sim_complete(rs.sim, 0, 1), 1);
	assert_int_equal(h_events(rs.a, ev, 8), 1);
	assert_int_equal(le16toh(ev[0].type), VIRTIO_PVVF_EVT_PRI_STOPPED);
	h_assert_ok(h_pri_status(rs.a, 0, &status, &out));
	assert_true(status & VIRTIO_PVVF_PRI_STOPPED);
	assert_int_equal(h_pf(rs.e, 0).pri_free, 64);
	assert_int_equal(sim_pri_ctrl(), 0);
	h_assert_ok(h_pri_reset(rs.a, 0));
}

static void test_pri_drain_completes_by_delay(void **st)
{
	(void)st;
	h_assert_ok(h_pri_enable(rs.a, 0, 8));
	assert_int_equal(pvvf_pf_sim_inject(rs.sim, 0, 2, rs.e->now), 2);
	h_assert_ok(h_pri_disable(rs.a, 0));
	h_tick(rs.e, 500000);
	assert_true(h_vf(rs.e, 0, 0).pri_draining);
	h_tick(rs.e, 600000);	/* past the simulated 1 ms completion delay */
	assert_false(h_vf(rs.e, 0, 0).pri_draining);
	assert_int_equal(pvvf_pf_sim_stats(rs.sim)->prq_completed, 2);
	assert_int_equal(pvvf_pf_sim_stats(rs.sim)->prq_aborted, 0);
}

static void test_pri_drain_deadline_aborts(void **st)
{
	struct virtio_pvvf_event ev[8];
	uint64_t next;

	(void)st;
	r_teardown(st);
	{
		struct pvvf_pf_sim_params p;

		h_sim_defaults(&p);
		p.prq_delay_ns = 10ULL * 1000000000ULL;	/* never on its own */
		r_setup_with(&p);
	}
	h_assert_ok(h_pri_enable(rs.a, 0, 8));
	assert_int_equal(pvvf_pf_sim_inject(rs.sim, 0, 4, rs.e->now), 4);
	h_assert_ok(h_pri_disable(rs.a, 0));
	h_events(rs.a, ev, 8);
	next = pvvf_core_tick(rs.e->core, rs.e->now);
	assert_int_equal(next, rs.e->now + PVVF_DRAIN_TIMEOUT_NS);
	h_tick(rs.e, PVVF_DRAIN_TIMEOUT_NS - 1);
	assert_true(h_vf(rs.e, 0, 0).pri_draining);
	h_tick(rs.e, 1);
	assert_false(h_vf(rs.e, 0, 0).pri_draining);
	assert_int_equal(pvvf_pf_sim_stats(rs.sim)->prq_aborted, 4);
	assert_int_equal(pvvf_pf_sim_outstanding(rs.sim, 0), 0);
	assert_int_equal(h_events(rs.a, ev, 8), 1);
	assert_int_equal(le16toh(ev[0].type), VIRTIO_PVVF_EVT_PRI_STOPPED);
}

static void test_pri_reset_only_disabled_and_stopped(void **st)
{
	struct h_snap before;
	uint16_t status;

	(void)st;
	h_assert_ok(h_pri_enable(rs.a, 0, 8));
	pvvf_pf_sim_vf_pri_fault(rs.sim, 0, PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI);
	h_assert_ok(h_pri_status(rs.a, 0, &status, NULL));
	assert_int_equal(status, VIRTIO_PVVF_PRI_RF | VIRTIO_PVVF_PRI_UPRGI |
			 VIRTIO_PVVF_PRI_PASID);
	h_snap_take(rs.e, &before);
	h_assert_reply(h_pri_reset(rs.a, 0), S(EBUSY), Q(PRI_ENABLED));
	h_assert_snap_equal(rs.e, &before);
	h_assert_ok(h_pri_disable(rs.a, 0));
	h_assert_ok(h_pri_reset(rs.a, 0));
	h_assert_ok(h_pri_status(rs.a, 0, &status, NULL));
	assert_int_equal(status, VIRTIO_PVVF_PRI_STOPPED | VIRTIO_PVVF_PRI_PASID);
}

/* One VF's disable, stop or reset never changes another VF's state. */
static void test_pri_vf_stop_and_reset_isolated(void **st)
{
	struct pvvf_vf_info b_before, b_after;

	(void)st;
	h_assert_ok(h_pri_enable(rs.a, 0, 8));
	h_assert_ok(h_pri_enable(rs.b, 0, 8));
	assert_int_equal(pvvf_pf_sim_inject(rs.sim, 0, 2, rs.e->now), 2);
	assert_int_equal(pvvf_pf_sim_inject(rs.sim, 2, 5, rs.e->now), 5);
	pvvf_pf_sim_vf_pri_fault(rs.sim, 2, PCI_PRI_STATUS_RF);
	b_before = h_vf(rs.e, 0, 2);
	h_assert_ok(h_pri_disable(rs.a, 0));
	pvvf_pf_sim_complete(rs.sim, 0, 2);
	h_assert_ok(h_pri_reset(rs.a, 0));
	b_after = h_vf(rs.e, 0, 2);
	assert_memory_equal(&b_before, &b_after, sizeof(b_after));
	assert_int_equal(b_after.pri_outstanding, 5);
	assert_true(b_after.pri_status & VIRTIO_PVVF_PRI_RF);
	assert_int_equal(sim_pri_ctrl(), PCI_PRI_CTRL_ENABLE);
}

/* PF PRI stays enabled while any VF uses it, draining included. */
static void test_pri_pf_stays_on_while_draining(void **st)
{
	(void)st;
	h_assert_ok(h_pri_enable(rs.a, 0, 8));
	h_assert_ok(h_pri_enable(rs.b, 1, 8));
	assert_int_equal(pvvf_pf_sim_inject(rs.sim, 3, 1, rs.e->now), 1);
	h_assert_ok(h_pri_disable(rs.b, 1));
	h_assert_ok(h_pri_disable(rs.a, 0));
	assert_int_equal(h_pf(rs.e, 0).pri_users, 1);
	assert_int_equal(sim_pri_ctrl(), PCI_PRI_CTRL_ENABLE);
	pvvf_pf_sim_complete(rs.sim, 3, 1);
	assert_int_equal(sim_pri_ctrl(), 0);
	assert_int_equal(h_pf(rs.e, 0).pri_users, 0);
	/* and a later first user resets and re-programs it: no violation */
	h_assert_ok(h_pri_enable(rs.b, 0, 2));
	assert_int_equal(sim_pri_ctrl(), PCI_PRI_CTRL_ENABLE);
}

static void test_pri_vf_limited_to_its_allocation(void **st)
{
	(void)st;
	h_assert_ok(h_pri_enable(rs.a, 0, 4));
	assert_int_equal(pvvf_pf_sim_inject(rs.sim, 0, 10, rs.e->now), 4);
	assert_int_equal(pvvf_pf_sim_inject(rs.sim, 1, 1, rs.e->now), 0);
}

static void test_pri_host_revocation(void **st)
{
	struct virtio_pvvf_event ev[8];
	int n;

	(void)st;
	h_assert_ok(h_pri_enable(rs.a, 0, 8));
	h_assert_ok(h_pri_enable(rs.b, 1, 8));
	pvvf_pf_sim_inject(rs.sim, 3, 2, rs.e->now);
	h_assert_ok(h_pri_disable(rs.b, 1));
	h_events(rs.a, ev, 8);
	h_events(rs.b, ev, 8);
	pvvf_pf_sim_host_pri_disable(rs.sim);
	n = h_events(rs.a, ev, 8);
	assert_int_equal(n, 1);
	assert_int_equal(le32toh(ev[0].detail), VIRTIO_PVVF_DETAIL_PRI_REVOKED);
	n = h_events(rs.b, ev, 8);
	assert_int_not_equal(h_find_event(ev, n, VIRTIO_PVVF_EVT_PF_STATE, 1), -1);
	assert_int_not_equal(h_find_event(ev, n, VIRTIO_PVVF_EVT_PRI_STOPPED, 1), -1);
	assert_int_equal(h_pf(rs.e, 0).pri_free, 64);
	assert_false(h_vf(rs.e, 0, 0).pri_enabled);
	h_assert_reply(h_pri_enable(rs.a, 0, 1), S(EPERM), Q(REVOKED));
}

/* A PF whose PRI the host enabled itself is not pvvf's to program. */
static void test_pri_host_owned_pf_refused(void **st)
{
	struct h_snap before;

	(void)st;
	pvvf_pf_sim_host_pri_enable(rs.sim, 16);
	h_snap_take(rs.e, &before);
	h_assert_reply(h_pri_enable(rs.a, 0, 4), S(EPERM), Q(REVOKED));
	h_assert_snap_equal(rs.e, &before);
	assert_int_equal(sim_pri_alloc(), 16);
	pvvf_pf_sim_host_pri_disable(rs.sim);
	h_assert_ok(h_pri_enable(rs.a, 0, 4));
	assert_int_equal(sim_pri_alloc(), 64);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, r_setup, r_teardown)
	const struct CMUnitTest tests[] = {
		T(test_pasid_refcount_shared_by_two_guests),
		T(test_pasid_disable_when_off_is_noop),
		T(test_pasid_host_owner_never_fought),
		T(test_pasid_host_takes_over_pvvf_enable),
		T(test_pasid_vf_ats_blocks_change),
		T(test_pasid_pf_change_blocked_by_other_ats),
		T(test_pasid_no_pf_change_needed_under_ats),
		T(test_pasid_last_disable_deferred_while_ats),
		T(test_pasid_deferred_until_host_ats_off),
		T(test_pasid_features_limited_to_pf),
		T(test_pasid_pf_without_capability),
		T(test_pasid_host_revocation),
		T(test_ats_stu_must_match_pf),
		T(test_ats_stu_encodings),
		T(test_pri_first_enable_programs_pf),
		T(test_pri_pool_exhausted),
		T(test_pri_disable_idle_stops_at_once),
		T(test_pri_drain_completes_then_stopped),
		T(test_pri_drain_completes_by_delay),
		T(test_pri_drain_deadline_aborts),
		T(test_pri_reset_only_disabled_and_stopped),
		T(test_pri_vf_stop_and_reset_isolated),
		T(test_pri_pf_stays_on_while_draining),
		T(test_pri_vf_limited_to_its_allocation),
		T(test_pri_host_revocation),
		T(test_pri_host_owned_pf_refused),
	};
#undef T

	return cmocka_run_group_tests_name("pvvf_rules", tests, NULL, NULL);
}
