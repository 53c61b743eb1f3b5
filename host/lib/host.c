// SPDX-License-Identifier: BSD-3-Clause
/*
 * Host-side PF events: what happens when the PF changes under pvvf (host
 * disabled PASID or PRI, ATS changed, page requests completed), when the
 * host resets the PF, and when the PF goes away.  Every change of shared
 * state a VF relied on becomes an event for the guest owning that VF.
 */
#include <errno.h>
#include <linux/pci_regs.h>

#include "core_int.h"

static void pvvf_host_log(struct pvvf_pf *pf, const char *action, uint32_t n)
{
	pvvf_log(pf->core, "host pf=0x%llx action=%s vfs=%u",
		 (unsigned long long)pf->id, action, n);
}

/* ---- revocation ---- */

/* The host turned the PF's PASID off: every VF reference is gone. */
static void pvvf_pf_pasid_revoke(struct pvvf_pf *pf)
{
	uint32_t n = 0;

	pvvf_pf_touch_guests(pf);
	for (uint32_t i = 0; i < pf->caps.num_vfs; i++) {
		struct pvvf_vf *vf = &pf->vfs[i];

		if (!vf->pasid)
			continue;
		vf->pasid = false;
		vf->pasid_features = 0;
		pvvf_evq_push_vf(vf, VIRTIO_PVVF_EVT_PF_STATE, 0,
				 VIRTIO_PVVF_DETAIL_PASID_REVOKED);
		n++;
	}
	pf->pasid_refs = 0;
	pf->pvvf_owner = false;
	pf->pasid_deferred = false;
	pf->pasid_revoked = true;
	pvvf_host_log(pf, "pasid_revoked", n);
}

/*
 * Someone else wrote the PF's PASID Control.  An Enable pvvf did not make
 * makes the host an owner; a disable while VFs relied on it revokes them.
 */
static void pvvf_pf_pasid_changed(struct pvvf_pf *pf)
{
	uint16_t ctrl;
	bool was_on = pf->pasid_ctrl & PCI_PASID_CTRL_ENABLE;

	if (pf->ops->pasid_ctrl_read(pf->ctx, &ctrl))
		return;
	pf->pasid_ctrl = ctrl;
	if (ctrl & PCI_PASID_CTRL_ENABLE) {
		pf->host_owner = true;
		pf->pasid_revoked = false;
		pvvf_pf_pasid_settle(pf);
		if (!was_on)
			pvvf_pf_touch_guests(pf);
		return;
	}
	pf->host_owner = false;
	if (pf->pasid_refs || pf->pvvf_owner)
		pvvf_pf_pasid_revoke(pf);
	else if (was_on)
		pvvf_pf_touch_guests(pf);
}

/* The host turned the PF's PRI off: every VF's PRI is stopped for it. */
static void pvvf_pf_pri_revoke(struct pvvf_pf *pf)
{
	uint32_t n = 0;

	pvvf_pf_touch_guests(pf);
	for (uint32_t i = 0; i < pf->caps.num_vfs; i++) {
		struct pvvf_vf *vf = &pf->vfs[i];
		bool draining = vf->pri_draining;

		if (!vf->pri_enabled && !draining)
			continue;
		pf->ops->vf_pri_gate(pf->ctx, vf->index, 0);
		pf->ops->vf_pri_abort(pf->ctx, vf->index);
		if (draining)
			pvvf_link_del(&vf->drain_link);
		vf->pri_enabled = false;
		vf->pri_draining = false;
		vf->pri_held = 0;
		pvvf_evq_push_vf(vf, VIRTIO_PVVF_EVT_PF_STATE, 0,
				 VIRTIO_PVVF_DETAIL_PRI_REVOKED);
		if (draining)
			pvvf_evq_push_vf(vf, VIRTIO_PVVF_EVT_PRI_STOPPED, 0, 0);
		n++;
	}
	pf->pri_on = false;
	pf->pri_users = 0;
	pf->pri_free = pf->caps.pri_capacity;
	pf->pri_revoked = true;
	pvvf_host_log(pf, "pri_revoked", n);
}

static void pvvf_pf_pri_changed(struct pvvf_pf *pf)
{
	uint16_t ctrl, status;

	if (pf->ops->pri_read(pf->ctx, &ctrl, &status))
		return;
	if (pf->pri_on && !(ctrl & PCI_PRI_CTRL_ENABLE))
		pvvf_pf_pri_revoke(pf);
	pf->pri_host = !pf->pri_on && (ctrl & PCI_PRI_CTRL_ENABLE);
}

static void pvvf_vf_note(struct pvvf_pf *pf, enum pvvf_pf_note note, uint16_t i)
{
	struct pvvf_vf *vf;

	if (i >= pf->caps.num_vfs)
		return;
	vf = &pf->vfs[i];
	if (note == PVVF_PF_NOTE_PRQ_DONE) {
		pvvf_vf_drain_check(vf);
		return;
	}
	vf->pri_faults |= pf->ops->vf_pri_faults(pf->ctx, i) &
			  (VIRTIO_PVVF_PRI_RF | VIRTIO_PVVF_PRI_UPRGI);
}

/* ---- removal ---- */

static void pvvf_pf_gone(struct pvvf_pf *pf)
{
	uint32_t n = 0;

	pf->gone = true;
	pvvf_pf_touch_guests(pf);
	for (uint32_t i = 0; i < pf->caps.num_vfs; i++) {
		struct pvvf_vf *vf = &pf->vfs[i];

		pvvf_vf_forget(vf);
		if (!vf->owner)
			continue;
		pvvf_evq_push_vf(vf, VIRTIO_PVVF_EVT_PF_REMOVED, 0, 0);
		n++;
	}
	pf->pasid_refs = 0;
	pf->pasid_ctrl = 0;
	pf->pvvf_owner = pf->host_owner = pf->pasid_deferred = false;
	pf->pri_on = pf->pri_host = false;
	pf->pri_users = 0;
	pf->pri_free = 0;
	pf->ats_vfs = 0;
	pf->reset_pending = false;
	pf->reset_acks = 0;
	pvvf_host_log(pf, "removed", n);
}

/* The back-end's notify function; @cookie is the struct pvvf_pf. */
void pvvf_pf_note(void *cookie, enum pvvf_pf_note note, uint16_t vf_index)
{
	struct pvvf_pf *pf = cookie;

	if (pf->gone)
		return;
	switch (note) {
	case PVVF_PF_NOTE_PRQ_DONE:
	case PVVF_PF_NOTE_PRI_FAULT:
		pvvf_vf_note(pf, note, vf_index);
		break;
	case PVVF_PF_NOTE_PASID:
		pvvf_pf_pasid_changed(pf);
		break;
	case PVVF_PF_NOTE_PRI:
		pvvf_pf_pri_changed(pf);
		break;
	case PVVF_PF_NOTE_ATS:
		if (pf->pasid_deferred)
			pvvf_pf_pasid_settle(pf);
		break;
	case PVVF_PF_NOTE_RESET_REQ:
		pvvf_pf_reset(pf);
		break;
	case PVVF_PF_NOTE_REMOVED:
		pvvf_pf_gone(pf);
		break;
	case PVVF_PF_NOTE_VF_RESET_REQ:
		pvvf_pf_vf_reset(pf, vf_index);
		break;
	}
}

/* ---- PF reset ---- */

/*
 * Tell every guest holding a VF of the PF, and wait for each to
 * acknowledge (or the deadline), so cooperative drivers quiesce first.
 */
int pvvf_pf_reset(struct pvvf_pf *pf)
{
	if (pf->gone)
		return -ENODEV;
	if (pf->reset_pending)
		return -EALREADY;
	pf->reset_pending = true;
	pf->reset_acks = 0;
	pf->reset_deadline = pf->core->now + pf->core->p.reset_ack_timeout_ns;
	pvvf_pf_touch_guests(pf);
	for (uint32_t i = 0; i < pf->caps.num_vfs; i++) {
		struct pvvf_vf *vf = &pf->vfs[i];

		if (!vf->owner || !vf->owner->connected)
			continue;
		vf->ack_wait |= PVVF_ACK_PF_RESET;
		vf->ack_seq_valid &= ~PVVF_ACK_PF_RESET;
		pf->reset_acks++;
		pvvf_evq_push_vf(vf, VIRTIO_PVVF_EVT_PF_RESET_BEGIN,
				 VIRTIO_PVVF_EVT_F_ACK, 0);
	}
	pvvf_host_log(pf, "reset_begin", pf->reset_acks);
	if (pf->reset_acks == 0)
		pvvf_pf_reset_run(pf);
	return 0;
}

/* A VF no longer waits (its guest acked or left); maybe reset now. */
static void pvvf_pf_ack_clear(struct pvvf_vf *vf)
{
	struct pvvf_pf *pf = vf->pf;

	vf->ack_wait &= ~PVVF_ACK_PF_RESET;
	vf->ack_seq_valid &= ~PVVF_ACK_PF_RESET;
	if (pf->reset_acks)
		pf->reset_acks--;
}

void pvvf_pf_reset_ack(struct pvvf_vf *vf)
{
	if (!(vf->ack_wait & PVVF_ACK_PF_RESET))
		return;
	pvvf_pf_ack_clear(vf);
	if (vf->pf->reset_pending && vf->pf->reset_acks == 0)
		pvvf_pf_reset_run(vf->pf);
}

/* Releasing a VF: it waits for nothing any more (the reset runs at tick). */
void pvvf_pf_ack_drop(struct pvvf_vf *vf)
{
	if (vf->ack_wait & PVVF_ACK_PF_RESET)
		pvvf_pf_ack_clear(vf);
}

/*
 * The reset itself: a PF FLR also resets every VF, so all virtual state
 * goes back to power-on; then every guest holding a VF hears it is done.
 */
void pvvf_pf_reset_run(struct pvvf_pf *pf)
{
	uint16_t ctrl = 0;
	uint32_t n = 0;

	for (uint32_t i = 0; i < pf->caps.num_vfs; i++)
		pvvf_vf_forget(&pf->vfs[i]);
	pf->reset_pending = false;
	pf->reset_acks = 0;
	if (pf->ops->reset(pf->ctx))
		pvvf_host_log(pf, "reset_failed", 0);
	if (pf->caps.pasid && pf->ops->pasid_ctrl_read(pf->ctx, &ctrl))
		ctrl = 0;
	pf->pasid_ctrl = ctrl;
	pf->host_owner = ctrl & PCI_PASID_CTRL_ENABLE;
	pf->pvvf_owner = pf->pasid_deferred = pf->pasid_revoked = false;
	pf->pasid_refs = 0;
	pf->pri_on = pf->pri_revoked = pf->pri_host = false;
	pf->pri_users = 0;
	pf->pri_free = pf->caps.pri_capacity;
	pf->ats_vfs = 0;
	pvvf_pf_touch_guests(pf);
	for (uint32_t i = 0; i < pf->caps.num_vfs; i++) {
		if (!pf->vfs[i].owner)
			continue;
		pvvf_evq_push_vf(&pf->vfs[i], VIRTIO_PVVF_EVT_PF_RESET_DONE, 0, 0);
		n++;
	}
	pvvf_host_log(pf, "reset_done", n);
}

/* ---- VF reset (a host FLR of one VF) ---- */

/*
 * Like a PF reset, but for one VF: its owner hears VF_RESET_BEGIN and
 * may quiesce and acknowledge first; no other VF is touched.
 */
int pvvf_pf_vf_reset(struct pvvf_pf *pf, uint16_t vf_index)
{
	struct pvvf_vf *vf;

	if (pf->gone)
		return -ENODEV;
	if (vf_index >= pf->caps.num_vfs)
		return -ENOENT;
	vf = &pf->vfs[vf_index];
	if (vf->ack_wait & PVVF_ACK_VF_RESET)
		return -EALREADY;
	pvvf_log(pf->core, "host pf=0x%llx action=vf_reset_begin vf=%u",
		 (unsigned long long)pf->id, vf_index);
	if (!vf->owner || !vf->owner->connected) {
		pvvf_vf_reset_run(vf);
		return 0;
	}
	vf->ack_wait |= PVVF_ACK_VF_RESET;
	vf->ack_seq_valid &= ~PVVF_ACK_VF_RESET;
	vf->vf_reset_deadline = pf->core->now + pf->core->p.reset_ack_timeout_ns;
	pvvf_link_add_tail(&pf->core->vf_resets, &vf->vf_reset_link);
	pvvf_evq_push_vf(vf, VIRTIO_PVVF_EVT_VF_RESET_BEGIN, VIRTIO_PVVF_EVT_F_ACK, 0);
	return 0;
}

/* The VF no longer waits for its ack (acked, deadline, or released). */
void pvvf_vf_reset_cancel(struct pvvf_vf *vf)
{
	if (!(vf->ack_wait & PVVF_ACK_VF_RESET))
		return;
	vf->ack_wait &= ~PVVF_ACK_VF_RESET;
	vf->ack_seq_valid &= ~PVVF_ACK_VF_RESET;
	pvvf_link_del(&vf->vf_reset_link);
}

/*
 * The FLR resets the VF's own state: page requests answered, PRI off and
 * stopped, ATS off, PASID reference dropped, in teardown order.
 */
void pvvf_vf_reset_run(struct pvvf_vf *vf)
{
	pvvf_vf_reset_cancel(vf);
	if (vf->pf->gone)
		return;
	pvvf_vf_teardown(vf);
	pvvf_log(vf->pf->core, "host pf=0x%llx action=vf_reset_done vf=%u",
		 (unsigned long long)vf->pf->id, vf->index);
	pvvf_evq_push_vf(vf, VIRTIO_PVVF_EVT_VF_RESET_DONE, 0, 0);
}

void pvvf_vf_reset_ack(struct pvvf_vf *vf)
{
	if (vf->ack_wait & PVVF_ACK_VF_RESET)
		pvvf_vf_reset_run(vf);
}
