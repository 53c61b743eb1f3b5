// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: every transition of the per-VF ordering state machine, and host
 * events or discovery racing with an operation in flight.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "../guest/order.h"

static const struct pvvf_order_caps pvvf_caps_full = {
	.pasid = true, .pri = true,
	.pasid_features = VIRTIO_PVVF_PASID_EXEC | VIRTIO_PVVF_PASID_PRIV,
	.pri_capacity = 64, .ats_stu = 12,
};

static const struct pvvf_order_caps pvvf_caps_none = {};

/* Named starting states. */
enum pvvf_st {
	ST_IDLE,		/* everything off, stopped */
	ST_ATS,			/* ATS on */
	ST_PASID,		/* PASID on */
	ST_PASID_ATS,		/* PASID on, then ATS on */
	ST_PRI,			/* PASID, ATS, PRI on */
	ST_DRAINING,		/* PRI disabled, not yet stopped */
	ST_STOPPED,		/* PRI disabled and stopped, ATS+PASID on */
	ST_PASID_REVOKED,
	ST_PRI_REVOKED,
	ST_PF_RESET,
	ST_VF_RESET,
	ST_STALE,
	ST_GONE,
	ST_INFLIGHT,
	ST_NOCAPS,
	ST_COUNT,
};

static const char * const pvvf_st_names[ST_COUNT] = {
	"idle", "ats", "pasid", "pasid+ats", "pri", "draining", "stopped",
	"pasid_revoked", "pri_revoked", "pf_reset", "vf_reset", "stale",
	"gone", "inflight", "nocaps",
};

static void pvvf_st_make(struct pvvf_order *o, enum pvvf_st st)
{
	pvvf_order_init(o, st == ST_NOCAPS ? &pvvf_caps_none : &pvvf_caps_full);
	switch (st) {
	case ST_ATS:
		o->ats = true;
		break;
	case ST_PASID:
		o->pasid = true;
		o->pasid_features = VIRTIO_PVVF_PASID_EXEC;
		break;
	case ST_PASID_ATS:
	case ST_PRI:
	case ST_DRAINING:
	case ST_STOPPED:
		o->pasid = true;
		o->ats = true;
		o->pri = st == ST_PRI;
		o->pri_alloc = st == ST_PRI ? 16 : 0;
		o->pri_stopped = st != ST_PRI && st != ST_DRAINING;
		break;
	case ST_PASID_REVOKED:
		o->pasid_revoked = true;
		break;
	case ST_PRI_REVOKED:
		o->pri_revoked = true;
		o->pri_stopped = false;
		break;
	case ST_PF_RESET:
		o->pf_reset = true;
		break;
	case ST_VF_RESET:
		o->vf_reset = true;
		break;
	case ST_STALE:
		o->stale = true;
		break;
	case ST_GONE:
		o->gone = true;
		break;
	case ST_INFLIGHT:
		o->inflight = PVVF_OP_PRI_RESET;
		break;
	default:
		break;
	}
}

struct pvvf_tr {
	enum pvvf_st st;
	enum pvvf_op op;
	u32 arg;
	int err;
};

#define A_ON	PVVF_OP_ATS_ENABLE
#define A_OFF	PVVF_OP_ATS_DISABLE
#define P_ON	PVVF_OP_PASID_ENABLE
#define P_OFF	PVVF_OP_PASID_DISABLE
#define R_ON	PVVF_OP_PRI_ENABLE
#define R_OFF	PVVF_OP_PRI_DISABLE
#define R_RST	PVVF_OP_PRI_RESET
#define EXEC	VIRTIO_PVVF_PASID_EXEC

static const struct pvvf_tr pvvf_transitions[] = {
	/* ATS: the VF's own; STU must be the PF's (PCIe 10.5.1.3). */
	{ ST_IDLE, A_ON, 0, 0 },
	{ ST_IDLE, A_ON, 1, -EINVAL },
	{ ST_IDLE, A_ON, 32, -EINVAL },
	{ ST_ATS, A_ON, 0, -EALREADY },
	{ ST_ATS, A_OFF, 0, 0 },
	{ ST_IDLE, A_OFF, 0, -EALREADY },
	{ ST_PRI, A_OFF, 0, -EBUSY },		/* teardown: PRI first */
	{ ST_DRAINING, A_OFF, 0, 0 },
	{ ST_STOPPED, A_OFF, 0, 0 },
	{ ST_NOCAPS, A_ON, 0, -EINVAL },	/* PF ATS off: no STU */

	/* PASID never changes while ATS is enabled (PCIe 7.8.9.3). */
	{ ST_IDLE, P_ON, EXEC, 0 },
	{ ST_IDLE, P_ON, 0, 0 },
	{ ST_IDLE, P_ON, 0x1, -EINVAL },
	{ ST_ATS, P_ON, EXEC, -EBUSY },
	{ ST_PASID, P_ON, EXEC, -EALREADY },
	{ ST_PASID, P_OFF, 0, 0 },
	{ ST_PASID_ATS, P_OFF, 0, -EBUSY },
	{ ST_IDLE, P_OFF, 0, -EALREADY },
	{ ST_PASID_REVOKED, P_ON, EXEC, -EPERM },
	{ ST_PASID_REVOKED, P_OFF, 0, 0 },	/* acknowledges */
	{ ST_NOCAPS, P_ON, 0, -EOPNOTSUPP },
	{ ST_NOCAPS, P_OFF, 0, -EOPNOTSUPP },

	/* PRI: allocation with the enable, never while enabled. */
	{ ST_IDLE, R_ON, 16, 0 },
	{ ST_IDLE, R_ON, 64, 0 },
	{ ST_IDLE, R_ON, 65, -ENOSPC },
	{ ST_IDLE, R_ON, 0, -EINVAL },
	{ ST_PRI, R_ON, 16, -EALREADY },
	{ ST_PRI, R_ON, 32, -EALREADY },	/* allocation change */
	{ ST_DRAINING, R_ON, 16, -EBUSY },
	{ ST_STOPPED, R_ON, 16, 0 },
	{ ST_PRI_REVOKED, R_ON, 16, -EPERM },
	{ ST_NOCAPS, R_ON, 16, -EOPNOTSUPP },
	{ ST_PRI, R_OFF, 0, 0 },
	{ ST_IDLE, R_OFF, 0, -EALREADY },
	{ ST_DRAINING, R_OFF, 0, -EALREADY },
	{ ST_PRI_REVOKED, R_OFF, 0, 0 },

	/* Reset only when disabled and stopped. */
	{ ST_PRI, R_RST, 0, -EBUSY },
	{ ST_DRAINING, R_RST, 0, -EBUSY },
	{ ST_STOPPED, R_RST, 0, 0 },
	{ ST_IDLE, R_RST, 0, 0 },
	{ ST_NOCAPS, R_RST, 0, -EOPNOTSUPP },

	/* PASID goes last: not while PRI is enabled or draining. */
	{ ST_PASID, P_OFF, 0, 0 },
	{ ST_PRI, P_OFF, 0, -EBUSY },

	/* Global conditions win, in this order. */
	{ ST_GONE, A_ON, 0, -ENODEV },
	{ ST_GONE, R_OFF, 0, -ENODEV },
	{ ST_INFLIGHT, P_ON, EXEC, -EBUSY },
	{ ST_STALE, R_ON, 16, -ESTALE },
	{ ST_PF_RESET, P_ON, EXEC, -EAGAIN },
	{ ST_VF_RESET, A_ON, 0, -EAGAIN },
	{ ST_IDLE, PVVF_OP_COUNT, 0, -EINVAL },
};

static void pvvf_order_tr_desc(const struct pvvf_tr *t, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s: %s(%u) -> %d",
		 pvvf_st_names[t->st], pvvf_order_op_name(t->op), t->arg,
		 t->err);
}

KUNIT_ARRAY_PARAM(pvvf_order_tr, pvvf_transitions, pvvf_order_tr_desc);

/* Check, begin and end agree; a refused op leaves the state untouched. */
static void pvvf_order_transition(struct kunit *test)
{
	const struct pvvf_tr *t = test->param_value;
	struct pvvf_order o, before;

	pvvf_st_make(&o, t->st);
	before = o;
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, t->op, t->arg), t->err);
	KUNIT_EXPECT_EQ(test, pvvf_order_begin(&o, t->op, t->arg), t->err);
	if (t->err) {
		KUNIT_EXPECT_EQ(test, memcmp(&o, &before, sizeof(o)), 0);
		return;
	}
	KUNIT_EXPECT_EQ(test, (int)o.inflight, (int)t->op);
	/* A second operation while one is in flight is refused. */
	KUNIT_EXPECT_EQ(test, pvvf_order_begin(&o, PVVF_OP_ATS_ENABLE, 0),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, pvvf_order_end(&o, t->op, t->arg, 0), 0);
	KUNIT_EXPECT_EQ(test, (int)o.inflight, (int)PVVF_OP_NONE);
	KUNIT_EXPECT_FALSE(test, o.stale);
	/* Doing it again now is a no-op the machine refuses. */
	if (t->op != PVVF_OP_PRI_RESET)
		KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, t->op, t->arg),
				-EALREADY);
}

static int pvvf_order_run(struct pvvf_order *o, enum pvvf_op op, u32 arg)
{
	int err = pvvf_order_begin(o, op, arg);

	return err ? err : pvvf_order_end(o, op, arg, 0);
}

/* The whole life of a VF, in the order the spec asks for. */
static void pvvf_order_full_cycle(struct kunit *test)
{
	struct pvvf_order o;
	struct pvvf_event stopped = { .type = VIRTIO_PVVF_EVT_PRI_STOPPED };

	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_EXPECT_EQ(test, pvvf_order_run(&o, P_ON, EXEC), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_run(&o, A_ON, 0), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_run(&o, R_ON, 32), 0);
	KUNIT_EXPECT_EQ(test, o.pri_alloc, 32U);
	KUNIT_EXPECT_EQ(test, pvvf_order_check_stopped(&o), -EBUSY);

	KUNIT_EXPECT_EQ(test, pvvf_order_run(&o, R_OFF, 0), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_check_stopped(&o), -EINPROGRESS);
	KUNIT_EXPECT_EQ(test, pvvf_order_run(&o, R_RST, 0), -EBUSY);
	/* The event only wakes; PRI_STATUS confirms. */
	pvvf_order_event(&o, &stopped);
	KUNIT_EXPECT_EQ(test, pvvf_order_check_stopped(&o), -EINPROGRESS);
	KUNIT_EXPECT_FALSE(test, pvvf_order_pri_status(&o, 0));
	KUNIT_EXPECT_TRUE(test, pvvf_order_pri_status(&o,
						      VIRTIO_PVVF_PRI_STOPPED));
	KUNIT_EXPECT_EQ(test, pvvf_order_check_stopped(&o), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_run(&o, R_RST, 0), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_run(&o, P_OFF, 0), -EBUSY);
	KUNIT_EXPECT_EQ(test, pvvf_order_run(&o, A_OFF, 0), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_run(&o, P_OFF, 0), 0);
	KUNIT_EXPECT_FALSE(test, o.pasid || o.ats || o.pri);
}

/* Host errors change nothing; unknown outcomes make the state stale. */
static void pvvf_order_end_results(struct kunit *test)
{
	static const struct { int res, ret; bool stale, applied; } t[] = {
		{ 0, 0, false, true },
		{ -EBUSY, -EBUSY, false, false },
		{ -ENOSPC, -ENOSPC, false, false },
		{ -EPERM, -EPERM, false, false },
		{ -EAGAIN, -EAGAIN, false, false },
		{ -ETIMEDOUT, -ETIMEDOUT, true, false },
		{ -EPROTO, -EPROTO, true, false },
		{ -EBADMSG, -EBADMSG, true, false },
		{ -EIO, -EIO, true, false },
	};
	struct pvvf_order o;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		pvvf_order_init(&o, &pvvf_caps_full);
		KUNIT_ASSERT_EQ(test, pvvf_order_begin(&o, R_ON, 8), 0);
		KUNIT_EXPECT_EQ_MSG(test, pvvf_order_end(&o, R_ON, 8, t[i].res),
				    t[i].ret, "result %d", t[i].res);
		KUNIT_EXPECT_EQ_MSG(test, o.stale, t[i].stale, "res %d",
				    t[i].res);
		KUNIT_EXPECT_EQ_MSG(test, o.pri, t[i].applied, "res %d",
				    t[i].res);
		KUNIT_EXPECT_EQ(test, (int)o.inflight, (int)PVVF_OP_NONE);
	}

	/* EALREADY to a disable means the host had it off: success. */
	pvvf_st_make(&o, ST_PASID);
	KUNIT_ASSERT_EQ(test, pvvf_order_begin(&o, P_OFF, 0), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_end(&o, P_OFF, 0, -EALREADY), 0);
	KUNIT_EXPECT_FALSE(test, o.pasid);
	/* ... but to an enable it is an error. */
	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_ASSERT_EQ(test, pvvf_order_begin(&o, P_ON, 0), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_end(&o, P_ON, 0, -EALREADY),
			-EALREADY);
	/* Ending what was not begun is a caller bug. */
	KUNIT_EXPECT_EQ(test, pvvf_order_end(&o, P_ON, 0, 0), -EINVAL);
}

/* A revocation arrives while PASID enable is in flight. */
static void pvvf_order_race_revoke(struct kunit *test)
{
	struct pvvf_event evt = {
		.type = VIRTIO_PVVF_EVT_PF_STATE,
		.detail = VIRTIO_PVVF_DETAIL_PASID_REVOKED,
	};
	struct pvvf_vf_state st = { .flags = VIRTIO_PVVF_ST_PRESENT };
	struct pvvf_order o;

	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_ASSERT_EQ(test, pvvf_order_begin(&o, P_ON, EXEC), 0);
	pvvf_order_event(&o, &evt);
	/* The host said yes, but we cannot know in which order. */
	KUNIT_EXPECT_EQ(test, pvvf_order_end(&o, P_ON, EXEC, 0), 0);
	KUNIT_EXPECT_TRUE(test, o.stale);
	KUNIT_EXPECT_FALSE(test, o.pasid);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, P_OFF, 0), -ESTALE);
	/* The read-back decides. */
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_FALSE(test, o.stale);
	KUNIT_EXPECT_FALSE(test, o.pasid);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, P_ON, EXEC), 0);
}

/* A revocation of enabled state latches until the consumer disables. */
static void pvvf_order_revoke_latches(struct kunit *test)
{
	struct pvvf_event evt = {
		.type = VIRTIO_PVVF_EVT_PF_STATE,
		.detail = VIRTIO_PVVF_DETAIL_PASID_REVOKED |
			  VIRTIO_PVVF_DETAIL_PRI_REVOKED,
	};
	struct pvvf_vf_state st = {
		.flags = VIRTIO_PVVF_ST_PRESENT,
		.pri_status = VIRTIO_PVVF_PRI_STOPPED,
	};
	struct pvvf_order o;

	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_ASSERT_EQ(test, pvvf_order_run(&o, P_ON, EXEC), 0);
	KUNIT_ASSERT_EQ(test, pvvf_order_run(&o, R_ON, 4), 0);
	pvvf_order_event(&o, &evt);
	KUNIT_EXPECT_TRUE(test, o.pasid_revoked && o.pri_revoked);
	KUNIT_EXPECT_FALSE(test, o.pasid || o.pri);
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_TRUE(test, o.pasid_revoked && o.pri_revoked);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, P_ON, EXEC), -EPERM);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, R_ON, 4), -EPERM);
	KUNIT_EXPECT_EQ(test, pvvf_order_run(&o, R_OFF, 0), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_run(&o, P_OFF, 0), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, P_ON, EXEC), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, R_ON, 4), 0);
}

/*
 * The acknowledging disable races a read-back (a scan after a config
 * change): the state goes stale, but the disable still acknowledges.
 */
static void pvvf_order_ack_races_sync(struct kunit *test)
{
	struct pvvf_event evt = {
		.type = VIRTIO_PVVF_EVT_PF_STATE,
		.detail = VIRTIO_PVVF_DETAIL_PASID_REVOKED |
			  VIRTIO_PVVF_DETAIL_PRI_REVOKED,
	};
	struct pvvf_vf_state st = {
		.flags = VIRTIO_PVVF_ST_PRESENT,
		.pri_status = VIRTIO_PVVF_PRI_STOPPED,
	};
	struct pvvf_order o;

	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_ASSERT_EQ(test, pvvf_order_run(&o, P_ON, EXEC), 0);
	KUNIT_ASSERT_EQ(test, pvvf_order_run(&o, R_ON, 4), 0);
	pvvf_order_event(&o, &evt);
	pvvf_order_sync(&o, &st);
	KUNIT_ASSERT_EQ(test, pvvf_order_begin(&o, R_OFF, 0), 0);
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_EQ(test, pvvf_order_end(&o, R_OFF, 0, 0), 0);
	KUNIT_EXPECT_TRUE(test, o.stale);
	KUNIT_EXPECT_FALSE(test, o.pri_revoked);
	pvvf_order_sync(&o, &st);
	KUNIT_ASSERT_EQ(test, pvvf_order_begin(&o, P_OFF, 0), 0);
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_EQ(test, pvvf_order_end(&o, P_OFF, 0, 0), 0);
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_FALSE(test, o.pasid_revoked);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, P_ON, EXEC), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, R_ON, 4), 0);
}

/* PRI_STOPPED overtakes the PRI_DISABLE reply (two queues). */
static void pvvf_order_race_stopped(struct kunit *test)
{
	struct pvvf_event stopped = { .type = VIRTIO_PVVF_EVT_PRI_STOPPED };
	struct pvvf_vf_state st = {
		.flags = VIRTIO_PVVF_ST_PRESENT,
		.pri_status = VIRTIO_PVVF_PRI_STOPPED,
	};
	struct pvvf_order o;

	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_ASSERT_EQ(test, pvvf_order_run(&o, R_ON, 4), 0);
	KUNIT_ASSERT_EQ(test, pvvf_order_begin(&o, R_OFF, 0), 0);
	pvvf_order_event(&o, &stopped);
	/* PRI was still enabled when it came: it cannot count yet. */
	KUNIT_EXPECT_FALSE(test, o.pri_stopped);
	KUNIT_EXPECT_EQ(test, pvvf_order_end(&o, R_OFF, 0, 0), 0);
	KUNIT_EXPECT_TRUE(test, o.stale);
	KUNIT_EXPECT_EQ(test, pvvf_order_check_stopped(&o), -ESTALE);
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_EQ(test, pvvf_order_check_stopped(&o), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, R_RST, 0), 0);
}

/*
 * A PRI_STOPPED left over from an earlier drain arrives during the next
 * one (found by the protocol model): it must not count as stopped.
 */
static void pvvf_order_stale_stopped_event(struct kunit *test)
{
	struct pvvf_event stopped = { .type = VIRTIO_PVVF_EVT_PRI_STOPPED };
	struct pvvf_order o;

	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_ASSERT_EQ(test, pvvf_order_run(&o, R_ON, 4), 0);
	KUNIT_ASSERT_EQ(test, pvvf_order_run(&o, R_OFF, 0), 0);
	KUNIT_ASSERT_TRUE(test, pvvf_order_pri_status(&o,
						      VIRTIO_PVVF_PRI_STOPPED));
	KUNIT_ASSERT_EQ(test, pvvf_order_run(&o, R_ON, 4), 0);
	KUNIT_ASSERT_EQ(test, pvvf_order_run(&o, R_OFF, 0), 0);
	/* The first drain's event, late. */
	pvvf_order_event(&o, &stopped);
	KUNIT_EXPECT_EQ(test, pvvf_order_check_stopped(&o), -EINPROGRESS);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, R_RST, 0), -EBUSY);
	/* A status read while PRI is (still) enabled proves nothing. */
	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_ASSERT_EQ(test, pvvf_order_run(&o, R_ON, 4), 0);
	KUNIT_EXPECT_FALSE(test, pvvf_order_pri_status(&o,
						       VIRTIO_PVVF_PRI_STOPPED));
	KUNIT_EXPECT_EQ(test, pvvf_order_check_stopped(&o), -EBUSY);
}

/* The VF goes away, or its PF is removed, with an operation in flight. */
static void pvvf_order_race_gone(struct kunit *test)
{
	struct pvvf_event removed = { .type = VIRTIO_PVVF_EVT_PF_REMOVED };
	struct pvvf_order o;

	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_ASSERT_EQ(test, pvvf_order_begin(&o, P_ON, 0), 0);
	pvvf_order_detach(&o);
	KUNIT_EXPECT_EQ(test, pvvf_order_end(&o, P_ON, 0, 0), -ENODEV);
	KUNIT_EXPECT_EQ(test, pvvf_order_check_stopped(&o), -ENODEV);

	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_ASSERT_EQ(test, pvvf_order_begin(&o, R_ON, 2), 0);
	pvvf_order_event(&o, &removed);
	KUNIT_EXPECT_EQ(test, pvvf_order_end(&o, R_ON, 2, -ETIMEDOUT),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, P_OFF, 0), -ENODEV);
}

/* A PF reset begins while an enable is in flight, then finishes. */
static void pvvf_order_race_reset(struct kunit *test)
{
	struct pvvf_event begin = { .type = VIRTIO_PVVF_EVT_PF_RESET_BEGIN };
	struct pvvf_event done = { .type = VIRTIO_PVVF_EVT_PF_RESET_DONE };
	struct pvvf_event vbegin = { .type = VIRTIO_PVVF_EVT_VF_RESET_BEGIN };
	struct pvvf_event vdone = { .type = VIRTIO_PVVF_EVT_VF_RESET_DONE };
	struct pvvf_vf_state st = { .flags = VIRTIO_PVVF_ST_PRESENT };
	struct pvvf_order o;

	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_ASSERT_EQ(test, pvvf_order_begin(&o, P_ON, 0), 0);
	pvvf_order_event(&o, &begin);
	KUNIT_EXPECT_EQ(test, pvvf_order_end(&o, P_ON, 0, -EAGAIN), -EAGAIN);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, P_ON, 0), -EAGAIN);
	pvvf_order_event(&o, &done);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, P_ON, 0), -ESTALE);
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, P_ON, 0), 0);

	pvvf_order_event(&o, &vbegin);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, A_ON, 0), -EAGAIN);
	pvvf_order_event(&o, &vdone);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, A_ON, 0), -ESTALE);
	/* A sync during the reset keeps the PF reset flag from the host. */
	st.flags |= VIRTIO_PVVF_ST_PF_RESET;
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, A_ON, 0), -EAGAIN);
}

/*
 * The host refuses the acknowledgment of a reset it announced: a VF reset
 * is forgotten, a PF reset follows GET_STATE, other events are not
 * resets and change nothing.
 */
static void pvvf_order_reset_ack_refused(struct kunit *test)
{
	struct pvvf_event begin = { .type = VIRTIO_PVVF_EVT_PF_RESET_BEGIN };
	struct pvvf_event vbegin = { .type = VIRTIO_PVVF_EVT_VF_RESET_BEGIN };
	struct pvvf_vf_state st = { .flags = VIRTIO_PVVF_ST_PRESENT };
	struct pvvf_order o, before;

	pvvf_order_init(&o, &pvvf_caps_full);
	pvvf_order_event(&o, &vbegin);
	KUNIT_EXPECT_TRUE(test, pvvf_order_ack_refused(&o, vbegin.type));
	KUNIT_EXPECT_FALSE(test, o.vf_reset);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, A_ON, 0), -ESTALE);
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, A_ON, 0), 0);

	/* A PF reset the host does have in progress stays. */
	pvvf_order_event(&o, &begin);
	KUNIT_EXPECT_TRUE(test, pvvf_order_ack_refused(&o, begin.type));
	st.flags |= VIRTIO_PVVF_ST_PF_RESET;
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, P_ON, 0), -EAGAIN);
	/* One it does not have goes with the read-back. */
	KUNIT_EXPECT_TRUE(test, pvvf_order_ack_refused(&o, begin.type));
	st.flags &= ~VIRTIO_PVVF_ST_PF_RESET;
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, P_ON, 0), 0);

	before = o;
	KUNIT_EXPECT_FALSE(test, pvvf_order_ack_refused(&o,
							VIRTIO_PVVF_EVT_PF_STATE));
	KUNIT_EXPECT_EQ(test, memcmp(&o, &before, sizeof(o)), 0);
}

/*
 * Late discovery: the VF table is re-scanned (a sync for this VF) while an
 * operation is in flight; the result cannot be applied blindly.
 */
static void pvvf_order_race_rescan(struct kunit *test)
{
	struct pvvf_vf_state st = {
		.flags = VIRTIO_PVVF_ST_PRESENT | VIRTIO_PVVF_ST_ATS,
		.ats_stu = 0,
	};
	struct pvvf_event table = { .type = VIRTIO_PVVF_EVT_VF_TABLE };
	struct pvvf_order o;

	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_ASSERT_EQ(test, pvvf_order_begin(&o, A_ON, 0), 0);
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_EQ(test, pvvf_order_end(&o, A_ON, 0, 0), 0);
	KUNIT_EXPECT_TRUE(test, o.stale);

	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_TRUE(test, o.ats);
	pvvf_order_event(&o, &table);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, A_OFF, 0), -ESTALE);

	/* A sync that says the slot is empty detaches. */
	st.flags = 0;
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_EQ(test, pvvf_order_check(&o, A_OFF, 0), -ENODEV);
}

/* GET_STATE is taken as the truth, PRI stopped only when disabled. */
static void pvvf_order_sync_values(struct kunit *test)
{
	struct pvvf_vf_state st = {
		.flags = VIRTIO_PVVF_ST_PRESENT | VIRTIO_PVVF_ST_PRI |
			 VIRTIO_PVVF_ST_PASID | VIRTIO_PVVF_ST_ATS,
		.pri_status = VIRTIO_PVVF_PRI_STOPPED | VIRTIO_PVVF_PRI_UPRGI,
		.pasid_features = EXEC, .ats_stu = 0, .pri_alloc = 9,
	};
	struct pvvf_order o;

	pvvf_order_init(&o, &pvvf_caps_full);
	o.stale = true;
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_TRUE(test, o.pri && o.pasid && o.ats);
	KUNIT_EXPECT_FALSE(test, o.pri_stopped);
	KUNIT_EXPECT_EQ(test, o.pri_alloc, 9U);
	KUNIT_EXPECT_EQ(test, o.pri_status, VIRTIO_PVVF_PRI_UPRGI);
	KUNIT_EXPECT_EQ(test, o.pasid_features, EXEC);

	st.flags |= VIRTIO_PVVF_ST_PF_GONE;
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_TRUE(test, o.gone);
}

/* Host lost enabled state with nothing in flight (a device reset). */
static void pvvf_order_sync_detects_loss(struct kunit *test)
{
	struct pvvf_vf_state st = {
		.flags = VIRTIO_PVVF_ST_PRESENT,
		.pri_status = VIRTIO_PVVF_PRI_STOPPED,
	};
	struct pvvf_order o;

	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_ASSERT_EQ(test, pvvf_order_run(&o, P_ON, EXEC), 0);
	KUNIT_ASSERT_EQ(test, pvvf_order_run(&o, R_ON, 4), 0);
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_TRUE(test, o.pasid_revoked);
	KUNIT_EXPECT_TRUE(test, o.pri_revoked);

	/* The same read-back after a timeout is not a revocation. */
	pvvf_order_init(&o, &pvvf_caps_full);
	KUNIT_ASSERT_EQ(test, pvvf_order_run(&o, P_ON, EXEC), 0);
	KUNIT_ASSERT_EQ(test, pvvf_order_begin(&o, P_OFF, 0), 0);
	KUNIT_EXPECT_EQ(test, pvvf_order_end(&o, P_OFF, 0, -ETIMEDOUT),
			-ETIMEDOUT);
	pvvf_order_sync(&o, &st);
	KUNIT_EXPECT_FALSE(test, o.pasid_revoked);
	KUNIT_EXPECT_FALSE(test, o.pasid);
}

static struct kunit_case pvvf_order_cases[] = {
	KUNIT_CASE_PARAM(pvvf_order_transition, pvvf_order_tr_gen_params),
	KUNIT_CASE(pvvf_order_full_cycle),
	KUNIT_CASE(pvvf_order_end_results),
	KUNIT_CASE(pvvf_order_race_revoke),
	KUNIT_CASE(pvvf_order_revoke_latches),
	KUNIT_CASE(pvvf_order_ack_races_sync),
	KUNIT_CASE(pvvf_order_race_stopped),
	KUNIT_CASE(pvvf_order_stale_stopped_event),
	KUNIT_CASE(pvvf_order_race_gone),
	KUNIT_CASE(pvvf_order_race_reset),
	KUNIT_CASE(pvvf_order_reset_ack_refused),
	KUNIT_CASE(pvvf_order_race_rescan),
	KUNIT_CASE(pvvf_order_sync_values),
	KUNIT_CASE(pvvf_order_sync_detects_loss),
	{}
};

static struct kunit_suite pvvf_order_suite = {
	.name = "pvvf_order",
	.test_cases = pvvf_order_cases,
};

kunit_test_suite(pvvf_order_suite);

MODULE_LICENSE("GPL");
