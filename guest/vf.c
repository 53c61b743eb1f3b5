// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf: the VF registry - discovery, locators, attach/detach, host events,
 * and the lifetime of per-VF data.
 *
 * A VF is found from its descriptor's locator: a PCI segment, a root bus
 * number fixed by firmware, and the devfn of every hop below it.  pvvf
 * compares that path with each guest function's own path up to its root
 * bus, so guest bus numbering does not matter.  Per-VF data lives in a
 * module-owned xarray keyed by the pci_dev, never in the VF's drvdata.
 *
 * A scan (pvvf_vf_scan()) reads the VF table and each attached VF's state;
 * attaching runs apart (pvvf_vf_attach_all()), under the PCI rescan lock,
 * which the scan must not take: pvvf_quiesce() waits for the scan, and the
 * virtio device can be removed with that lock held.
 */
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/xarray.h>

#include "internal.h"
#include "locator.h"

DEFINE_MUTEX(pvvf_devs_lock);		/* pvvf_devs; bus notifier vs probe */
LIST_HEAD(pvvf_devs);			/* probed devices */
static DEFINE_XARRAY(pvvf_vfs);		/* pci_dev -> struct pvvf_vf */

/* ---- lookup and lifetime ---- */

struct pvvf_vf *pvvf_vf_get(struct pci_dev *pdev)
{
	struct pvvf_vf *vf;

	rcu_read_lock();
	vf = xa_load(&pvvf_vfs, (unsigned long)pdev);
	if (vf && !kref_get_unless_zero(&vf->ref))
		vf = NULL;
	rcu_read_unlock();
	return vf;
}

static void pvvf_vf_release(struct kref *ref)
{
	struct pvvf_vf *vf = container_of(ref, struct pvvf_vf, ref);

	pci_dev_put(vf->pdev);
	kfree_rcu(vf, rcu);
}

void pvvf_vf_put(struct pvvf_vf *vf)
{
	kref_put(&vf->ref, pvvf_vf_release);
}

/* The slot's VF with a reference, or NULL. */
static struct pvvf_vf *pvvf_slot_vf_get(struct pvvf_dev *pv, u32 slot)
{
	struct pvvf_vf *vf = NULL;

	mutex_lock(&pv->table_lock);
	if (slot < pv->num_vfs && pv->slots[slot].vf) {
		vf = pv->slots[slot].vf;
		kref_get(&vf->ref);
	}
	mutex_unlock(&pv->table_lock);
	return vf;
}

/* ---- descriptors ---- */

/* What the PF offers a VF a descriptor describes, as @pv negotiated. */
void pvvf_order_caps_of(struct pvvf_dev *pv, const struct pvvf_vf_desc *d,
			struct pvvf_order_caps *caps)
{
	const u64 pasid_ops = BIT_ULL(VIRTIO_PVVF_OP_PASID_ENABLE) |
			      BIT_ULL(VIRTIO_PVVF_OP_PASID_DISABLE);
	const u64 pri_ops = BIT_ULL(VIRTIO_PVVF_OP_PRI_ENABLE) |
			    BIT_ULL(VIRTIO_PVVF_OP_PRI_DISABLE) |
			    BIT_ULL(VIRTIO_PVVF_OP_PRI_RESET);

	memset(caps, 0, sizeof(*caps));
	caps->pasid = pv->has_pasid && (d->flags & VIRTIO_PVVF_VF_F_PASID) &&
		      (pv->opcodes & pasid_ops) == pasid_ops;
	caps->pri = pv->has_pri && (d->flags & VIRTIO_PVVF_VF_F_PRI) &&
		    (pv->opcodes & pri_ops) == pri_ops;
	caps->pasid_features = d->pasid_features;
	caps->pri_capacity = d->pri_capacity;
	caps->ats_stu = d->ats_stu;
}

/* The VF's ATS Enable as the PCI core set it (pci_enable_ats()). */
bool pvvf_pdev_ats_enabled(struct pci_dev *pdev)
{
	return IS_ENABLED(CONFIG_PCI_ATS) && pdev->ats_enabled;
}

/* ---- attach and detach, under pv->table_lock ---- */

static void pvvf_vf_uevent(struct pvvf_vf *vf, const char *what)
{
	char event[32], slot[24];
	char *envp[3];

	envp[0] = event;
	envp[1] = slot;
	envp[2] = NULL;
	snprintf(event, sizeof(event), "PVVF_EVENT=%s", what);
	snprintf(slot, sizeof(slot), "PVVF_SLOT=%u", vf->slot);
	kobject_uevent_env(&vf->pdev->dev.kobj, KOBJ_CHANGE, envp);
}

static struct pvvf_vf *pvvf_vf_alloc(struct pvvf_dev *pv, u32 slot,
				     struct pci_dev *pdev)
{
	struct pvvf_order_caps caps;
	struct pvvf_vf *vf;

	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
	if (!vf)
		return NULL;
	kref_init(&vf->ref);
	vf->pdev = pci_dev_get(pdev);
	vf->slot = slot;
	vf->pv = pv;
	vf->desc = pv->slots[slot].desc;
	mutex_init(&vf->op_lock);
	spin_lock_init(&vf->lock);
	init_waitqueue_head(&vf->stop_wq);
	INIT_LIST_HEAD(&vf->notice_node);
	pvvf_order_caps_of(pv, &vf->desc, &caps);
	pvvf_order_init(&vf->order, &caps);
	/* Unknown until GET_STATE: no operation before the first sync. */
	vf->order.stale = true;
	/* Its ATS may be on already: tell the host before that GET_STATE. */
	vf->report_ats = true;
	return vf;
}

/*
 * The VF is published (the xarray the API looks it up in) last, once its
 * device link and sysfs group are in place; pvvf_vf_detach() unpublishes
 * first.
 */
static int pvvf_vf_attach(struct pvvf_dev *pv, u32 slot, struct pci_dev *pdev,
			  struct list_head *batch)
{
	struct pvvf_vf *vf = pvvf_vf_alloc(pv, slot, pdev);
	int err;

	if (!vf)
		return -ENOMEM;
	/*
	 * A managed link: the VF's driver is unbound before the pvvf device
	 * goes.  The core drops it when the pvvf driver unbinds or the VF is
	 * deleted; a managed link cannot be dropped by hand before that.
	 */
	if (!device_link_add(&pdev->dev, &pv->vdev->dev,
			     DL_FLAG_AUTOREMOVE_SUPPLIER)) {
		err = -EINVAL;
		goto err_put;
	}
	err = device_add_group(&pdev->dev, &pvvf_vf_group);
	if (err)
		goto err_put;
	err = xa_insert(&pvvf_vfs, (unsigned long)pdev, vf, GFP_KERNEL);
	if (err)
		goto err_group;
	pv->slots[slot].vf = vf;
	pci_info(pdev, "pvvf: VF %u of PF %#llx (slot %u)\n",
		 vf->desc.vf_index, vf->desc.pf_id, slot);
	pvvf_tp_attach(pv, vf);
	pvvf_vf_uevent(vf, "attached");
	pvvf_notice_add(batch, vf, BIT(PVVF_EVENT_ATTACHED));
	return 0;

err_group:
	device_remove_group(&pdev->dev, &pvvf_vf_group);
err_put:
	pvvf_vf_put(vf);
	return err;
}

static void pvvf_vf_detach(struct pvvf_dev *pv, u32 slot, const char *why,
			   struct list_head *batch)
{
	struct pvvf_vf *vf = pv->slots[slot].vf;

	/* No config accessor may still use the VF once it is detached. */
	pvvf_tp_detach(pv, vf);
	pv->slots[slot].vf = NULL;
	xa_erase(&pvvf_vfs, (unsigned long)vf->pdev);
	/* Wait for an operation in flight; later ones see no device. */
	mutex_lock(&vf->op_lock);
	spin_lock_irq(&vf->lock);
	pvvf_order_detach(&vf->order);
	spin_unlock_irq(&vf->lock);
	vf->pv = NULL;
	mutex_unlock(&vf->op_lock);
	wake_up_all(&vf->stop_wq);

	device_remove_group(&vf->pdev->dev, &pvvf_vf_group);
	pci_info(vf->pdev, "pvvf: detached (%s)\n", why);
	pvvf_vf_uevent(vf, "detached");
	pvvf_notice_add(batch, vf, BIT(PVVF_EVENT_DETACHED));
	pvvf_vf_put(vf);
}

/* At remove, while the device is still in pvvf_devs (see pvvf_remove()). */
void pvvf_vf_detach_all(struct pvvf_dev *pv)
{
	LIST_HEAD(batch);
	u32 slot;

	mutex_lock(&pv->table_lock);
	for (slot = 0; slot < pv->num_vfs; slot++) {
		if (pv->slots[slot].vf)
			pvvf_vf_detach(pv, slot, "pvvf device removed",
				       &batch);
		pvvf_tp_drop(pv, slot);
	}
	mutex_unlock(&pv->table_lock);
	pvvf_notice_flush(&batch);
}

/*
 * Try every unattached slot against @pdev.  A locator that matches a
 * function with other IDs is refused, once, with a log line.
 */
static bool pvvf_vf_try_attach(struct pvvf_dev *pv, struct pci_dev *pdev,
			       struct list_head *batch)
{
	struct pvvf_slot *s;
	u32 slot;

	for (slot = 0; slot < pv->num_vfs; slot++) {
		s = &pv->slots[slot];
		if (!s->valid || s->refused || s->pf_gone || s->vf ||
		    !pvvf_locator_matches(pdev, &s->desc))
			continue;
		if (pdev->vendor != s->desc.vendor_id ||
		    pdev->device != s->desc.device_id) {
			pci_warn(pdev, "pvvf: slot %u names %04x:%04x, function is %04x:%04x; refused\n",
				 slot, s->desc.vendor_id, s->desc.device_id,
				 pdev->vendor, pdev->device);
			s->refused = true;
			continue;
		}
		if (xa_load(&pvvf_vfs, (unsigned long)pdev)) {
			pci_warn(pdev, "pvvf: slot %u: already attached by another pvvf device\n",
				 slot);
			s->refused = true;
			return false;
		}
		return !pvvf_vf_attach(pv, slot, pdev, batch);
	}
	return false;
}

/* A slot that resolves and is not attached: the attach work has a job. */
static bool pvvf_slot_wants_attach(const struct pvvf_slot *s)
{
	return s->valid && !s->refused && !s->pf_gone && !s->vf;
}

/**
 * pvvf_vf_attach_all() - attach every function a slot names
 * @pv: the device
 *
 * The attach work.  Under pci_lock_rescan_remove(), so a function that
 * device_del() is removing (it sent BUS_NOTIFY_DEL_DEVICE, but is still on
 * the bus) is never attached, and a hot-added function is announced after
 * device_add() finished, so the "attached" uevent follows its KOBJ_ADD.
 * The first GET_STATE is the scan's, queued next.  A slot whose function
 * is not there gets its transparent-mode capabilities ready for it
 * (pvvf_tp_pend()).
 */
void pvvf_vf_attach_all(struct pvvf_dev *pv)
{
	struct pci_dev *pdev = NULL;
	bool attached = false;
	LIST_HEAD(batch);
	u32 slot;

	pci_lock_rescan_remove();
	mutex_lock(&pv->table_lock);
	if (!READ_ONCE(pv->removing)) {
		for_each_pci_dev(pdev)
			attached |= pvvf_vf_try_attach(pv, pdev, &batch);
		for (slot = 0; slot < pv->num_vfs; slot++)
			pvvf_tp_pend(pv, slot);
	}
	mutex_unlock(&pv->table_lock);
	pci_unlock_rescan_remove();
	pvvf_notice_flush(&batch);
	if (attached)
		pvvf_dev_queue_scan(pv);
}

/* ---- GET_VF, GET_STATE ---- */

/* GET_VF: the request's error, or 0 with the raw descriptor in @raw. */
static int pvvf_vf_fetch_desc(struct pvvf_dev *pv, u32 slot,
			      struct virtio_pvvf_vf_desc *raw)
{
	struct virtio_pvvf_resp_get_vf reply;
	struct pvvf_req req = {
		.opcode = VIRTIO_PVVF_OP_GET_VF, .vf = slot, .reply = &reply,
	};
	int err;

	err = pvvf_dev_request(pv, &req);
	if (!err)
		*raw = reply.desc;
	return err;
}

/* Tell consumers now about newly latched revocations (PVVF_LOST_*). */
void pvvf_vf_notify_lost(struct pvvf_vf *vf, unsigned int lost)
{
	if (lost & PVVF_LOST_PASID)
		pvvf_notify(PVVF_EVENT_PASID_REVOKED, vf->pdev);
	if (lost & PVVF_LOST_PRI)
		pvvf_notify(PVVF_EVENT_PRI_REVOKED, vf->pdev);
}

/**
 * pvvf_vf_read_back() - read a VF's state back, and tell its consumers
 * @vf: the VF; nothing is done once it is detached
 *
 * Context: process context, no pvvf lock held (consumers are told).
 */
void pvvf_vf_read_back(struct pvvf_vf *vf)
{
	unsigned int lost = 0;

	mutex_lock(&vf->op_lock);
	if (vf->pv)
		pvvf_vf_sync(vf->pv, vf, &lost);
	mutex_unlock(&vf->op_lock);
	pvvf_vf_notify_lost(vf, lost);
}

/* Revocations latched since @pasid and @pri were sampled (PVVF_LOST_*). */
static unsigned int pvvf_vf_revocations(struct pvvf_vf *vf, bool pasid,
					bool pri)
{
	return (!pasid && vf->order.pasid_revoked ? PVVF_LOST_PASID : 0) |
	       (!pri && vf->order.pri_revoked ? PVVF_LOST_PRI : 0);
}

/* The STU field of the VF's enabled ATS, or -1 if ATS is off. */
#ifdef CONFIG_PCI_ATS
static int pvvf_pdev_ats_stu(struct pci_dev *pdev)
{
	return pdev->ats_enabled ? pdev->ats_stu - PCI_ATS_MIN_STU : -1;
}
#else
static int pvvf_pdev_ats_stu(struct pci_dev *pdev)
{
	return -1;
}
#endif

/*
 * The host learns the VF's own ATS Enable only from ATS_SET.  A VF whose
 * ATS was on before pvvf attached it, or stayed on across a device reset
 * (docs/spec.md 6.10), is reported before the first GET_STATE, so the host
 * never holds it as ATS off while its Enable bit is set.  A refusal is
 * final (logged); an unknown outcome is tried again at the next sync.
 */
static int pvvf_vf_report_ats(struct pvvf_dev *pv, struct pvvf_vf *vf)
{
	int stu = pvvf_pdev_ats_stu(vf->pdev);
	struct pvvf_req req = {
		.opcode = VIRTIO_PVVF_OP_ATS_SET, .vf = vf->slot,
		.args.enable = 1, .args.stu = stu,
	};
	int err;

	lockdep_assert_held(&vf->op_lock);
	if (!vf->report_ats)
		return 0;
	err = stu < 0 ? 0 : pvvf_dev_request(pv, &req);
	if (err == -ETIMEDOUT || err == -ENODEV || err == -EIO ||
	    err == -EPROTO || err == -EBADMSG)
		return err;
	if (err && err != -EALREADY)
		pci_warn(vf->pdev, "pvvf: host refused the VF's enabled ATS (%d)\n",
			 err);
	vf->report_ats = false;
	return 0;
}

/**
 * pvvf_vf_sync() - read a VF's state back from the host
 * @pv: its device
 * @vf: the VF, with its op_lock held
 * @lost: newly latched revocations (PVVF_LOST_*) are added here, for the
 *        caller to tell consumers once it dropped its locks
 *
 * A pending ATS report goes first (pvvf_vf_report_ats()).
 *
 * Return: 0, or the error of ATS_SET, of GET_STATE or of parsing its reply.
 */
int pvvf_vf_sync(struct pvvf_dev *pv, struct pvvf_vf *vf, unsigned int *lost)
{
	struct virtio_pvvf_resp_state reply;
	struct pvvf_req req = {
		.opcode = VIRTIO_PVVF_OP_GET_STATE, .vf = vf->slot,
		.reply = &reply,
	};
	struct pvvf_vf_state st;
	bool pasid, pri, stopped;
	int err;

	err = pvvf_vf_report_ats(pv, vf);
	if (!err)
		err = pvvf_dev_request(pv, &req);
	if (!err)
		err = pvvf_proto_parse_state(&reply.state, &st);
	if (err) {
		dev_warn_ratelimited(&vf->pdev->dev, "pvvf: GET_STATE failed (%d)\n",
				     err);
		return err;
	}
	spin_lock_irq(&vf->lock);
	pasid = vf->order.pasid_revoked;
	pri = vf->order.pri_revoked;
	pvvf_order_sync(&vf->order, &st);
	*lost |= pvvf_vf_revocations(vf, pasid, pri);
	stopped = !pvvf_order_check_stopped(&vf->order);
	spin_unlock_irq(&vf->lock);
	if (stopped)
		wake_up_all(&vf->stop_wq);
	return 0;
}

/**
 * pvvf_vf_confirm_stopped() - ask the host whether the VF's PRI stopped
 * @pv: its device
 * @vf: the VF, with its op_lock held
 * @lost: as for pvvf_vf_sync()
 *
 * A PRI_STOPPED event only wakes (docs/spec.md 6.8.2); this is the
 * confirmation, with PRI_STATUS, or GET_STATE if the device lacks it.
 * Waiters are woken when it is confirmed.
 *
 * Return: true if PRI is disabled and stopped.
 */
bool pvvf_vf_confirm_stopped(struct pvvf_dev *pv, struct pvvf_vf *vf,
			     unsigned int *lost)
{
	struct virtio_pvvf_resp_pri_status reply;
	struct pvvf_req req = {
		.opcode = VIRTIO_PVVF_OP_PRI_STATUS, .vf = vf->slot,
		.reply = &reply,
	};
	struct pvvf_pri_status ps;
	bool stopped;

	if (!(pv->opcodes & BIT_ULL(VIRTIO_PVVF_OP_PRI_STATUS)) ||
	    !pv->has_pri) {
		if (pvvf_vf_sync(pv, vf, lost))
			return false;
		spin_lock_irq(&vf->lock);
		stopped = !pvvf_order_check_stopped(&vf->order);
		spin_unlock_irq(&vf->lock);
		return stopped;
	}
	if (pvvf_dev_request(pv, &req) ||
	    pvvf_proto_parse_pri_status(&reply, &ps))
		return false;
	spin_lock_irq(&vf->lock);
	stopped = pvvf_order_pri_status(&vf->order, ps.status);
	spin_unlock_irq(&vf->lock);
	if (stopped)
		wake_up_all(&vf->stop_wq);
	return stopped;
}

/* ---- the table scan ---- */

static bool pvvf_vf_is_gone(struct pvvf_vf *vf)
{
	bool gone;

	spin_lock_irq(&vf->lock);
	gone = vf->order.gone;
	spin_unlock_irq(&vf->lock);
	return gone;
}

static bool pvvf_desc_same_vf(const struct pvvf_vf_desc *a,
			      const struct pvvf_vf_desc *b)
{
	return a->segment == b->segment && a->root_bus == b->root_bus &&
	       a->path_len == b->path_len &&
	       !memcmp(a->path, b->path, a->path_len) &&
	       a->vendor_id == b->vendor_id && a->device_id == b->device_id &&
	       a->pf_id == b->pf_id && a->vf_index == b->vf_index;
}

/* Would a pending view of @a present what @b describes? */
static bool pvvf_desc_same_view(const struct pvvf_vf_desc *a,
				const struct pvvf_vf_desc *b)
{
	return pvvf_desc_same_vf(a, b) && a->flags == b->flags &&
	       a->cap_offset == b->cap_offset &&
	       a->pasid_max_width == b->pasid_max_width &&
	       a->pasid_features == b->pasid_features &&
	       a->pri_capacity == b->pri_capacity &&
	       a->pri_status == b->pri_status && a->ats_stu == b->ats_stu;
}

/* New values for an attached VF (PF_STATE with VALUES). */
static void pvvf_vf_update_desc(struct pvvf_dev *pv, struct pvvf_vf *vf,
				const struct pvvf_vf_desc *desc)
{
	struct pvvf_order_caps caps;

	pvvf_order_caps_of(pv, desc, &caps);
	spin_lock_irq(&vf->lock);
	vf->desc = *desc;
	pvvf_order_set_caps(&vf->order, &caps);
	spin_unlock_irq(&vf->lock);
}

/*
 * Whether a request's error ends the scan: a silent device (each request
 * would wait out its timeout, with table_lock held) or a broken one.  The
 * request engine fails with -ENODEV only while removing is set (before
 * pvvf_start(), and from pvvf_quiesce() on);
 * an ENODEV status from the device is an answer (an empty slot).
 */
static int pvvf_scan_stop(struct pvvf_dev *pv, int err)
{
	if (READ_ONCE(pv->removing))
		return -ESHUTDOWN;
	if (err != -ETIMEDOUT)
		return 0;
	dev_warn_ratelimited(&pv->vdev->dev,
			     "request timed out: scan stopped, state kept\n");
	return err;
}

/* GET_VF one slot.  Return: 0, or the error that ends the scan. */
static int pvvf_scan_slot(struct pvvf_dev *pv, u32 slot,
			  struct list_head *batch)
{
	struct pvvf_slot *s = &pv->slots[slot];
	struct virtio_pvvf_vf_desc raw;
	struct pvvf_vf_desc desc;
	int err;

	err = pvvf_vf_fetch_desc(pv, slot, &raw);
	if (pvvf_scan_stop(pv, err))
		return pvvf_scan_stop(pv, err);
	if (err == -ENODEV) {
		if (s->vf)
			pvvf_vf_detach(pv, slot, "slot emptied", batch);
		pvvf_tp_drop(pv, slot);
		s->valid = false;
		return 0;
	}
	if (err) {
		/* Keep what works; the next scan or event tries again. */
		dev_warn_ratelimited(&pv->vdev->dev, "slot %u: GET_VF failed (%d)\n",
				     slot, err);
		return 0;
	}
	err = pvvf_proto_parse_vf_desc(&raw, pv->has_cap_offset, &desc);
	if (err) {
		/* docs/spec.md 6.4.3: log the refusal, leave it unattached. */
		if (s->vf)
			pvvf_vf_detach(pv, slot, "descriptor refused", batch);
		pvvf_tp_drop(pv, slot);
		if (!s->refused)
			dev_warn(&pv->vdev->dev, "slot %u: descriptor refused (%d)\n",
				 slot, err);
		s->refused = true;
		s->valid = false;
		return 0;
	}
	if (s->vf && !pvvf_desc_same_vf(&s->desc, &desc)) {
		/* docs/spec.md 5.1: a slot is never reused while running. */
		if (!pv->allow_reuse)
			dev_err(&pv->vdev->dev, "slot %u reused for another VF; refused\n",
				slot);
		pvvf_vf_detach(pv, slot, "slot changed", batch);
		pvvf_tp_drop(pv, slot);
		s->refused = !pv->allow_reuse;
	} else if (s->vf) {
		pvvf_vf_update_desc(pv, s->vf, &desc);
	} else if (s->view && !pvvf_desc_same_view(&s->desc, &desc)) {
		/* A pending view of old values: the attach work makes it anew. */
		pvvf_tp_drop(pv, slot);
	}
	s->desc = desc;
	s->valid = true;
	return 0;
}

/*
 * GET_STATE an attached VF; detach it if its PF is gone.
 * Return: 0, or the error that ends the scan.
 */
static int pvvf_scan_sync(struct pvvf_dev *pv, u32 slot,
			  struct list_head *batch)
{
	struct pvvf_vf *vf = pv->slots[slot].vf;
	unsigned int lost = 0;
	int err;

	mutex_lock(&vf->op_lock);
	err = pvvf_vf_sync(pv, vf, &lost);
	mutex_unlock(&vf->op_lock);
	pvvf_notice_add(batch, vf, lost);
	if (pvvf_scan_stop(pv, err))
		return pvvf_scan_stop(pv, err);
	if (!err && pvvf_vf_is_gone(vf)) {
		/* GET_STATE: the slot is empty or its PF is gone. */
		pvvf_notice_add(batch, vf, BIT(PVVF_EVENT_PF_REMOVED));
		pvvf_vf_detach(pv, slot, "PF gone", batch);
		pvvf_tp_drop(pv, slot);
		pv->slots[slot].pf_gone = true;
	}
	return 0;
}

/* Read num_vfs; stop using the slots above it (docs/spec.md 5.2). */
static void pvvf_scan_config(struct pvvf_dev *pv, struct list_head *batch)
{
	struct pvvf_config cfg;
	struct pvvf_vf *vf;
	u16 num;
	u32 slot;
	int err;

	err = pvvf_dev_read_config(pv, &cfg);
	if (err) {
		dev_warn_ratelimited(&pv->vdev->dev,
				     "config refused (%d): num_vfs kept at %u\n",
				     err, pv->num_vfs);
		return;
	}
	if (pv->allow_reuse)
		pv->num_vfs_limit = VIRTIO_PVVF_MAX_VFS;
	err = pvvf_proto_num_vfs(&pv->num_vfs_limit,
				 pv->allow_reuse ? 0 : pv->num_vfs,
				 cfg.num_vfs, &num);
	if (err)
		dev_err(&pv->vdev->dev,
			"device error: num_vfs shrank from %u to %u; slots %u and up unused until reset\n",
			pv->num_vfs, cfg.num_vfs, cfg.num_vfs);
	for (slot = 0; pv->allow_reuse && slot < num; slot++) {
		/* After a reset every slot gets a fresh chance... */
		pv->slots[slot].refused = false;
		pv->slots[slot].pf_gone = false;
		/* ...and the host forgot every VF's ATS report. */
		vf = pv->slots[slot].vf;
		if (vf) {
			mutex_lock(&vf->op_lock);
			vf->report_ats = true;
			mutex_unlock(&vf->op_lock);
		}
	}
	for (slot = num; slot < pv->num_vfs; slot++) {
		if (pv->slots[slot].vf)
			pvvf_vf_detach(pv, slot, "slot out of range", batch);
		pvvf_tp_drop(pv, slot);
		memset(&pv->slots[slot], 0, sizeof(pv->slots[slot]));
	}
	WRITE_ONCE(pv->num_vfs, num);
}

/**
 * pvvf_vf_refresh_num_vfs() - re-read num_vfs for an event beyond it
 * @pv: the device
 *
 * An event can overtake the configuration change that added its slot.
 * New slots are read by a scan, queued here.
 *
 * Return: true if num_vfs grew.
 */
bool pvvf_vf_refresh_num_vfs(struct pvvf_dev *pv)
{
	LIST_HEAD(batch);
	bool grew;
	u16 old;

	mutex_lock(&pv->table_lock);
	old = pv->num_vfs;
	pvvf_scan_config(pv, &batch);
	grew = pv->num_vfs > old;
	mutex_unlock(&pv->table_lock);
	pvvf_notice_flush(&batch);
	if (grew)
		pvvf_dev_queue_scan(pv);
	return grew;
}

/**
 * pvvf_vf_scan() - re-read the VF table and every attached VF's state
 * @pv: the device
 *
 * Runs at probe and restore, on a config change, on RESYNC, VF_TABLE and
 * malformed events, and after the attach work attached a VF.  Stops at
 * the first timeout; what it did not reach keeps its state until the next
 * scan.  Slots that resolve and are not attached go to the attach work.
 */
void pvvf_vf_scan(struct pvvf_dev *pv)
{
	bool attach = false;
	LIST_HEAD(batch);
	int err = 0;
	u32 slot;

	mutex_lock(&pv->table_lock);
	pvvf_scan_config(pv, &batch);
	for (slot = 0; slot < pv->num_vfs && !err; slot++)
		err = pvvf_scan_slot(pv, slot, &batch);
	for (slot = 0; slot < pv->num_vfs && !err; slot++) {
		if (pv->slots[slot].vf)
			err = pvvf_scan_sync(pv, slot, &batch);
	}
	for (slot = 0; slot < pv->num_vfs && !attach; slot++)
		attach = pvvf_slot_wants_attach(&pv->slots[slot]);
	if (!err)
		pv->allow_reuse = false;
	mutex_unlock(&pv->table_lock);
	pvvf_notice_flush(&batch);
	if (attach)
		pvvf_dev_queue_attach(pv);
}

/* ---- host events ---- */

static const enum pvvf_event_type pvvf_evt_map[VIRTIO_PVVF_EVT_COUNT] = {
	[VIRTIO_PVVF_EVT_PF_RESET_BEGIN] = PVVF_EVENT_PF_RESET_BEGIN,
	[VIRTIO_PVVF_EVT_PF_RESET_DONE] = PVVF_EVENT_PF_RESET_DONE,
	[VIRTIO_PVVF_EVT_VF_RESET_BEGIN] = PVVF_EVENT_VF_RESET_BEGIN,
	[VIRTIO_PVVF_EVT_VF_RESET_DONE] = PVVF_EVENT_VF_RESET_DONE,
	[VIRTIO_PVVF_EVT_PRI_STOPPED] = PVVF_EVENT_PRI_STOPPED,
	[VIRTIO_PVVF_EVT_PF_REMOVED] = PVVF_EVENT_PF_REMOVED,
};

/* Runs on the event work with no lock held: consumers are told directly. */
static void pvvf_vf_event_one(struct pvvf_dev *pv, struct pvvf_vf *vf,
			      const struct pvvf_event *evt)
{
	bool pasid, pri, stale, stopped = false;
	unsigned int lost;

	spin_lock_irq(&vf->lock);
	pasid = vf->order.pasid_revoked;
	pri = vf->order.pri_revoked;
	pvvf_order_event(&vf->order, evt);
	lost = pvvf_vf_revocations(vf, pasid, pri);
	stale = vf->order.stale;
	spin_unlock_irq(&vf->lock);

	pvvf_vf_notify_lost(vf, lost);
	lost = 0;
	if (evt->type == VIRTIO_PVVF_EVT_PRI_STOPPED) {
		mutex_lock(&vf->op_lock);
		if (vf->pv)
			stopped = pvvf_vf_confirm_stopped(pv, vf, &lost);
		mutex_unlock(&vf->op_lock);
		pvvf_vf_notify_lost(vf, lost);
		if (stopped)
			pvvf_notify(PVVF_EVENT_PRI_STOPPED, vf->pdev);
		return;
	}
	if (evt->type == VIRTIO_PVVF_EVT_PF_STATE &&
	    evt->detail & VIRTIO_PVVF_DETAIL_VALUES)
		pvvf_dev_queue_scan(pv);
	else if (stale)
		pvvf_vf_read_back(vf);
	if (evt->type != VIRTIO_PVVF_EVT_PF_STATE)
		pvvf_notify(pvvf_evt_map[evt->type], vf->pdev);
}

int pvvf_vf_ack(struct pvvf_dev *pv, u32 seq)
{
	struct pvvf_req req = {
		.opcode = VIRTIO_PVVF_OP_EVENT_ACK,
		.vf = VIRTIO_PVVF_VF_NONE, .args.value = seq,
	};
	int err = pvvf_dev_request(pv, &req);

	if (err)
		dev_warn_ratelimited(&pv->vdev->dev,
				     "EVENT_ACK %u failed (%d)\n", seq, err);
	return err;
}

/*
 * The device refused the acknowledgment of a reset it announced: it has
 * no such reset waiting on this driver (pvvf_order_ack_refused()).  Read
 * the state back, and tell consumers the reset is over if it is, so that a
 * reset that never was does not leave the VF refusing every operation.
 */
static void pvvf_vf_ack_refused(struct pvvf_dev *pv, struct pvvf_vf *vf,
				u16 type)
{
	unsigned int lost = 0;
	bool forgot, over;

	spin_lock_irq(&vf->lock);
	forgot = pvvf_order_ack_refused(&vf->order, type);
	spin_unlock_irq(&vf->lock);
	if (!forgot)
		return;
	mutex_lock(&vf->op_lock);
	if (vf->pv)
		pvvf_vf_sync(pv, vf, &lost);
	spin_lock_irq(&vf->lock);
	over = !vf->order.pf_reset && !vf->order.vf_reset;
	spin_unlock_irq(&vf->lock);
	mutex_unlock(&vf->op_lock);
	pci_info_ratelimited(vf->pdev, "pvvf: the host has no reset waiting on this VF; state read back, %s\n",
			     over ? "no reset in progress" : "a PF reset in progress");
	pvvf_vf_notify_lost(vf, lost);
	if (over)
		pvvf_notify(type == VIRTIO_PVVF_EVT_PF_RESET_BEGIN ?
			    PVVF_EVENT_PF_RESET_DONE : PVVF_EVENT_VF_RESET_DONE,
			    vf->pdev);
}

/**
 * pvvf_vf_event() - act on a checked host event (docs/spec.md 6.9)
 * @pv: the device
 * @evt: the event
 *
 * Consumers are told before the event is acknowledged, so a reset waits
 * for them to quiesce.
 */
void pvvf_vf_event(struct pvvf_dev *pv, const struct pvvf_event *evt)
{
	struct pvvf_vf *vf = NULL;
	LIST_HEAD(batch);

	switch (evt->type) {
	case VIRTIO_PVVF_EVT_RESYNC:
	case VIRTIO_PVVF_EVT_VF_TABLE:
		pvvf_dev_queue_scan(pv);
		break;
	default:
		vf = pvvf_slot_vf_get(pv, evt->vf);
		if (vf)
			pvvf_vf_event_one(pv, vf, evt);
		break;
	}
	if (vf && evt->type == VIRTIO_PVVF_EVT_PF_REMOVED) {
		mutex_lock(&pv->table_lock);
		if (evt->vf < pv->num_vfs && pv->slots[evt->vf].vf == vf) {
			pvvf_vf_detach(pv, evt->vf, "PF removed", &batch);
			pvvf_tp_drop(pv, evt->vf);
			pv->slots[evt->vf].pf_gone = true;
		}
		mutex_unlock(&pv->table_lock);
		pvvf_notice_flush(&batch);
	}
	if (evt->flags & VIRTIO_PVVF_EVT_F_ACK &&
	    pvvf_vf_ack(pv, evt->seq) == -EINVAL && vf)
		pvvf_vf_ack_refused(pv, vf, evt->type);
	if (vf)
		pvvf_vf_put(vf);
}

/* ---- VFs that appear or go after pvvf loaded ---- */

/*
 * A function was added: the attach work looks at it once device_add() is
 * over (pvvf_vf_attach_all()).  No table_lock here: the notifier runs for
 * every PCI function, inside device_add().
 */
static void pvvf_bus_add(void)
{
	struct pvvf_dev *pv;

	mutex_lock(&pvvf_devs_lock);
	list_for_each_entry(pv, &pvvf_devs, node)
		pvvf_dev_queue_attach(pv);
	mutex_unlock(&pvvf_devs_lock);
}

/*
 * Only an attached VF is looked up further; DETACHED is told on return.
 * The attach work, which runs once the removal is over (it takes the
 * rescan lock), readies the slot for the function's return (pvvf_tp_pend()).
 */
static void pvvf_bus_del(struct pci_dev *pdev)
{
	struct pvvf_vf *vf = pvvf_vf_get(pdev);
	struct pvvf_dev *pv;
	LIST_HEAD(batch);

	if (!vf)
		return;
	mutex_lock(&pvvf_devs_lock);
	list_for_each_entry(pv, &pvvf_devs, node) {
		mutex_lock(&pv->table_lock);
		if (vf->slot < pv->num_vfs && pv->slots[vf->slot].vf == vf) {
			pvvf_vf_detach(pv, vf->slot, "function removed",
				       &batch);
			pvvf_dev_queue_attach(pv);
		}
		mutex_unlock(&pv->table_lock);
	}
	mutex_unlock(&pvvf_devs_lock);
	pvvf_notice_flush(&batch);
	pvvf_vf_put(vf);
}

static int pvvf_bus_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	if (action == BUS_NOTIFY_ADD_DEVICE) {
		pvvf_tp_added(to_pci_dev(data));
		pvvf_bus_add();
	} else if (action == BUS_NOTIFY_DEL_DEVICE) {
		pvvf_bus_del(to_pci_dev(data));
	}
	return NOTIFY_DONE;
}

/*
 * Before the DMAR (1) and IOMMU core (0) notifiers: a function pvvf is
 * re-enumerating is made ready for PASID (pvvf_tp_added()) before the
 * IOMMU probes it, and a VF is detached before the IOMMU releases it.
 */
static struct notifier_block pvvf_bus_nb = {
	.notifier_call = pvvf_bus_notify,
	.priority = 10,
};

int pvvf_vf_bus_register(void)
{
	return bus_register_notifier(&pci_bus_type, &pvvf_bus_nb);
}

void pvvf_vf_bus_unregister(void)
{
	bus_unregister_notifier(&pci_bus_type, &pvvf_bus_nb);
}
