// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf: the consumer API (include/linux/pvvf.h).
 *
 * Each call checks the VF's ordering state, asks the host, and applies the
 * answer - one VF operation at a time.  A VF's PASID and PRI are the PF's
 * (PCIe 7.8.9, 10.5.2: VFs do not implement them); the host arbitrates them
 * between the PF's users, so a VF driver gets what a function with its own
 * capabilities would get on bare metal.
 */
#include <linux/export.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/pvvf.h>
#include <linux/spinlock.h>

#include "internal.h"

static BLOCKING_NOTIFIER_HEAD(pvvf_chain);

/* Tell consumers now; the caller holds no pvvf lock. */
void pvvf_notify(enum pvvf_event_type type, struct pci_dev *pdev)
{
	might_sleep();
	blocking_notifier_call_chain(&pvvf_chain, type, pdev);
}

/*
 * Notices found under a lock (attach, detach, revocations a scan read back,
 * a PF gone) are collected in a batch and delivered once the finder dropped
 * its locks.  A VF's notices are delivered by one thread at a time, in the
 * order of its life below; one that arrives while another thread delivers
 * that VF's notices is delivered by that thread, after them.
 */
static DEFINE_SPINLOCK(pvvf_notice_lock);

static const enum pvvf_event_type pvvf_notice_order[] = {
	PVVF_EVENT_ATTACHED,
	PVVF_EVENT_PASID_REVOKED,
	PVVF_EVENT_PRI_REVOKED,
	PVVF_EVENT_PF_REMOVED,
	PVVF_EVENT_DETACHED,
};

/**
 * pvvf_notice_add() - note events for a VF's consumers
 * @batch: the caller's batch, for pvvf_notice_flush() once it unlocked
 * @vf: the VF
 * @notices: BIT(enum pvvf_event_type) of the events in pvvf_notice_order
 */
void pvvf_notice_add(struct list_head *batch, struct pvvf_vf *vf,
		     unsigned long notices)
{
	unsigned long flags;

	if (!notices)
		return;
	spin_lock_irqsave(&pvvf_notice_lock, flags);
	vf->notices |= notices;
	/* Already in a batch, or being delivered: that thread takes them. */
	if (!vf->notifying && list_empty(&vf->notice_node)) {
		kref_get(&vf->ref);
		list_add_tail(&vf->notice_node, batch);
	}
	spin_unlock_irqrestore(&pvvf_notice_lock, flags);
}

/* Deliver a VF's notices until none is left. */
static void pvvf_notice_deliver(struct pvvf_vf *vf)
{
	unsigned long notices, flags;
	unsigned int i;

	spin_lock_irqsave(&pvvf_notice_lock, flags);
	list_del_init(&vf->notice_node);
	vf->notifying = true;
	while ((notices = vf->notices)) {
		vf->notices = 0;
		spin_unlock_irqrestore(&pvvf_notice_lock, flags);
		for (i = 0; i < ARRAY_SIZE(pvvf_notice_order); i++) {
			if (notices & BIT(pvvf_notice_order[i]))
				pvvf_notify(pvvf_notice_order[i], vf->pdev);
		}
		spin_lock_irqsave(&pvvf_notice_lock, flags);
	}
	vf->notifying = false;
	spin_unlock_irqrestore(&pvvf_notice_lock, flags);
}

/**
 * pvvf_notice_flush() - deliver a batch; call with no pvvf lock held
 * @batch: filled by pvvf_notice_add(); empty on return
 */
void pvvf_notice_flush(struct list_head *batch)
{
	struct pvvf_vf *vf;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&pvvf_notice_lock, flags);
		vf = list_first_entry_or_null(batch, struct pvvf_vf,
					      notice_node);
		spin_unlock_irqrestore(&pvvf_notice_lock, flags);
		if (!vf)
			break;
		pvvf_notice_deliver(vf);
		pvvf_vf_put(vf);
	}
}

/**
 * pvvf_register_notifier() - be told about VF events
 * @nb: the notifier; its action is an enum pvvf_event_type, its data the
 *      VF's struct pci_dev
 *
 * Callbacks run in process context, may sleep and may call this API.  For
 * PVVF_EVENT_PF_RESET_BEGIN and PVVF_EVENT_VF_RESET_BEGIN the host waits
 * until every callback returned (or its deadline passed): quiesce in the
 * callback.
 *
 * Return: 0.
 */
int pvvf_register_notifier(struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&pvvf_chain, nb);
}
EXPORT_SYMBOL_GPL(pvvf_register_notifier);

/**
 * pvvf_unregister_notifier() - stop being told about VF events
 * @nb: a notifier passed to pvvf_register_notifier()
 *
 * Return: 0, or -ENOENT if @nb was not registered.
 */
int pvvf_unregister_notifier(struct notifier_block *nb)
{
	return blocking_notifier_chain_unregister(&pvvf_chain, nb);
}
EXPORT_SYMBOL_GPL(pvvf_unregister_notifier);

/**
 * pvvf_is_vf() - is @pdev an SR-IOV VF of a PF this guest cannot see?
 * @pdev: a PCI function
 *
 * The paravirtual counterpart of pdev->is_virtfn, which pvvf never sets:
 * there is no struct pci_dev for the PF to point at.
 *
 * Return: true if pvvf has @pdev attached.
 */
bool pvvf_is_vf(struct pci_dev *pdev)
{
	struct pvvf_vf *vf = pvvf_vf_get(pdev);

	if (vf)
		pvvf_vf_put(vf);
	return vf;
}
EXPORT_SYMBOL_GPL(pvvf_is_vf);

static void pvvf_info_fill(const struct pvvf_vf *vf, struct pvvf_vf_info *i)
{
	const struct pvvf_order *o = &vf->order;
	const struct pvvf_vf_desc *d = &vf->desc;

	memset(i, 0, sizeof(*i));
	i->pf_id = d->pf_id;
	i->vf_index = d->vf_index;
	i->slot = vf->slot;
	i->pasid_supported = o->caps.pasid;
	i->pasid_max_width = d->pasid_max_width;
	i->pasid_features_supported = d->pasid_features;
	i->pri_supported = o->caps.pri;
	i->pri_capacity = d->pri_capacity;
	i->pri_pasid_required = d->pri_status & VIRTIO_PVVF_PRI_PASID;
	i->ats_supported = d->flags & VIRTIO_PVVF_VF_F_ATS;
	i->pf_ats_stu = d->ats_stu;
	i->ats_enabled = o->ats;
	i->pasid_enabled = o->pasid;
	i->pasid_features = o->pasid_features;
	i->pri_enabled = o->pri;
	i->pri_alloc = o->pri ? o->pri_alloc : 0;
	i->pri_stopped = !o->pri && o->pri_stopped;
	i->pasid_revoked = o->pasid_revoked;
	i->pri_revoked = o->pri_revoked;
	i->reset_pending = o->pf_reset || o->vf_reset;
}

/**
 * pvvf_get_info() - what pvvf knows about a VF
 * @pdev: the VF
 * @info: filled in on success
 *
 * Context: any context that may take a spinlock.
 * Return: 0, or -ENODEV if @pdev is not an attached VF.
 */
int pvvf_get_info(struct pci_dev *pdev, struct pvvf_vf_info *info)
{
	struct pvvf_vf *vf = pvvf_vf_get(pdev);
	unsigned long flags;

	if (!vf)
		return -ENODEV;
	spin_lock_irqsave(&vf->lock, flags);
	pvvf_info_fill(vf, info);
	spin_unlock_irqrestore(&vf->lock, flags);
	pvvf_vf_put(vf);
	return 0;
}
EXPORT_SYMBOL_GPL(pvvf_get_info);

/* ---- the common operation path, under vf->op_lock ---- */

#define PVVF_SYNC_TRIES	3

/*
 * Revocations found by a read-back are collected in @lost and told to
 * consumers after op_lock is dropped: a notifier may call this API.
 */
static int pvvf_vf_begin(struct pvvf_dev *pv, struct pvvf_vf *vf,
			 enum pvvf_op op, u32 arg, unsigned int *lost)
{
	int tries, err;

	for (tries = 0; tries < PVVF_SYNC_TRIES; tries++) {
		spin_lock_irq(&vf->lock);
		err = pvvf_order_begin(&vf->order, op, arg);
		spin_unlock_irq(&vf->lock);
		if (err != -ESTALE)
			return err;
		/* State unknown (a timeout, an event): read it back first. */
		err = pvvf_vf_sync(pv, vf, lost);
		if (err)
			return err;
	}
	return -EAGAIN;
}

/* Apply the result; if it left the state unknown, read it back now. */
static int pvvf_vf_end(struct pvvf_dev *pv, struct pvvf_vf *vf,
		       enum pvvf_op op, u32 arg, int result, unsigned int *lost)
{
	bool stale;
	int err;

	spin_lock_irq(&vf->lock);
	err = pvvf_order_end(&vf->order, op, arg, result);
	stale = vf->order.stale && !vf->order.gone;
	spin_unlock_irq(&vf->lock);
	if (stale)
		pvvf_vf_sync(pv, vf, lost);
	return err;
}

static int pvvf_vf_send(struct pvvf_dev *pv, struct pvvf_vf *vf, u16 opcode,
			u32 value)
{
	struct pvvf_req req = {
		.opcode = opcode, .vf = vf->slot, .args.value = value,
	};

	return pvvf_dev_request(pv, &req);
}

static int pvvf_vf_send_ats(struct pvvf_dev *pv, struct pvvf_vf *vf,
			    bool enable, u8 stu)
{
	struct pvvf_req req = {
		.opcode = VIRTIO_PVVF_OP_ATS_SET, .vf = vf->slot,
		.args.enable = enable, .args.stu = stu,
	};

	return pvvf_dev_request(pv, &req);
}

/* Check, ask the host, apply: the path of every PASID and PRI call. */
static int pvvf_vf_op(struct pci_dev *pdev, enum pvvf_op op, u32 arg,
		      u16 opcode)
{
	struct pvvf_vf *vf = pvvf_vf_get(pdev);
	unsigned int lost = 0;
	struct pvvf_dev *pv;
	int err;

	if (!vf)
		return -ENODEV;
	mutex_lock(&vf->op_lock);
	pv = vf->pv;
	err = pv ? pvvf_vf_begin(pv, vf, op, arg, &lost) : -ENODEV;
	if (!err)
		err = pvvf_vf_end(pv, vf, op, arg,
				  pvvf_vf_send(pv, vf, opcode, arg), &lost);
	mutex_unlock(&vf->op_lock);
	pvvf_vf_notify_lost(vf, lost);
	pvvf_vf_put(vf);
	return err;
}

/**
 * pvvf_ping() - a bare round trip to the host through a VF's pvvf device
 * @pdev: the VF
 *
 * Sends NOP (docs/spec.md 6.1) on the request queue the VF's other calls
 * use, by the same path, and checks the reply like theirs.  It changes no
 * state; it measures the transport, and tells whether the host answers.
 *
 * Context: process context; sleeps.
 * Return: 0; -EOPNOTSUPP if the device does not list NOP; -ENODEV if not
 * attached; -ETIMEDOUT; or the error of a malformed reply.
 */
int pvvf_ping(struct pci_dev *pdev)
{
	struct pvvf_vf *vf = pvvf_vf_get(pdev);
	struct pvvf_req req = {
		.opcode = VIRTIO_PVVF_OP_NOP, .vf = VIRTIO_PVVF_VF_NONE,
	};
	struct pvvf_dev *pv;
	int err;

	if (!vf)
		return -ENODEV;
	mutex_lock(&vf->op_lock);
	pv = vf->pv;
	if (!pv)
		err = -ENODEV;
	else if (!(pv->opcodes & BIT_ULL(VIRTIO_PVVF_OP_NOP)))
		err = -EOPNOTSUPP;
	else
		err = pvvf_dev_request(pv, &req);
	mutex_unlock(&vf->op_lock);
	pvvf_vf_put(vf);
	return err;
}
EXPORT_SYMBOL_GPL(pvvf_ping);

/* ---- ATS: the VF's own capability, reported to the host ---- */

/* The ATS Enable bit as the function has it, not as the PCI core thinks. */
static bool pvvf_ats_hw_enabled(struct pci_dev *pdev)
{
	int pos = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_ATS);
	u16 ctrl;

	/* An unreadable register counts as set: never report it off. */
	if (!pos || pci_read_config_word(pdev, pos + PCI_ATS_CTRL, &ctrl))
		return !!pos;
	return ctrl & PCI_ATS_CTRL_ENABLE;
}

static int pvvf_ats_enable_locked(struct pvvf_dev *pv, struct pvvf_vf *vf,
				  int ps, unsigned int *lost)
{
	u8 stu = ps - PCI_ATS_MIN_STU;
	int err, res;

	err = pvvf_vf_begin(pv, vf, PVVF_OP_ATS_ENABLE, stu, lost);
	if (err)
		return err;
	/* docs/spec.md 6.7.1: report before setting the Enable bit. */
	res = pvvf_vf_send_ats(pv, vf, true, stu);
	if (res)
		return pvvf_vf_end(pv, vf, PVVF_OP_ATS_ENABLE, stu, res, lost);
	err = pci_enable_ats(vf->pdev, ps);
	if (!err)
		return pvvf_vf_end(pv, vf, PVVF_OP_ATS_ENABLE, stu, 0, lost);
	/*
	 * Withdraw the report only if the Enable bit is clear: the host must
	 * never hold ATS off while it is set (pci_enable_ats() fails with the
	 * bit set if it was enabled behind pvvf's back).  The state is read
	 * back either way.
	 */
	res = pvvf_ats_hw_enabled(vf->pdev) ? 0 :
	      pvvf_vf_send_ats(pv, vf, false, 0);
	pvvf_vf_end(pv, vf, PVVF_OP_ATS_ENABLE, stu, res ?: -EIO, lost);
	return res ?: err;
}

/**
 * pvvf_ats_enable() - enable the VF's ATS, telling the host first
 * @pdev: the VF
 * @ps: the STU as a page shift, as for pci_enable_ats(); it must equal the
 *      PF's STU (PCIe 10.5.1.3) when the PF's ATS is enabled
 *
 * Use this instead of pci_enable_ats() on an attached VF: the host needs
 * the VF's ATS enable to apply the PASID rule of PCIe 7.8.9.3.
 *
 * Context: process context; sleeps.
 * Return: 0; -EINVAL for a bad or mismatched STU; -EALREADY if enabled;
 * -EAGAIN during a reset; -ENODEV if not attached; -ETIMEDOUT; or the error
 * of pci_enable_ats().
 */
int pvvf_ats_enable(struct pci_dev *pdev, int ps)
{
	unsigned int lost = 0;
	struct pvvf_vf *vf;
	int err;

	if (ps < PCI_ATS_MIN_STU || ps > PCI_ATS_MIN_STU + 31)
		return -EINVAL;
	vf = pvvf_vf_get(pdev);
	if (!vf)
		return -ENODEV;
	mutex_lock(&vf->op_lock);
	err = vf->pv ? pvvf_ats_enable_locked(vf->pv, vf, ps, &lost) : -ENODEV;
	mutex_unlock(&vf->op_lock);
	pvvf_vf_notify_lost(vf, lost);
	pvvf_vf_put(vf);
	return err;
}
EXPORT_SYMBOL_GPL(pvvf_ats_enable);

static int pvvf_ats_disable_locked(struct pvvf_dev *pv, struct pvvf_vf *vf,
				   unsigned int *lost)
{
	int err;

	err = pvvf_vf_begin(pv, vf, PVVF_OP_ATS_DISABLE, 0, lost);
	if (err == -EALREADY && pvvf_pdev_ats_enabled(vf->pdev)) {
		/*
		 * The host holds it off (a PF reset cleared it) while the PCI
		 * core still has it on: clear that too, or the next attach
		 * would report it on again.
		 */
		pci_disable_ats(vf->pdev);
		return 0;
	}
	if (err)
		return err;
	if (pvvf_pdev_ats_enabled(vf->pdev))
		pci_disable_ats(vf->pdev);
	/* docs/spec.md 6.7.1: report after clearing the Enable bit. */
	err = pvvf_vf_send_ats(pv, vf, false, 0);
	return pvvf_vf_end(pv, vf, PVVF_OP_ATS_DISABLE, 0, err, lost);
}

/**
 * pvvf_ats_disable() - disable the VF's ATS, then tell the host
 * @pdev: the VF
 *
 * Teardown order (docs/spec.md 6.8.2): after PRI is disabled, before PASID
 * is disabled.
 *
 * Context: process context; sleeps.
 * Return: 0; -EBUSY while PRI is enabled; -EALREADY if enabled neither for
 * the host nor in the PCI core; -EAGAIN during a reset; -ENODEV if not
 * attached; -ETIMEDOUT.
 */
int pvvf_ats_disable(struct pci_dev *pdev)
{
	struct pvvf_vf *vf = pvvf_vf_get(pdev);
	unsigned int lost = 0;
	int err;

	if (!vf)
		return -ENODEV;
	mutex_lock(&vf->op_lock);
	err = vf->pv ? pvvf_ats_disable_locked(vf->pv, vf, &lost) : -ENODEV;
	mutex_unlock(&vf->op_lock);
	pvvf_vf_notify_lost(vf, lost);
	pvvf_vf_put(vf);
	return err;
}
EXPORT_SYMBOL_GPL(pvvf_ats_disable);

/* ---- PASID ---- */

/**
 * pvvf_pasid_enable() - enable PASID for a VF
 * @pdev: the VF
 * @features: PCI_PASID_CAP_EXEC and/or PCI_PASID_CAP_PRIV
 *
 * As pci_enable_pasid() for a function with its own capability: PASID
 * Enable must not change while ATS is enabled (PCIe 7.8.9.3), so enable
 * PASID before pvvf_ats_enable().
 *
 * Context: process context; sleeps.
 * Return: 0; -EBUSY while the VF's ATS is enabled, or while ATS elsewhere
 * on the PF blocks the change; -EALREADY if enabled; -EPERM after the host
 * revoked PASID and it was not yet disabled; -EOPNOTSUPP if the PF lacks
 * PASID; -EINVAL for features the PF lacks; -EAGAIN during a reset;
 * -ENODEV if not attached; -ETIMEDOUT.
 */
int pvvf_pasid_enable(struct pci_dev *pdev, int features)
{
	if (features & ~(PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV))
		return -EINVAL;
	return pvvf_vf_op(pdev, PVVF_OP_PASID_ENABLE, features,
			  VIRTIO_PVVF_OP_PASID_ENABLE);
}
EXPORT_SYMBOL_GPL(pvvf_pasid_enable);

/**
 * pvvf_pasid_disable() - disable PASID for a VF
 * @pdev: the VF
 *
 * The last step of teardown.  Also acknowledges a revocation.
 *
 * Context: process context; sleeps.
 * Return: 0; -EBUSY while ATS or PRI is enabled or PRI is not stopped;
 * -EALREADY if not enabled; -EAGAIN during a reset; -ENODEV if not
 * attached; -ETIMEDOUT.
 */
int pvvf_pasid_disable(struct pci_dev *pdev)
{
	return pvvf_vf_op(pdev, PVVF_OP_PASID_DISABLE, 0,
			  VIRTIO_PVVF_OP_PASID_DISABLE);
}
EXPORT_SYMBOL_GPL(pvvf_pasid_disable);

/* ---- PRI ---- */

/**
 * pvvf_pri_enable() - enable PRI for a VF with an allocation
 * @pdev: the VF
 * @reqs: outstanding page request allocation, from the PF's capacity
 *
 * The allocation is set with the enable and cannot change while PRI is
 * enabled (PCIe 10.5.2.5).  The host carves it from the PF's pool.
 *
 * Context: process context; sleeps.
 * Return: 0; -ENOSPC if @reqs exceeds the PF's capacity or what is left of
 * its pool; -EBUSY while a previous disable is still draining;
 * -EALREADY if enabled; -EPERM after a revocation not yet acknowledged;
 * -EOPNOTSUPP if the PF lacks PRI; -EINVAL for @reqs 0; -EAGAIN during a
 * reset; -ENODEV if not attached; -ETIMEDOUT.
 */
int pvvf_pri_enable(struct pci_dev *pdev, u32 reqs)
{
	return pvvf_vf_op(pdev, PVVF_OP_PRI_ENABLE, reqs,
			  VIRTIO_PVVF_OP_PRI_ENABLE);
}
EXPORT_SYMBOL_GPL(pvvf_pri_enable);

/**
 * pvvf_pri_disable() - stop the VF's page requests
 * @pdev: the VF
 *
 * The host stops accepting page requests from the VF and drains the
 * outstanding ones; pvvf_pri_wait_stopped() waits for that.  Also
 * acknowledges a revocation.
 *
 * Context: process context; sleeps.
 * Return: 0; -EALREADY if not enabled; -EAGAIN during a reset; -ENODEV if
 * not attached; -ETIMEDOUT.
 */
int pvvf_pri_disable(struct pci_dev *pdev)
{
	return pvvf_vf_op(pdev, PVVF_OP_PRI_DISABLE, 0,
			  VIRTIO_PVVF_OP_PRI_DISABLE);
}
EXPORT_SYMBOL_GPL(pvvf_pri_disable);

/**
 * pvvf_pri_reset() - clear the VF's PRI Response Failure and UPRGI
 * @pdev: the VF
 *
 * Allowed only while PRI is disabled and stopped (PCIe 10.5.2.2).
 *
 * Context: process context; sleeps.
 * Return: 0; -EBUSY while enabled or not stopped; -EOPNOTSUPP if the PF
 * lacks PRI; -EAGAIN during a reset; -ENODEV if not attached; -ETIMEDOUT.
 */
int pvvf_pri_reset(struct pci_dev *pdev)
{
	return pvvf_vf_op(pdev, PVVF_OP_PRI_RESET, 0,
			  VIRTIO_PVVF_OP_PRI_RESET);
}
EXPORT_SYMBOL_GPL(pvvf_pri_reset);

static int pvvf_vf_stopped(struct pvvf_vf *vf)
{
	int err;

	spin_lock_irq(&vf->lock);
	err = pvvf_order_check_stopped(&vf->order);
	spin_unlock_irq(&vf->lock);
	return err;
}

/*
 * Ask the host once, in case the drain finished before anyone waited: read
 * the state back if it is unknown, then confirm with PRI_STATUS.
 */
static void pvvf_vf_poll_stopped(struct pvvf_vf *vf, unsigned int *lost)
{
	mutex_lock(&vf->op_lock);
	if (vf->pv && pvvf_vf_stopped(vf) == -ESTALE)
		pvvf_vf_sync(vf->pv, vf, lost);
	if (vf->pv && pvvf_vf_stopped(vf) == -EINPROGRESS)
		pvvf_vf_confirm_stopped(vf->pv, vf, lost);
	mutex_unlock(&vf->op_lock);
}

/**
 * pvvf_pri_wait_stopped() - wait until the VF has no page request left
 * @pdev: the VF
 * @timeout_ms: how long to wait
 *
 * After pvvf_pri_disable(), PRI Stopped (PCIe 10.5.2.3) is set once the
 * host drained the VF's outstanding page requests.  It is confirmed with
 * the host, never taken from a PRI_STOPPED event alone.  The host is asked
 * again every PVVF_STOP_POLL_MS, so the wait also ends when the event
 * cannot wake it (a notifier callback runs on the work that handles
 * events).
 *
 * Context: process context; sleeps.
 * Return: 0 once stopped; -EBUSY while PRI is enabled (it would never
 * stop); -ETIMEDOUT; -ENODEV if not attached or detached while waiting.
 */
int pvvf_pri_wait_stopped(struct pci_dev *pdev, unsigned int timeout_ms)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);
	struct pvvf_vf *vf = pvvf_vf_get(pdev);
	unsigned int lost = 0;
	long left;
	int err;

	if (!vf)
		return -ENODEV;
	for (;;) {
		pvvf_vf_poll_stopped(vf, &lost);
		err = pvvf_vf_stopped(vf);
		left = time_after(deadline, jiffies) ? deadline - jiffies : 0;
		if ((err != -EINPROGRESS && err != -ESTALE) || !left)
			break;
		wait_event_timeout(vf->stop_wq,
				   pvvf_vf_stopped(vf) != -EINPROGRESS,
				   min_t(long, left,
					 msecs_to_jiffies(PVVF_STOP_POLL_MS)));
	}
	pvvf_vf_notify_lost(vf, lost);
	pvvf_vf_put(vf);
	return err == -EINPROGRESS || err == -ESTALE ? -ETIMEDOUT : err;
}
EXPORT_SYMBOL_GPL(pvvf_pri_wait_stopped);
