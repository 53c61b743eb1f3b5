// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf: the per-VF ordering state machine.
 *
 * The rules are the ones a function with its own PASID and PRI capabilities
 * obeys on bare metal, plus the teardown order docs/spec.md 6.8.2 asks for:
 *
 *   - PASID Enable must not change while ATS is enabled (PCIe 7.8.9.3).
 *   - The PRI allocation is set before PRI is enabled and must not change
 *     while it is enabled (PCIe 10.5.2.5).
 *   - PRI reset only while PRI is disabled and stopped (PCIe 10.5.2.2).
 *   - Teardown: PRI disable, wait for stopped, PRI reset, ATS disable,
 *     PASID disable.
 *
 * An operation is bracketed by pvvf_order_begin() and pvvf_order_end().
 * Anything that reaches the VF meanwhile (a host event, a GET_STATE sync)
 * bumps @gen; if it moved, the end cannot know in which order the host saw
 * the two, so the state is marked stale and must be read back.
 */
#include <linux/errno.h>
#include <linux/string.h>

#include "order.h"

void pvvf_order_init(struct pvvf_order *o, const struct pvvf_order_caps *caps)
{
	memset(o, 0, sizeof(*o));
	o->caps = *caps;
	o->pri_stopped = true;
	o->inflight = PVVF_OP_NONE;
}

void pvvf_order_set_caps(struct pvvf_order *o,
			 const struct pvvf_order_caps *caps)
{
	o->caps = *caps;
	o->gen++;
}

/* PRI is fully quiet: disabled and nothing outstanding. */
static bool pvvf_order_pri_idle(const struct pvvf_order *o)
{
	return !o->pri && o->pri_stopped;
}

static int pvvf_order_check_ats(const struct pvvf_order *o, bool enable,
				u32 stu)
{
	if (!enable)
		return !o->ats ? -EALREADY : o->pri ? -EBUSY : 0;
	if (o->ats)
		return -EALREADY;
	if (stu > 31)
		return -EINVAL;
	/*
	 * A VF's STU must equal its PF's (PCIe 10.5.1.3); with the PF's ATS
	 * off there is none to match, as pci_enable_ats() finds on a VF.
	 */
	if (o->caps.ats_stu != stu + 12)
		return -EINVAL;
	return 0;
}

static int pvvf_order_check_pasid(const struct pvvf_order *o, bool enable,
				  u32 features)
{
	if (!o->caps.pasid)
		return -EOPNOTSUPP;
	if (enable) {
		if (features & ~(u32)o->caps.pasid_features)
			return -EINVAL;
		if (o->pasid)
			return -EALREADY;
		if (o->pasid_revoked)
			return -EPERM;
	} else if (!o->pasid && !o->pasid_revoked) {
		return -EALREADY;
	}
	if (o->ats)
		return -EBUSY;
	/* Teardown order: PRI is quiet before PASID goes. */
	if (!enable && !pvvf_order_pri_idle(o))
		return -EBUSY;
	return 0;
}

static int pvvf_order_check_pri(const struct pvvf_order *o, enum pvvf_op op,
				u32 alloc)
{
	if (!o->caps.pri)
		return -EOPNOTSUPP;
	switch (op) {
	case PVVF_OP_PRI_ENABLE:
		if (!alloc)
			return -EINVAL;
		if (o->pri)
			return -EALREADY;
		if (o->pri_revoked)
			return -EPERM;
		if (alloc > o->caps.pri_capacity)
			return -ENOSPC;
		return o->pri_stopped ? 0 : -EBUSY;
	case PVVF_OP_PRI_DISABLE:
		return o->pri || o->pri_revoked ? 0 : -EALREADY;
	default:
		return pvvf_order_pri_idle(o) ? 0 : -EBUSY;
	}
}

/**
 * pvvf_order_check() - may @op run now?
 * @o: the VF's state
 * @op: the operation
 * @arg: its operand (see enum pvvf_op)
 *
 * Return: 0 if allowed; -ENODEV if the VF is gone; -EBUSY if another
 * operation is in flight or the order forbids it now; -EAGAIN during a PF
 * or VF reset; -EALREADY if already in the requested state; -EPERM if the
 * host revoked the PF state; -ENOSPC for a PRI allocation above the PF's
 * capacity; -EOPNOTSUPP if the PF lacks the capability; -EINVAL for a bad
 * operand; -ESTALE if the state must be read back first.
 */
int pvvf_order_check(const struct pvvf_order *o, enum pvvf_op op, u32 arg)
{
	if (o->gone)
		return -ENODEV;
	if (o->inflight != PVVF_OP_NONE)
		return -EBUSY;
	if (op >= PVVF_OP_COUNT)
		return -EINVAL;
	if (o->stale)
		return -ESTALE;
	if (o->pf_reset || o->vf_reset)
		return -EAGAIN;

	switch (op) {
	case PVVF_OP_ATS_ENABLE:
	case PVVF_OP_ATS_DISABLE:
		return pvvf_order_check_ats(o, op == PVVF_OP_ATS_ENABLE, arg);
	case PVVF_OP_PASID_ENABLE:
	case PVVF_OP_PASID_DISABLE:
		return pvvf_order_check_pasid(o, op == PVVF_OP_PASID_ENABLE,
					      arg);
	default:
		return pvvf_order_check_pri(o, op, arg);
	}
}

/* Check @op and mark it in flight. */
int pvvf_order_begin(struct pvvf_order *o, enum pvvf_op op, u32 arg)
{
	int err = pvvf_order_check(o, op, arg);

	if (err)
		return err;
	o->inflight = op;
	o->op_gen = o->gen;
	return 0;
}

static void pvvf_order_apply(struct pvvf_order *o, enum pvvf_op op, u32 arg)
{
	switch (op) {
	case PVVF_OP_ATS_ENABLE:
		o->ats = true;
		o->ats_stu = arg;
		break;
	case PVVF_OP_ATS_DISABLE:
		o->ats = false;
		o->ats_stu = 0;
		break;
	case PVVF_OP_PASID_ENABLE:
		o->pasid = true;
		o->pasid_features = arg;
		break;
	case PVVF_OP_PASID_DISABLE:
		o->pasid = false;
		o->pasid_features = 0;
		o->pasid_revoked = false;
		break;
	case PVVF_OP_PRI_ENABLE:
		o->pri = true;
		o->pri_alloc = arg;
		o->pri_stopped = false;
		break;
	case PVVF_OP_PRI_DISABLE:
		/* Stopped comes later, with PRI_STOPPED or a read-back. */
		o->pri = false;
		o->pri_revoked = false;
		break;
	case PVVF_OP_PRI_RESET:
		o->pri_status = 0;
		break;
	default:
		break;
	}
}

static bool pvvf_order_is_disable(enum pvvf_op op)
{
	return op == PVVF_OP_ATS_DISABLE || op == PVVF_OP_PASID_DISABLE ||
	       op == PVVF_OP_PRI_DISABLE;
}

/* Errors after which the device may or may not have acted. */
static bool pvvf_order_outcome_unknown(int result)
{
	return result == -ETIMEDOUT || result == -EPROTO ||
	       result == -EBADMSG || result == -EIO;
}

/**
 * pvvf_order_end() - apply the device's answer to the operation in flight
 * @o: the VF's state
 * @op: the operation begun with pvvf_order_begin()
 * @arg: its operand
 * @result: 0 or the negative errno the request ended with
 *
 * -EALREADY to a disable is success: the host already had it off.  After a
 * timeout or a malformed reply the state is marked stale.  If an event or
 * sync arrived while the operation was in flight, the state is marked stale
 * instead of applying the result.
 *
 * Return: 0 on success; -ENODEV if the VF went away meanwhile; otherwise
 * @result.
 */
int pvvf_order_end(struct pvvf_order *o, enum pvvf_op op, u32 arg, int result)
{
	if (o->inflight != op)
		return -EINVAL;
	o->inflight = PVVF_OP_NONE;
	if (o->gone)
		return -ENODEV;
	if (result == -EALREADY && pvvf_order_is_disable(op))
		result = 0;
	if (pvvf_order_outcome_unknown(result)) {
		o->stale = true;
		return result;
	}
	if (result)
		return result;
	/*
	 * A disable the host accepted acknowledges a revocation, whatever
	 * arrived meanwhile: the host has it off now, and a read-back cannot
	 * clear the latch (it only sees it off).
	 */
	if (op == PVVF_OP_PASID_DISABLE)
		o->pasid_revoked = false;
	if (op == PVVF_OP_PRI_DISABLE)
		o->pri_revoked = false;
	if (o->gen != o->op_gen)
		o->stale = true;
	else
		pvvf_order_apply(o, op, arg);
	return 0;
}

static void pvvf_order_revoke(struct pvvf_order *o, u32 detail)
{
	if (detail & VIRTIO_PVVF_DETAIL_PASID_REVOKED && o->pasid) {
		o->pasid = false;
		o->pasid_features = 0;
		o->pasid_revoked = true;
	}
	if (detail & VIRTIO_PVVF_DETAIL_PRI_REVOKED && o->pri) {
		o->pri = false;
		o->pri_revoked = true;
	}
}

/**
 * pvvf_order_event() - fold in a host event for this VF
 * @o: the VF's state
 * @evt: a checked event naming this VF's slot
 *
 * Events that docs/spec.md 6.9 answers with GET_STATE mark the state stale.
 */
void pvvf_order_event(struct pvvf_order *o, const struct pvvf_event *evt)
{
	o->gen++;
	switch (evt->type) {
	case VIRTIO_PVVF_EVT_PF_STATE:
		pvvf_order_revoke(o, evt->detail);
		o->stale = true;
		break;
	case VIRTIO_PVVF_EVT_PF_RESET_BEGIN:
		o->pf_reset = true;
		break;
	case VIRTIO_PVVF_EVT_PF_RESET_DONE:
		o->pf_reset = false;
		o->stale = true;
		break;
	case VIRTIO_PVVF_EVT_VF_RESET_BEGIN:
		o->vf_reset = true;
		break;
	case VIRTIO_PVVF_EVT_VF_RESET_DONE:
		o->vf_reset = false;
		o->stale = true;
		break;
	case VIRTIO_PVVF_EVT_PRI_STOPPED:
		/*
		 * Only a hint: one left over from an earlier drain can arrive
		 * during the next (docs/spec.md 6.8.2).  Stopped is confirmed
		 * by pvvf_order_pri_status() or a sync.
		 */
		break;
	case VIRTIO_PVVF_EVT_PF_REMOVED:
		o->gone = true;
		break;
	default:
		/* RESYNC, VF_TABLE: read everything back. */
		o->stale = true;
		break;
	}
}

/**
 * pvvf_order_ack_refused() - the device refused the acknowledgment of a
 *	reset it announced
 * @o: the VF's state
 * @type: the acknowledged event's type
 *
 * EVENT_ACK refused with EINVAL means no event awaits it (docs/spec.md
 * 6.1.1, 6.9.3): the device has no such reset waiting on this driver,
 * because the event was not true or the reset's deadline passed.
 * GET_STATE reports a PF reset in progress but not a VF reset, so a VF
 * reset is forgotten here, and the state is marked stale so that the PF
 * reset flag is read back.  A *_RESET_DONE still to come changes nothing
 * more.
 *
 * Return: true if @type is a reset's beginning, whose state was dropped.
 */
bool pvvf_order_ack_refused(struct pvvf_order *o, u16 type)
{
	switch (type) {
	case VIRTIO_PVVF_EVT_VF_RESET_BEGIN:
		o->vf_reset = false;
		break;
	case VIRTIO_PVVF_EVT_PF_RESET_BEGIN:
		break;
	default:
		return false;
	}
	o->gen++;
	o->stale = true;
	return true;
}

/**
 * pvvf_order_sync() - replace the state with what GET_STATE returned
 * @o: the VF's state
 * @st: the checked state
 *
 * A revocation stays latched until the consumer disables; state the host
 * dropped while the driver's view was certain counts as revoked; the PF
 * reset flag follows the host.
 */
void pvvf_order_sync(struct pvvf_order *o, const struct pvvf_vf_state *st)
{
	bool pasid = st->flags & VIRTIO_PVVF_ST_PASID;
	bool pri = st->flags & VIRTIO_PVVF_ST_PRI;

	o->gen++;
	if (!(st->flags & VIRTIO_PVVF_ST_PRESENT) ||
	    st->flags & VIRTIO_PVVF_ST_PF_GONE) {
		o->gone = true;
		return;
	}
	/*
	 * Enabled here, off at the host, and nothing of ours in flight or
	 * unknown: the host took it away (a device reset, a restore).
	 */
	if (!o->stale && o->inflight == PVVF_OP_NONE) {
		o->pasid_revoked |= o->pasid && !pasid;
		o->pri_revoked |= o->pri && !pri;
	}
	o->ats = st->flags & VIRTIO_PVVF_ST_ATS;
	o->ats_stu = o->ats ? st->ats_stu : 0;
	o->pasid = pasid;
	o->pasid_features = st->pasid_features;
	o->pri = pri;
	o->pri_alloc = st->pri_alloc;
	o->pri_stopped = !o->pri && (st->pri_status & VIRTIO_PVVF_PRI_STOPPED);
	o->pri_status = st->pri_status &
			(VIRTIO_PVVF_PRI_RF | VIRTIO_PVVF_PRI_UPRGI);
	o->pf_reset = st->flags & VIRTIO_PVVF_ST_PF_RESET;
	if (o->pasid)
		o->pasid_revoked = false;
	if (o->pri)
		o->pri_revoked = false;
	o->stale = false;
}

/**
 * pvvf_order_pri_status() - fold in a PRI_STATUS read-back
 * @o: the VF's state
 * @status: VIRTIO_PVVF_PRI_* bits the host reported
 *
 * Return: true if PRI is now known to be stopped.
 */
bool pvvf_order_pri_status(struct pvvf_order *o, u16 status)
{
	o->gen++;
	o->pri_status = status & (VIRTIO_PVVF_PRI_RF | VIRTIO_PVVF_PRI_UPRGI);
	if (!o->pri && status & VIRTIO_PVVF_PRI_STOPPED)
		o->pri_stopped = true;
	return !o->pri && o->pri_stopped;
}

/* The VF went away: every later operation fails with -ENODEV. */
void pvvf_order_detach(struct pvvf_order *o)
{
	o->gone = true;
	o->gen++;
}

/**
 * pvvf_order_check_stopped() - has PRI stopped?
 * @o: the VF's state
 *
 * Return: 0 if stopped; -EBUSY if PRI is still enabled (it would never
 * stop); -ENODEV if the VF is gone; -ESTALE if the state must be read back
 * first; -EINPROGRESS while draining.
 */
int pvvf_order_check_stopped(const struct pvvf_order *o)
{
	if (o->gone)
		return -ENODEV;
	if (o->stale)
		return -ESTALE;
	if (o->pri)
		return -EBUSY;
	return o->pri_stopped ? 0 : -EINPROGRESS;
}

const char *pvvf_order_op_name(enum pvvf_op op)
{
	static const char * const names[PVVF_OP_COUNT] = {
		[PVVF_OP_ATS_ENABLE] = "ats_enable",
		[PVVF_OP_ATS_DISABLE] = "ats_disable",
		[PVVF_OP_PASID_ENABLE] = "pasid_enable",
		[PVVF_OP_PASID_DISABLE] = "pasid_disable",
		[PVVF_OP_PRI_ENABLE] = "pri_enable",
		[PVVF_OP_PRI_DISABLE] = "pri_disable",
		[PVVF_OP_PRI_RESET] = "pri_reset",
	};

	return op < PVVF_OP_COUNT ? names[op] : "none";
}
