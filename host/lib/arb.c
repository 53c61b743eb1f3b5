// SPDX-License-Identifier: BSD-3-Clause
/*
 * PF arbitration: the rules for the state all VFs of a PF share.
 *
 * PCIe says a VF implements neither PASID (7.8.9) nor PRI (10.5.2): both
 * are the PF's, shared by every VF.  Each VF gets a virtual PASID and PRI
 * state here; the PF's real bits follow the union of what the VFs need,
 * and the per-VF PRI stop and reset are emulated faithfully with a page
 * request gate per VF (as VT-d does in the context entry).
 *
 * Every function checks before it changes anything, so a request that is
 * refused leaves no trace.
 */
#include <errno.h>
#include <linux/pci_regs.h>

#include "core_int.h"

static struct pvvf_verdict pvvf_io_fail(void)
{
	return PVVF_FAIL(EIO, PF_IO);
}

/* ---- PASID (PCIe 6.20, 7.8.9) ---- */

static bool pvvf_pf_pasid_on(const struct pvvf_pf *pf)
{
	return pf->pasid_ctrl & PCI_PASID_CTRL_ENABLE;
}

/*
 * What a VF may ask for: the PF's capability while the PF bit is off, and
 * exactly what is enabled while it is on (the bits cannot change then).
 */
uint8_t pvvf_pf_pasid_available(const struct pvvf_pf *pf)
{
	uint16_t have = pvvf_pf_pasid_on(pf) ? pf->pasid_ctrl : pf->caps.pasid_features;

	return have & VIRTIO_PVVF_PASID_MASK;
}

/*
 * 7.8.9.3: PASID Enable must not change while ATS is enabled; since the
 * PF's bit is every VF's, "ATS enabled" means on any function of the PF.
 */
static bool pvvf_pf_ats_blocks(const struct pvvf_pf *pf)
{
	if (pvvf_fault(PVVF_FAULT_IGNORE_ATS))
		return false;
	return pf->ops->ats_any(pf->ctx);
}

static int pvvf_pf_pasid_write(struct pvvf_pf *pf, uint16_t ctrl)
{
	int err = pf->ops->pasid_ctrl_write(pf->ctx, ctrl);

	if (err)
		return err;
	pf->pasid_ctrl = ctrl;
	pvvf_log(pf->core, "host pf=0x%llx action=pasid_%s ctrl=0x%x",
		 (unsigned long long)pf->id, ctrl ? "on" : "off", ctrl);
	pvvf_pf_touch_guests(pf);
	return 0;
}

/*
 * Turn the PF bit off once nobody needs it: only if pvvf turned it on (the
 * host's enable is never fought), and only while no function has ATS on;
 * otherwise remember to do it when ATS goes off.
 */
void pvvf_pf_pasid_settle(struct pvvf_pf *pf)
{
	if (pf->gone || pf->pasid_refs || !pf->pvvf_owner || pf->host_owner) {
		pf->pasid_deferred = false;
		if (pf->host_owner)
			pf->pvvf_owner = false;
		return;
	}
	if (pvvf_pf_ats_blocks(pf)) {
		pf->pasid_deferred = true;
		return;
	}
	if (pvvf_pf_pasid_write(pf, 0))
		return;		/* stays owned; retried at the next settle */
	pf->pvvf_owner = false;
	pf->pasid_deferred = false;
}

static struct pvvf_verdict pvvf_pasid_enable_check(struct pvvf_vf *vf, uint8_t features)
{
	struct pvvf_pf *pf = vf->pf;

	if (!pf->caps.pasid)
		return PVVF_FAIL(EOPNOTSUPP, PF_UNSUPPORTED);
	if (vf->pasid)
		return PVVF_FAIL(EALREADY, NONE);
	if (features & ~pvvf_pf_pasid_available(pf))
		return PVVF_FAIL(EOPNOTSUPP, PF_UNSUPPORTED);
	if (vf->ats)
		return PVVF_FAIL(EBUSY, VF_ATS);
	if (pf->pasid_revoked)
		return PVVF_FAIL(EPERM, REVOKED);
	if (!pvvf_pf_pasid_on(pf) && pvvf_pf_ats_blocks(pf))
		return PVVF_FAIL(EBUSY, PF_ATS);
	return PVVF_OK;
}

struct pvvf_verdict pvvf_vf_pasid_enable(struct pvvf_vf *vf, uint8_t features)
{
	struct pvvf_pf *pf = vf->pf;
	struct pvvf_verdict v = pvvf_pasid_enable_check(vf, features);

	if (v.status)
		return v;
	if (!pvvf_pf_pasid_on(pf)) {
		uint16_t ctrl = PCI_PASID_CTRL_ENABLE | pf->caps.pasid_features;
		int err = pvvf_pf_pasid_write(pf, ctrl);

		/* the back-end may not write it: a host driver owns the PF */
		if (err == -EPERM)
			return PVVF_FAIL(EPERM, REVOKED);
		if (err)
			return pvvf_io_fail();
		pf->pvvf_owner = true;
	}
	pf->pasid_deferred = false;
	pf->pasid_refs++;
	vf->pasid = true;
	vf->pasid_features = features;
	return PVVF_OK;
}

static void pvvf_vf_pasid_drop(struct pvvf_vf *vf)
{
	vf->pasid = false;
	vf->pasid_features = 0;
	vf->pf->pasid_refs--;
	pvvf_pf_pasid_settle(vf->pf);
}

struct pvvf_verdict pvvf_vf_pasid_disable(struct pvvf_vf *vf)
{
	if (!vf->pasid)
		return PVVF_OK;		/* disabling what is off changes nothing */
	if (vf->ats)
		return PVVF_FAIL(EBUSY, VF_ATS);
	pvvf_vf_pasid_drop(vf);
	return PVVF_OK;
}

/* ---- ATS (PCIe 10.5.1): the VF's own capability ---- */

static struct pvvf_verdict pvvf_ats_on(struct pvvf_vf *vf, uint8_t stu)
{
	struct pvvf_pf *pf = vf->pf;

	if (!pf->caps.vf_ats)
		return PVVF_FAIL(EOPNOTSUPP, PF_UNSUPPORTED);
	if (vf->ats)
		return PVVF_FAIL(EALREADY, NONE);
	/* @stu is the 5-bit STU field; the PF's is kept as a page shift. */
	if (stu > PCI_ATS_CTRL_STU(0xff))
		return PVVF_FAIL(EINVAL, BAD_VALUE);
	/* 10.5.1.3: a VF uses the PF's Smallest Translation Unit. */
	if (!pf->caps.ats_stu || stu + PCI_ATS_MIN_STU != pf->caps.ats_stu)
		return PVVF_FAIL(EINVAL, STU);
	if (pf->ops->vf_ats_sync(pf->ctx, vf->index, true, stu))
		return PVVF_FAIL(EINVAL, BAD_VALUE);
	vf->ats = true;
	vf->ats_stu = stu;
	pf->ats_vfs++;
	return PVVF_OK;
}

static void pvvf_ats_off(struct pvvf_vf *vf)
{
	struct pvvf_pf *pf = vf->pf;

	if (!vf->ats)
		return;
	if (!pf->gone)
		pf->ops->vf_ats_sync(pf->ctx, vf->index, false, 0);
	vf->ats = false;
	vf->ats_stu = 0;
	pf->ats_vfs--;
	if (pf->pasid_deferred)
		pvvf_pf_pasid_settle(pf);
}

struct pvvf_verdict pvvf_vf_ats_set(struct pvvf_vf *vf, bool enable, uint8_t stu)
{
	if (enable)
		return pvvf_ats_on(vf, stu);
	pvvf_ats_off(vf);
	return PVVF_OK;
}

/* ---- PRI (PCIe 10.4, 10.5.2) ---- */

static bool pvvf_pri_used(const struct pvvf_vf *vf)
{
	return vf->pri_enabled || vf->pri_draining;
}

uint32_t pvvf_vf_pri_outstanding(const struct pvvf_vf *vf)
{
	if (vf->pf->gone || !vf->pf->caps.pri)
		return 0;
	return vf->pf->ops->vf_pri_outstanding(vf->pf->ctx, vf->index);
}

/* 10.5.2.3: Stopped is set when disabled and nothing is outstanding. */
uint16_t pvvf_vf_pri_status(const struct pvvf_vf *vf)
{
	uint16_t st = vf->pri_faults;

	if (!pvvf_pri_used(vf))
		st |= VIRTIO_PVVF_PRI_STOPPED;
	if (vf->pf->caps.pri_pasid_required)
		st |= VIRTIO_PVVF_PRI_PASID;
	return st;
}

/*
 * First user: reset the PF's PRI (allowed, it is disabled), set the
 * allocation to the whole pool, then enable (10.5.2.5: the allocation is
 * written before Enable and never while it is set).
 */
static int pvvf_pf_pri_start(struct pvvf_pf *pf)
{
	const struct pvvf_pf_ops *ops = pf->ops;
	uint16_t ctrl, status;
	int err;

	err = ops->pri_read(pf->ctx, &ctrl, &status);
	if (err)
		return err;
	/* Enabled by the host itself: its allocation is not pvvf's to set. */
	if (ctrl & PCI_PRI_CTRL_ENABLE) {
		pf->pri_host = true;
		return -EPERM;
	}
	err = ops->pri_ctrl_write(pf->ctx, PCI_PRI_CTRL_RESET);
	if (!err)
		err = ops->pri_alloc_write(pf->ctx, pf->caps.pri_capacity);
	if (!err)
		err = ops->pri_ctrl_write(pf->ctx, PCI_PRI_CTRL_ENABLE);
	if (err)
		return err;
	pf->pri_on = true;
	pvvf_log(pf->core, "host pf=0x%llx action=pri_on alloc=%u",
		 (unsigned long long)pf->id, pf->caps.pri_capacity);
	pvvf_pf_touch_guests(pf);
	return 0;
}

/* Last user stopped: the PF's PRI goes off (its own drain is empty). */
static void pvvf_pf_pri_stop(struct pvvf_pf *pf)
{
	if (!pf->pri_on || pf->gone)
		return;
	pf->ops->pri_ctrl_write(pf->ctx, 0);
	pf->pri_on = false;
	pvvf_log(pf->core, "host pf=0x%llx action=pri_off", (unsigned long long)pf->id);
	pvvf_pf_touch_guests(pf);
}

/* Nobody uses the PF's PRI that pvvf turned on: turn it off. */
void pvvf_pf_pri_settle(struct pvvf_pf *pf)
{
	if (pf->pri_users == 0)
		pvvf_pf_pri_stop(pf);
}

static struct pvvf_verdict pvvf_pri_enable_check(struct pvvf_vf *vf, uint32_t alloc)
{
	struct pvvf_pf *pf = vf->pf;

	if (!pf->caps.pri)
		return PVVF_FAIL(EOPNOTSUPP, PF_UNSUPPORTED);
	if (vf->pri_enabled)
		return PVVF_FAIL(EALREADY, NONE);
	if (alloc == 0 || alloc > pf->caps.pri_capacity)
		return PVVF_FAIL(EINVAL, BAD_VALUE);
	if (vf->pri_draining)
		return PVVF_FAIL(EBUSY, NOT_STOPPED);
	if (pf->pri_revoked)
		return PVVF_FAIL(EPERM, REVOKED);
	if (alloc > pf->pri_free && !pvvf_fault(PVVF_FAULT_NO_POOL_CHECK))
		return PVVF_FAIL(ENOSPC, POOL);
	return PVVF_OK;
}

struct pvvf_verdict pvvf_vf_pri_enable(struct pvvf_vf *vf, uint32_t alloc)
{
	struct pvvf_pf *pf = vf->pf;
	struct pvvf_verdict v = pvvf_pri_enable_check(vf, alloc);

	if (v.status)
		return v;
	if (pvvf_fault(PVVF_FAULT_PRI_REALLOC) && pf->pri_on)
		pf->ops->pri_alloc_write(pf->ctx, pf->caps.pri_capacity);
	if (!pf->pri_on) {
		int err = pvvf_pf_pri_start(pf);

		if (err == -EPERM)
			return PVVF_FAIL(EPERM, REVOKED);
		if (err)
			return pvvf_io_fail();
	}
	if (pf->ops->vf_pri_gate(pf->ctx, vf->index, alloc)) {
		if (pf->pri_users == 0)
			pvvf_pf_pri_stop(pf);
		return pvvf_io_fail();
	}
	pf->pri_free = alloc > pf->pri_free ? 0 : pf->pri_free - alloc;
	pf->pri_users++;
	vf->pri_enabled = true;
	vf->pri_alloc = alloc;
	vf->pri_held = alloc;
	return PVVF_OK;
}

/* The drain is over: the allocation returns to the pool; say "stopped". */
static void pvvf_vf_pri_stopped(struct pvvf_vf *vf)
{
	struct pvvf_pf *pf = vf->pf;

	if (vf->pri_draining)
		pvvf_link_del(&vf->drain_link);
	vf->pri_draining = false;
	pf->pri_free += vf->pri_held;
	vf->pri_held = 0;
	pf->pri_users--;
	/* Stop the PF first: the event carries the epoch after the change. */
	if (pf->pri_users == 0)
		pvvf_pf_pri_stop(pf);
	pvvf_evq_push_vf(vf, VIRTIO_PVVF_EVT_PRI_STOPPED, 0, 0);
}

/*
 * 10.5.2.2: clearing Enable stops new page requests; those outstanding
 * still complete.  Stopped is reported only once none is left.
 */
static void pvvf_vf_pri_off(struct pvvf_vf *vf)
{
	struct pvvf_pf *pf = vf->pf;

	pf->ops->vf_pri_gate(pf->ctx, vf->index, 0);
	vf->pri_enabled = false;
	if (pvvf_vf_pri_outstanding(vf) == 0) {
		pvvf_vf_pri_stopped(vf);
		return;
	}
	vf->pri_draining = true;
	vf->drain_deadline = pf->core->now + pf->core->p.drain_timeout_ns;
	pvvf_link_add_tail(&pf->core->drains, &vf->drain_link);
}

struct pvvf_verdict pvvf_vf_pri_disable(struct pvvf_vf *vf)
{
	if (vf->pri_enabled)
		pvvf_vf_pri_off(vf);
	return PVVF_OK;
}

/* A page request of a draining VF completed: maybe it is stopped now. */
void pvvf_vf_drain_check(struct pvvf_vf *vf)
{
	if (vf->pri_draining && pvvf_vf_pri_outstanding(vf) == 0)
		pvvf_vf_pri_stopped(vf);
}

/* Deadline: answer what is still outstanding, so the drain is bounded. */
void pvvf_vf_drain_expire(struct pvvf_vf *vf)
{
	struct pvvf_pf *pf = vf->pf;

	if (!vf->pri_draining)
		return;
	pf->ops->vf_pri_abort(pf->ctx, vf->index);
	pvvf_log(pf->core, "host pf=0x%llx action=drain_abort vf=%u",
		 (unsigned long long)pf->id, vf->index);
	pvvf_vf_pri_stopped(vf);
}

/* 10.5.2.2: Reset clears the error bits; only while disabled and stopped. */
struct pvvf_verdict pvvf_vf_pri_reset(struct pvvf_vf *vf)
{
	if (!vf->pf->caps.pri)
		return PVVF_FAIL(EOPNOTSUPP, PF_UNSUPPORTED);
	if (vf->pri_enabled)
		return PVVF_FAIL(EBUSY, PRI_ENABLED);
	if (vf->pri_draining)
		return PVVF_FAIL(EBUSY, NOT_STOPPED);
	vf->pri_faults = 0;
	return PVVF_OK;
}

/* ---- teardown ---- */

/*
 * Give up everything the VF holds, in the order of an orderly teardown:
 * PRI disable, drain (deadline now), PRI reset, ATS off, PASID disable.
 */
void pvvf_vf_teardown(struct pvvf_vf *vf)
{
	pvvf_vf_pri_disable(vf);
	pvvf_vf_drain_expire(vf);
	vf->pri_faults = 0;
	pvvf_ats_off(vf);
	if (vf->pasid)
		pvvf_vf_pasid_drop(vf);
}

/* The VF leaves its guest (or the guest leaves): it waits for nothing. */
void pvvf_vf_release(struct pvvf_vf *vf)
{
	if (vf->pf->gone) {
		pvvf_vf_forget(vf);
		return;
	}
	pvvf_pf_ack_drop(vf);
	pvvf_vf_reset_cancel(vf);
	pvvf_vf_teardown(vf);
}

/*
 * Drop the VF's virtual state without touching the PF (it was reset or
 * removed, so the registers already say "off").
 */
void pvvf_vf_forget(struct pvvf_vf *vf)
{
	if (vf->pri_draining)
		pvvf_link_del(&vf->drain_link);
	vf->pri_enabled = false;
	vf->pri_draining = false;
	vf->pri_held = 0;
	vf->pri_faults = 0;
	vf->ats = false;
	vf->ats_stu = 0;
	vf->pasid = false;
	vf->pasid_features = 0;
	pvvf_vf_reset_cancel(vf);
	vf->ack_wait = 0;
	vf->ack_seq_valid = 0;
}
