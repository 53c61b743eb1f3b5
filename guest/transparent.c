// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf: transparent mode - when a VF gets synthesized PASID and PRI
 * capabilities, and how the PCI core and the IOMMU come to see them.
 *
 * The capabilities themselves are cap.c (registers) and cfg_ops.c (the bus
 * config-ops wrapper).  This file decides, per attached VF, whether they
 * apply (the transparent parameter, the host's free offset, extended
 * config space), and makes the IOMMU see them at its probe, which it does
 * once, from its BUS_NOTIFY_ADD_DEVICE notifier.  VFs are attached by
 * pvvf's attach work, after device_add(), so after that probe: a VF that
 * gets its capabilities at attach is removed and rescanned under the
 * rescan lock, from a work item (if a driver is bound to it, the
 * reenumerate_bound parameter decides).  Across that, the capabilities
 * stay with the bus and devfn, carrying the VF's state: the new function
 * is enumerated with them (pci_init_capabilities() reads them through the
 * wrapper), pvvf's bus notifier, which runs before the IOMMU's, prepares
 * it for pci_enable_pasid(), and the IOMMU's probe reaches the host before
 * the VF is attached again.
 *
 * A VF hot-added after pvvf loaded is not re-enumerated: the host's slot
 * table describes it before it is there, so pvvf makes its view first, a
 * pending one on the bus and devfn its locator names (pvvf_tp_pend()), and
 * the PCI core enumerates it with its capabilities the first time.
 *
 * See docs/design.md, "Transparent mode".
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/workqueue.h>

#include "cfg_ops.h"
#include "internal.h"
#include "locator.h"

static bool transparent = true;
module_param(transparent, bool, 0444);
MODULE_PARM_DESC(transparent,
		 "Present synthesized PASID/PRI capabilities on VFs whose host offers a free config offset (default: on)");

static bool reenumerate_bound;
module_param(reenumerate_bound, bool, 0644);
MODULE_PARM_DESC(reenumerate_bound,
		 "Remove and rescan a VF whose driver is already bound, so the IOMMU sees its capabilities (default: off, the VF keeps its driver and only the explicit API applies)");

struct pvvf_tp_reenum {
	struct work_struct work;
	struct pci_dev *pdev;		/* referenced */
};

/*
 * A config write found the VF's state unknown: read it back, as the API
 * would before its next operation, and tell consumers what it revealed.
 * The view's VF stays valid while this runs: unlinking waits for it.
 */
static void pvvf_tp_resync(struct work_struct *work)
{
	struct pvvf_cfg_view *v = container_of(work, struct pvvf_cfg_view,
					       resync_work);
	struct pvvf_vf *vf;

	rcu_read_lock();
	vf = rcu_dereference(v->vf);
	if (vf && !kref_get_unless_zero(&vf->ref))
		vf = NULL;
	rcu_read_unlock();
	if (!vf)
		return;
	pvvf_vf_read_back(vf);
	pvvf_vf_put(vf);
}

/**
 * pvvf_tp_added() - a function was added (BUS_NOTIFY_ADD_DEVICE)
 * @pdev: the function
 *
 * pci_enable_pasid() needs eetlp_prefix_path or pasid_no_tlp.  The VF's
 * PASID-carrying TLPs travel the host's physical path, which the host
 * vetted when it offered PASID; the guest's root ports and bridges are
 * emulated and carry none of them, so eetlp_prefix_path (computed from
 * their Device Capabilities 2) says nothing about it.  pasid_no_tlp is the
 * PCI core's flag for "PASID works without the guest-visible path
 * supporting TLP prefixes".  It is set from BUS_NOTIFY_ADD_DEVICE, before
 * the IOMMU probes and before any driver can bind, while nothing else
 * writes the pci_dev's flag word, on the functions pvvf re-enumerates and
 * on those enumerated through a pending view (a hot-added VF).
 *
 * Context: the bus notifier, before the IOMMU's; usually under the rescan
 * lock.
 */
void pvvf_tp_added(struct pci_dev *pdev)
{
	if (transparent && pvvf_cfg_enumerates_pasid(pdev->bus, pdev->devfn))
		pdev->pasid_no_tlp = 1;
}

/*
 * Read the VF's state back before it is removed: the view carries it over
 * to the new function (pvvf_cfg_hold()), whose IOMMU probe acts on it
 * before the VF is attached again and can be read back itself.
 */
static void pvvf_tp_settle(struct pci_dev *pdev)
{
	struct pvvf_vf *vf = pvvf_vf_get(pdev);

	if (!vf)
		return;
	pvvf_vf_read_back(vf);
	pvvf_vf_put(vf);
}

static void pvvf_tp_reenum_work(struct work_struct *work)
{
	struct pvvf_tp_reenum *re = container_of(work, struct pvvf_tp_reenum,
						 work);
	struct pci_dev *pdev = re->pdev;
	struct pci_bus *bus = pdev->bus;
	struct device_driver *drv;

	pci_lock_rescan_remove();
	drv = READ_ONCE(pdev->dev.driver);
	if (!device_is_registered(&pdev->dev) || !pvvf_is_vf(pdev)) {
		/* Gone, or no longer ours, since the work was queued. */
	} else if (!device_iommu_mapped(&pdev->dev)) {
		/* PASID and PRI mean nothing without an IOMMU to use them. */
		pci_info(pdev, "pvvf: transparent: no IOMMU translates for it; not re-enumerated\n");
	} else if (drv && !READ_ONCE(reenumerate_bound)) {
		pci_info(pdev, "pvvf: transparent: driver %s bound; not re-enumerated (reenumerate_bound=0), explicit API only\n",
			 drv->name);
	} else if (pvvf_cfg_set_reenumerating(bus, pdev->devfn)) {
		pvvf_tp_settle(pdev);
		pci_info(pdev, "pvvf: transparent: re-enumerating\n");
		pci_stop_and_remove_bus_device(pdev);
		pci_rescan_bus(bus);
	}
	pci_unlock_rescan_remove();
	pci_dev_put(pdev);
	kfree(re);
}

static void pvvf_tp_reenumerate(struct pci_dev *pdev)
{
	struct pvvf_tp_reenum *re = kzalloc(sizeof(*re), GFP_KERNEL);

	if (!re)
		return;
	INIT_WORK(&re->work, pvvf_tp_reenum_work);
	re->pdev = pci_dev_get(pdev);
	queue_work(pvvf_wq, &re->work);
}

/* Say once per slot why a VF whose PF offers PASID or PRI has no caps. */
static void pvvf_tp_say(struct pvvf_slot *s, struct pci_dev *pdev,
			const char *why, int err)
{
	if (s->tp_said)
		return;
	s->tp_said = true;
	if (err)
		pci_info(pdev, "pvvf: transparent: %s (%d), explicit API only\n",
			 why, err);
	else
		pci_info(pdev, "pvvf: transparent: %s, explicit API only\n",
			 why);
}

/* The capability offsets the PCI core recorded for @pdev (0: none). */
static u16 pvvf_tp_pdev_pasid_cap(struct pci_dev *pdev)
{
#ifdef CONFIG_PCI_PASID
	return pdev->pasid_cap;
#else
	return 0;
#endif
}

static u16 pvvf_tp_pdev_pri_cap(struct pci_dev *pdev)
{
#ifdef CONFIG_PCI_PRI
	return pdev->pri_cap;
#else
	return 0;
#endif
}

/*
 * A pending view's function is being attached: was it enumerated with the
 * capabilities?  Return: 1 if its pci_dev records them where the view
 * placed them; 0 if the view is placed but the pci_dev does not know them
 * (the PCI core had latched them before); -EAGAIN if the view was never
 * placed; the error that refused the placement.
 */
static int pvvf_tp_enumerated(struct pvvf_cfg_view *v, struct pci_dev *pdev)
{
	const struct pvvf_cap_layout *l = &v->layout;
	int err = pvvf_cfg_placed(v);

	if (err)
		return err;
	return pvvf_tp_pdev_pasid_cap(pdev) ==
		       (l->pasid ? l->off + PVVF_CAP_PASID : 0) &&
	       pvvf_tp_pdev_pri_cap(pdev) ==
		       (l->pri ? l->off + PVVF_CAP_PRI : 0);
}

/**
 * pvvf_tp_attach() - give an attached VF its synthesized capabilities
 * @pv: its device
 * @vf: the VF, just attached to @pv's slot
 *
 * A VF enumerated through its slot's pending view (hot-added) takes it
 * over as it is; one pvvf re-enumerated takes its view over, with the
 * state carried across; a VF whose capabilities are new is re-enumerated.
 *
 * Context: process context, under the rescan lock and @pv->table_lock.
 */
void pvvf_tp_attach(struct pvvf_dev *pv, struct pvvf_vf *vf)
{
	struct pvvf_slot *s = &pv->slots[vf->slot];
	struct pci_dev *pdev = vf->pdev;
	struct pvvf_cap_layout l;
	struct pvvf_cfg_view *v;
	bool fresh = false;
	int err;

	if (!transparent || (!vf->order.caps.pasid && !vf->order.caps.pri))
		return;
	/*
	 * pci_user_*() call the accessors under the raw pci_lock, and they
	 * take spinlock_t locks and add to a virtqueue: invalid where
	 * spinlock_t sleeps.
	 */
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		pvvf_tp_say(s, pdev, "not on PREEMPT_RT kernels", 0);
		return;
	}
	if (!vf->desc.cap_offset) {
		pvvf_tp_say(s, pdev, "no free config offset", 0);
		return;
	}
	if (pdev->cfg_size <= PCI_CFG_SPACE_SIZE) {
		pvvf_tp_say(s, pdev, "no extended config space", 0);
		pvvf_tp_drop(pv, vf->slot);
		return;
	}
	v = s->view;
	if (v && (v->bus != pdev->bus || v->devfn != pdev->devfn)) {
		/* Same locator, another bus: the old one went away. */
		pvvf_tp_drop(pv, vf->slot);
		v = NULL;
	}
	if (v && v->pending && !pvvf_cfg_reenumerating(v)) {
		err = pvvf_tp_enumerated(v, pdev);
		if (err == 1) {
			pvvf_cfg_link(v, vf);
			WRITE_ONCE(vf->cap_offset, vf->desc.cap_offset);
			pci_info(pdev, "pvvf: transparent: PASID/PRI capabilities at %#x, enumerated with them\n",
				 vf->desc.cap_offset);
			return;
		}
		if (err < 0 && err != -EAGAIN) {
			pvvf_tp_say(s, pdev, "capabilities not placed", err);
			pvvf_tp_drop(pv, vf->slot);
			return;
		}
		if (err == -EAGAIN) {
			/* Its extended config space was never read. */
			pvvf_tp_drop(pv, vf->slot);
			v = NULL;
		} else {
			/* Placed, but its pci_dev does not know them. */
			fresh = true;
			pci_info(pdev, "pvvf: transparent: PASID/PRI capabilities at %#x\n",
				 vf->desc.cap_offset);
		}
	}
	if (!v) {
		err = pvvf_cfg_layout(pdev->bus, pdev->devfn,
				      vf->desc.cap_offset, &vf->order.caps,
				      vf->desc.pasid_max_width,
				      vf->desc.pri_status, &l);
		v = err ? ERR_PTR(err) :
			  pvvf_cfg_add(pdev->bus, pdev->devfn, &l,
				       pvvf_tp_resync);
		if (IS_ERR(v)) {
			pvvf_tp_say(s, pdev, "capabilities not placed",
				    PTR_ERR(v));
			return;
		}
		s->view = v;
		fresh = true;
		pci_info(pdev, "pvvf: transparent: PASID/PRI capabilities at %#x\n",
			 vf->desc.cap_offset);
	}
	pvvf_cfg_link(v, vf);
	WRITE_ONCE(vf->cap_offset, vf->desc.cap_offset);
	if (fresh)
		pvvf_tp_reenumerate(pdev);
}

/*
 * A pending view is kept only while what it would place is what the slot
 * says now: a device reset may have renegotiated the PF's capabilities.
 */
static bool pvvf_tp_want_same(const struct pvvf_cfg_want *a,
			      const struct pvvf_cfg_want *b)
{
	return a->id == b->id && a->off == b->off &&
	       a->pasid_width == b->pasid_width &&
	       a->pri_status == b->pri_status &&
	       a->caps.pasid == b->caps.pasid && a->caps.pri == b->caps.pri &&
	       a->caps.pasid_features == b->caps.pasid_features &&
	       a->caps.pri_capacity == b->caps.pri_capacity &&
	       a->caps.ats_stu == b->caps.ats_stu;
}

/**
 * pvvf_tp_pend() - ready a slot's capabilities before its VF is there
 * @pv: the device
 * @slot: a slot with no VF attached
 *
 * If the slot's locator names a devfn on a bus that exists and no function
 * is there, the slot gets a pending view there (pvvf_cfg_add_pending()):
 * a VF hot-added later is enumerated with its capabilities, and its
 * IOMMU's probe reaches the host with the slot's state, before pvvf
 * attaches it.  A view a function used and left (it was removed) is made
 * anew, and one whose bus is no longer the locator's goes.  A pending view
 * that never gets a function costs only its memory.
 *
 * Context: process context, under the rescan lock and @pv->table_lock.
 */
void pvvf_tp_pend(struct pvvf_dev *pv, u32 slot)
{
	struct pvvf_slot *s = &pv->slots[slot];
	struct pvvf_cfg_view *v = s->view;
	struct pvvf_cfg_want w = {
		.id = s->desc.vendor_id | (u32)s->desc.device_id << 16,
		.off = s->desc.cap_offset,
	};
	struct pci_dev *pdev = NULL;
	struct pci_bus *bus;
	unsigned int devfn;

	lockdep_assert_held(&pv->table_lock);
	if (!transparent || IS_ENABLED(CONFIG_PREEMPT_RT) || !s->valid ||
	    s->refused || s->pf_gone || s->vf || !s->desc.cap_offset)
		return;
	pvvf_order_caps_of(pv, &s->desc, &w.caps);
	if (!w.caps.pasid && !w.caps.pri)
		return;
	bus = pvvf_locator_bus(&s->desc);
	devfn = s->desc.path[s->desc.path_len - 1];
	if (bus)
		pdev = pci_get_slot(bus, devfn);
	if (pdev) {
		/* There and not attached: attaching it decides. */
		pci_dev_put(pdev);
		return;
	}
	w.pasid_width = s->desc.pasid_max_width;
	w.pri_status = s->desc.pri_status;
	if (v && v->pending && v->bus == bus && v->devfn == devfn &&
	    pvvf_cfg_placed(v) == -EAGAIN && pvvf_tp_want_same(&v->want, &w))
		return;
	pvvf_tp_drop(pv, slot);
	if (!bus)
		return;
	v = pvvf_cfg_add_pending(bus, devfn, &w, pvvf_tp_resync, pv, slot);
	if (IS_ERR(v)) {
		if (!s->tp_pend_said)
			dev_info(&pv->vdev->dev, "slot %u: transparent: no pending capabilities (%ld)\n",
				 slot, PTR_ERR(v));
		s->tp_pend_said = true;
		return;
	}
	s->view = v;
}

/*
 * A pending view keeps the state of a VF that goes, for the IOMMU's
 * release, which disables PASID after the detach.  A state that must be
 * read back first (the VF's first GET_STATE not done yet, a timeout)
 * would refuse that disable, and the host would keep PASID on for a
 * function that is gone: read it back now.  What it reveals is not told:
 * the VF is being detached.
 */
static void pvvf_tp_read_back(struct pvvf_dev *pv, struct pvvf_vf *vf)
{
	unsigned int lost = 0;
	bool stale;

	spin_lock_irq(&vf->lock);
	stale = vf->order.stale;
	spin_unlock_irq(&vf->lock);
	if (!stale)
		return;
	mutex_lock(&vf->op_lock);
	pvvf_vf_sync(pv, vf, &lost);
	mutex_unlock(&vf->op_lock);
}

/**
 * pvvf_tp_detach() - a VF is being detached from its slot
 * @pv: its device
 * @vf: the VF
 *
 * The capabilities stay, with the VF's state (pvvf_cfg_hold()), while
 * pvvf itself removes the function to find it again, and when they were
 * made before the function was there (a pending view): the IOMMU's
 * release, after the detach, disables PASID through them, and the next
 * attach work makes the view anew once the function is gone.  Otherwise
 * they go with the VF.
 *
 * Context: process context, under @pv->table_lock.  Returns once no config
 * accessor uses @vf.
 */
void pvvf_tp_detach(struct pvvf_dev *pv, struct pvvf_vf *vf)
{
	struct pvvf_cfg_view *v = pv->slots[vf->slot].view;

	if (!v)
		return;
	WRITE_ONCE(vf->cap_offset, 0);
	if (v->pending && !READ_ONCE(pv->removing))
		pvvf_tp_read_back(pv, vf);
	if (v->pending || pvvf_cfg_reenumerating(v))
		pvvf_cfg_hold(v, vf);
	else
		pvvf_tp_drop(pv, vf->slot);
}

/**
 * pvvf_tp_drop() - stop presenting a slot's capabilities
 * @pv: the device
 * @slot: the slot; its VF, if any, is detached first
 *
 * Context: process context, under @pv->table_lock.
 */
void pvvf_tp_drop(struct pvvf_dev *pv, u32 slot)
{
	struct pvvf_cfg_view *v = pv->slots[slot].view;

	if (!v)
		return;
	pv->slots[slot].view = NULL;
	pvvf_cfg_unlink(v);
	pvvf_cfg_remove(v);
}
