// SPDX-License-Identifier: BSD-3-Clause
/*
 * Restart: what a daemon journals so that the next instance can take over
 * the references a crashed one held, and taking them back.
 *
 * The PF's registers are the truth, the journal a claim to check against
 * them: a PF enable found set that the journal does not say was the
 * host's is pvvf's (pvvf_pf_read_owners, core.c); a VF enable whose PF
 * bit is off is dropped and reported as revoked; a saved state no request
 * could have produced is refused.  Nothing is programmed until every
 * guest is restored (pvvf_core_restore_done), so gates are closed before
 * others are opened and no PF bit is dropped while a later guest still
 * needs it.  See docs/design.md, "Restart and reconciliation".
 */
#include <errno.h>
#include <linux/pci_regs.h>

#include "core_int.h"

/* ---- saving ---- */

void pvvf_pf_get_saved(const struct pvvf_pf *pf, struct pvvf_pf_saved *o)
{
	o->pasid_host = pf->host_owner;
	o->pri_host = pf->pri_host;
	o->pasid_revoked = pf->pasid_revoked;
	o->pri_revoked = pf->pri_revoked;
	o->reset_pending = pf->reset_pending || pf->reset_redo;
}

void pvvf_guest_get_saved(const struct pvvf_guest *g, struct pvvf_guest_saved *o)
{
	o->connected = g->connected;
	o->acked = g->acked;
	o->epoch = g->epoch;
	o->next_seq = g->next_seq;
}

int pvvf_guest_get_vf_saved(const struct pvvf_guest *g, uint32_t slot,
			    struct pvvf_vf_saved *o)
{
	const struct pvvf_vf *vf = pvvf_guest_slot_vf(g, slot);

	if (!vf)
		return -ENODEV;
	o->ats = vf->ats;
	o->ats_stu = vf->ats_stu;
	o->pasid = vf->pasid;
	o->pasid_features = vf->pasid_features;
	o->pri_enabled = vf->pri_enabled;
	o->pri_draining = vf->pri_draining;
	o->pri_faults = vf->pri_faults;
	o->pri_alloc = vf->pri_alloc;
	o->pri_held = vf->pri_held;
	o->reset_pending = (vf->ack_wait & PVVF_ACK_VF_RESET) || vf->reset_redo;
	return 0;
}

/* ---- guests ---- */

int pvvf_guest_restore(struct pvvf_guest *g, const struct pvvf_guest_saved *s,
		       uint64_t grace_ns)
{
	struct pvvf_core *core = g->core;

	if (g->connected)
		return -EBUSY;
	if (s->acked & ~g->offered)
		return -EINVAL;
	g->acked = s->acked;
	/* pvvf_guest_resume() changes it again: never a value seen before */
	g->epoch = s->epoch + 1;
	g->next_seq = s->next_seq;
	g->connected = true;
	g->awaiting = true;
	g->await_deadline = grace_ns > PVVF_NO_DEADLINE - core->now ?
			    PVVF_NO_DEADLINE : core->now + grace_ns;
	core->awaiting++;
	pvvf_log(core, "guest guest=%s action=restored slots=%u epoch=%u next_seq=%u",
		 g->name, g->nslots, g->epoch, g->next_seq);
	return 0;
}

bool pvvf_guest_awaiting(const struct pvvf_guest *g)
{
	return g->awaiting;
}

void pvvf_guest_resume(struct pvvf_guest *g)
{
	if (!g->awaiting)
		return;
	g->awaiting = false;
	g->core->awaiting--;
	pvvf_guest_touch(g);
	pvvf_evq_push(g, VIRTIO_PVVF_VF_NONE, VIRTIO_PVVF_EVT_RESYNC, 0, 0);
	pvvf_log(g->core, "guest guest=%s action=resumed epoch=%u", g->name, g->epoch);
}

/* Restored guests whose link did not come back in time let go. */
uint64_t pvvf_core_expire_awaiting(struct pvvf_core *core)
{
	uint64_t next = PVVF_NO_DEADLINE;
	struct pvvf_guest *g, *n;

	for (g = core->guests; g && core->awaiting; g = n) {
		n = g->next;
		if (!g->awaiting)
			continue;
		if (g->await_deadline > core->now) {
			next = g->await_deadline < next ? g->await_deadline : next;
			continue;
		}
		pvvf_log(core, "guest guest=%s action=grace_expired", g->name);
		pvvf_guest_disconnect(g);
	}
	return next;
}

/* ---- VFs ---- */

/* Could a sequence of requests have left this state?  (arb.c's rules) */
static bool pvvf_vf_saved_ok(const struct pvvf_pf *pf, const struct pvvf_vf_saved *s)
{
	uint32_t cap = pf->caps.pri_capacity;

	if ((s->pasid_features & ~VIRTIO_PVVF_PASID_MASK) ||
	    (!s->pasid && s->pasid_features))
		return false;
	if (s->ats ? s->ats_stu > PCI_ATS_CTRL_STU(0xff) : s->ats_stu != 0)
		return false;
	if (s->pri_faults & ~(VIRTIO_PVVF_PRI_RF | VIRTIO_PVVF_PRI_UPRGI))
		return false;
	if (s->pri_enabled && s->pri_draining)
		return false;
	if (s->pri_alloc > cap || s->pri_held > cap)
		return false;
	if (s->pri_enabled)
		return s->pri_alloc != 0 && s->pri_held == s->pri_alloc;
	return s->pri_draining || s->pri_held == 0;
}

static void pvvf_restore_ats(struct pvvf_vf *vf, const struct pvvf_vf_saved *s)
{
	struct pvvf_pf *pf = vf->pf;

	if (!s->ats)
		return;
	if (!pf->caps.vf_ats || s->ats_stu + PCI_ATS_MIN_STU != pf->caps.ats_stu ||
	    pf->ops->vf_ats_sync(pf->ctx, vf->index, true, s->ats_stu)) {
		pvvf_log(pf->core, "host pf=0x%llx action=restore_drop what=ats vf=%u",
			 (unsigned long long)pf->id, vf->index);
		return;
	}
	vf->ats = true;
	vf->ats_stu = s->ats_stu;
	pf->ats_vfs++;
}

static void pvvf_restore_lost(struct pvvf_vf *vf, const char *what, uint32_t detail)
{
	pvvf_log(vf->pf->core, "host pf=0x%llx action=restore_drop what=%s vf=%u",
		 (unsigned long long)vf->pf->id, what, vf->index);
	pvvf_evq_push_vf(vf, VIRTIO_PVVF_EVT_PF_STATE, 0, detail);
}

static void pvvf_restore_pasid(struct pvvf_vf *vf, const struct pvvf_vf_saved *s)
{
	struct pvvf_pf *pf = vf->pf;

	if (!s->pasid)
		return;
	if (!(pf->pasid_ctrl & PCI_PASID_CTRL_ENABLE) ||
	    (s->pasid_features & ~pvvf_pf_pasid_available(pf))) {
		pvvf_restore_lost(vf, "pasid", VIRTIO_PVVF_DETAIL_PASID_REVOKED);
		return;
	}
	vf->pasid = true;
	vf->pasid_features = s->pasid_features;
	pf->pasid_refs++;
}

/* Only the accounting: pvvf_core_restore_done() programs the gates. */
static void pvvf_restore_pri(struct pvvf_vf *vf, const struct pvvf_vf_saved *s)
{
	struct pvvf_pf *pf = vf->pf;
	uint32_t held = s->pri_enabled ? s->pri_alloc : s->pri_held;

	vf->pri_alloc = s->pri_alloc;
	vf->pri_faults = s->pri_faults;
	if (!s->pri_enabled && !s->pri_draining)
		return;
	if (!pf->pri_on || held > pf->pri_free) {
		if (s->pri_enabled)
			pvvf_restore_lost(vf, "pri", VIRTIO_PVVF_DETAIL_PRI_REVOKED);
		else
			pvvf_evq_push_vf(vf, VIRTIO_PVVF_EVT_PRI_STOPPED, 0, 0);
		return;
	}
	pf->pri_free -= held;
	pf->pri_users++;
	vf->pri_held = held;
	if (s->pri_enabled) {
		vf->pri_enabled = true;
		return;
	}
	/* A drain that was running: it gets a whole new deadline. */
	vf->pri_draining = true;
	vf->drain_deadline = pf->core->now + pf->core->p.drain_timeout_ns;
	pvvf_link_add_tail(&pf->core->drains, &vf->drain_link);
}

int pvvf_guest_restore_vf(struct pvvf_guest *g, uint32_t slot,
			  const struct pvvf_vf_saved *s)
{
	struct pvvf_vf *vf = pvvf_guest_slot_vf(g, slot);

	if (!vf || vf->pf->gone)
		return -ENODEV;
	if (!g->awaiting || vf->ats || vf->pasid || vf->pri_enabled || vf->pri_draining)
		return -EBUSY;
	if (!pvvf_vf_saved_ok(vf->pf, s))
		return -EINVAL;
	pvvf_restore_ats(vf, s);
	pvvf_restore_pasid(vf, s);
	pvvf_restore_pri(vf, s);
	vf->reset_redo = s->reset_pending;
	return 0;
}

/* ---- programming the PF ---- */

/*
 * Gates first closed where no PRI is held (a crash may have left one
 * open), then opened where it is, so their sum never exceeds the
 * allocation on the way.
 */
static void pvvf_restore_gates(struct pvvf_pf *pf)
{
	const struct pvvf_pf_ops *ops = pf->ops;

	if (!pf->caps.pri)
		return;
	for (uint32_t i = 0; i < pf->caps.num_vfs; i++) {
		struct pvvf_vf *vf = &pf->vfs[i];

		if (vf->pri_enabled)
			continue;
		ops->vf_pri_gate(pf->ctx, vf->index, 0);
		if (!vf->pri_draining && ops->vf_pri_outstanding(pf->ctx, vf->index))
			ops->vf_pri_abort(pf->ctx, vf->index);
	}
	for (uint32_t i = 0; i < pf->caps.num_vfs; i++) {
		struct pvvf_vf *vf = &pf->vfs[i];

		if (vf->pri_enabled &&
		    ops->vf_pri_gate(pf->ctx, vf->index, vf->pri_alloc)) {
			pvvf_vf_pri_disable(vf);
			pvvf_restore_lost(vf, "pri", VIRTIO_PVVF_DETAIL_PRI_REVOKED);
		}
	}
}

static void pvvf_restore_pf(struct pvvf_pf *pf)
{
	pvvf_restore_gates(pf);
	for (uint32_t i = 0; i < pf->caps.num_vfs; i++)
		pvvf_vf_drain_check(&pf->vfs[i]);
	pvvf_pf_pri_settle(pf);
	pvvf_pf_pasid_settle(pf);
	pvvf_log(pf->core, "host pf=0x%llx action=restored pasid_owner=%s pasid_refs=%u pri=%s pri_users=%u pri_free=%u",
		 (unsigned long long)pf->id,
		 pf->host_owner ? "host" : pf->pvvf_owner ? "pvvf" : "none", pf->pasid_refs,
		 pf->pri_host ? "host" : pf->pri_on ? "pvvf" : "off", pf->pri_users,
		 pf->pri_free);
	if (pf->reset_redo) {
		pf->reset_redo = false;
		pvvf_pf_reset(pf);
	}
	for (uint32_t i = 0; i < pf->caps.num_vfs && !pf->gone; i++) {
		if (!pf->vfs[i].reset_redo)
			continue;
		pf->vfs[i].reset_redo = false;
		pvvf_pf_vf_reset(pf, (uint16_t)i);
	}
}

void pvvf_core_restore_done(struct pvvf_core *core)
{
	for (struct pvvf_pf *pf = core->pfs; pf; pf = pf->next)
		if (!pf->gone)
			pvvf_restore_pf(pf);
}
