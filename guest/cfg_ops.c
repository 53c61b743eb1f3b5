// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf: the PCI bus config-ops wrapper of transparent mode.
 *
 * Unmodified PCI code (pci_find_ext_capability(), pci_enable_pasid(), the
 * IOMMU drivers) reaches a VF's configuration space through its bus's
 * struct pci_ops.  pvvf gives such a bus a copy of its ops with read and
 * write replaced: accesses to a VF's synthesized capabilities (cap.c), and
 * to the header that links to them, are served here; a write that changes
 * the Enable of the VF's own ATS capability is reported to the host around
 * it (docs/spec.md 6.7.1); everything else,
 * every other devfn, and the copied map_bus of ECAM-style ops, goes to the
 * original ops.  One wrapper per bus, shared by its VFs.
 *
 * The accessors run in any context: on x86 (PCI_LOCKLESS_CONFIG) the
 * kernel's calls take no lock, and pci_user_{read,write}_config_*() hold
 * the raw pci_lock with interrupts off.  So the wrapper never sleeps:
 * reads come from the VF's state under its spinlock, and a control write
 * becomes a host request on the non-sleeping, bounded poll path.
 *
 * A view can be made before its function exists (a VF hot-added after
 * pvvf loaded, pvvf_cfg_add_pending()); it places the capabilities itself,
 * from the accessor, on the function's first extended config access, so
 * that the PCI core enumerates the function with them.
 */
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "cfg_ops.h"
#include "internal.h"

/* One wrapped bus. */
struct pvvf_cfg_bus {
	struct pci_bus *bus;
	struct pci_ops ops;		/* the copy bus->ops points at */
	struct pci_ops *orig;
	unsigned int users;		/* views; under pvvf_cfg_lock */
	struct pvvf_cfg_view __rcu *views[256];	/* by devfn */
};

static DEFINE_MUTEX(pvvf_cfg_lock);	/* wrapping, views, links */
static DEFINE_XARRAY(pvvf_cfg_buses);	/* pci_bus -> pvvf_cfg_bus; RCU reads */

static const u16 pvvf_cfg_opcode[PVVF_OP_COUNT] = {
	[PVVF_OP_ATS_ENABLE] = VIRTIO_PVVF_OP_ATS_SET,
	[PVVF_OP_ATS_DISABLE] = VIRTIO_PVVF_OP_ATS_SET,
	[PVVF_OP_PASID_ENABLE] = VIRTIO_PVVF_OP_PASID_ENABLE,
	[PVVF_OP_PASID_DISABLE] = VIRTIO_PVVF_OP_PASID_DISABLE,
	[PVVF_OP_PRI_ENABLE] = VIRTIO_PVVF_OP_PRI_ENABLE,
	[PVVF_OP_PRI_DISABLE] = VIRTIO_PVVF_OP_PRI_DISABLE,
	[PVVF_OP_PRI_RESET] = VIRTIO_PVVF_OP_PRI_RESET,
};

/* ---- the accessors: never sleep ---- */

/*
 * Whose ordering state an access uses: the attached VF's, or, while pvvf
 * re-enumerates the function, the state carried over from the VF that was
 * removed (pvvf_cfg_hold()), so that the IOMMU's probe of the new function,
 * which comes before the VF is attached again, reaches the host.
 */
struct pvvf_cfg_target {
	struct pvvf_order *order;
	spinlock_t *lock;		/* the one that guards @order */
	struct pvvf_dev *pv;
	u32 slot;
	bool attached;			/* a VF's: it can be read back */
};

/* Under rcu_read_lock(). */
static bool pvvf_cfg_target(struct pvvf_cfg_view *v, struct pvvf_cfg_target *t)
{
	struct pvvf_vf *vf = rcu_dereference(v->vf);

	if (vf) {
		t->order = &vf->order;
		t->lock = &vf->lock;
		t->pv = READ_ONCE(vf->pv);
		t->slot = vf->slot;
		t->attached = true;
		return true;
	}
	/* @vf before @held_pv: pairs with pvvf_cfg_hold()'s smp_wmb(). */
	smp_rmb();
	t->pv = rcu_dereference(v->held_pv);
	t->order = &v->held;
	t->lock = &v->held_lock;
	t->slot = v->held_slot;
	t->attached = false;
	return t->pv;
}

/* The registers as the guest reads them now.  Under rcu_read_lock(). */
static void pvvf_cfg_regs(struct pvvf_cfg_view *v,
			  const struct pvvf_cfg_target *t,
			  struct pvvf_cap_regs *r)
{
	u32 latch = READ_ONCE(v->alloc_latch);
	unsigned long flags;

	if (t) {
		spin_lock_irqsave(t->lock, flags);
		pvvf_cap_regs_of(&v->layout, t->order, latch, r);
		spin_unlock_irqrestore(t->lock, flags);
		return;
	}
	/* No VF and none held: power-on values. */
	memset(r, 0, sizeof(*r));
	if (v->layout.pri) {
		r->pri_status = PCI_PRI_STATUS_STOPPED | v->layout.pri_status_ro;
		r->pri_alloc = latch;
	}
}

/*
 * One control operation, as the API does it but without sleeping: check
 * it against the VF's ordering state, ask the host on the poll path, apply
 * the answer.  The state changes only when the host accepted, so the
 * register view never shows a refused request.  A state that must be read
 * back first (after a timeout, or an event racing an operation) cannot be
 * read back here, since a read-back may have to tell consumers about a
 * revocation: the write is refused and the read-back scheduled.
 */
static int pvvf_cfg_op(struct pvvf_cfg_view *v,
		       const struct pvvf_cfg_target *t, enum pvvf_op op, u32 arg)
{
	struct pvvf_dev *pv = t->pv;
	struct pvvf_req req = {
		.opcode = pvvf_cfg_opcode[op], .vf = t->slot,
		.args.value = arg,
	};
	unsigned long flags;
	int err, res;
	bool stale;

	if (!pv)
		return -ENODEV;
	if (op == PVVF_OP_ATS_ENABLE || op == PVVF_OP_ATS_DISABLE) {
		req.args.enable = op == PVVF_OP_ATS_ENABLE;
		req.args.stu = arg;
	}
	spin_lock_irqsave(t->lock, flags);
	err = pvvf_order_begin(t->order, op, arg);
	spin_unlock_irqrestore(t->lock, flags);
	if (err == -ESTALE && t->attached)
		schedule_work(&v->resync_work);
	if (err)
		return err;
	res = pvvf_req_submit_poll(&pv->pool, &req, PVVF_POLL_US);
	spin_lock_irqsave(t->lock, flags);
	err = pvvf_order_end(t->order, op, arg, res);
	stale = t->order->stale && !t->order->gone;
	spin_unlock_irqrestore(t->lock, flags);
	if (stale && t->attached)
		schedule_work(&v->resync_work);
	return err;
}

static void pvvf_cfg_refused(struct pvvf_cfg_view *v, enum pvvf_op op,
			     int err)
{
	pr_info_ratelimited("pvvf: %04x:%02x:%02x.%d: transparent: %s refused (%d)\n",
			    pci_domain_nr(v->bus), v->bus->number,
			    PCI_SLOT(v->devfn), PCI_FUNC(v->devfn),
			    pvvf_order_op_name(op), err);
}

static void pvvf_cfg_write_caps(struct pvvf_cfg_view *v, int where, int size,
				u32 val)
{
	struct pvvf_cfg_target t;
	struct pvvf_cap_write w;
	struct pvvf_cap_regs r;
	bool target;
	unsigned int i;
	int err;

	target = pvvf_cfg_target(v, &t);
	pvvf_cfg_regs(v, target ? &t : NULL, &r);
	pvvf_cap_decode_write(&v->layout, &r, where, size, val, &w);
	if (w.set_alloc)
		WRITE_ONCE(v->alloc_latch, w.alloc);
	for (i = 0; i < w.nr_ops; i++) {
		err = target ? pvvf_cfg_op(v, &t, w.ops[i].op, w.ops[i].arg) :
			       -ENODEV;
		if (err) {
			pvvf_cfg_refused(v, w.ops[i].op, err);
			break;
		}
	}
}

/* pvvf_ats_enable() or _disable() writing: they tell the host themselves. */
static bool pvvf_cfg_api_ats(const struct pvvf_cfg_target *t)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(t->lock, flags);
	ret = t->order->inflight == PVVF_OP_ATS_ENABLE ||
	      t->order->inflight == PVVF_OP_ATS_DISABLE;
	spin_unlock_irqrestore(t->lock, flags);
	return ret;
}

/*
 * The host hears of the VF's ATS Enable around the write that changes it
 * (docs/spec.md 6.7.1): ATS_SET(1) before setting it, and a refusal leaves
 * it clear; ATS_SET(0) after clearing it.  A disable is never refused: if
 * the ordering rules would (PRI still enabled), or the state is unknown,
 * the host is told anyway and the state read back.
 */
static int pvvf_cfg_write_ats(struct pvvf_cfg_bus *cb, struct pvvf_cfg_view *v,
			      unsigned int devfn, int where, int size, u32 val)
{
	struct pvvf_req req = { .opcode = VIRTIO_PVVF_OP_ATS_SET };
	struct pci_bus *bus = cb->bus;
	struct pvvf_cfg_target t;
	struct pvvf_cap_write w;
	unsigned long flags;
	int ret, err;
	u32 real;

	ret = cb->orig->read(bus, devfn, where & ~3, 4, &real);
	if (ret != PCIBIOS_SUCCESSFUL)
		return ret;
	pvvf_cap_decode_ats(&v->layout, real, where, size, val, &w);
	if (!w.nr_ops || !pvvf_cfg_target(v, &t) || pvvf_cfg_api_ats(&t))
		return cb->orig->write(bus, devfn, where, size, val);
	if (w.ops[0].op == PVVF_OP_ATS_ENABLE) {
		err = pvvf_cfg_op(v, &t, PVVF_OP_ATS_ENABLE, w.ops[0].arg);
		if (!err)
			return cb->orig->write(bus, devfn, where, size, val);
		pvvf_cfg_refused(v, PVVF_OP_ATS_ENABLE, err);
		return PCIBIOS_SUCCESSFUL;
	}
	ret = cb->orig->write(bus, devfn, where, size, val);
	err = pvvf_cfg_op(v, &t, PVVF_OP_ATS_DISABLE, 0);
	if (err && err != -EALREADY && err != -ENODEV) {
		spin_lock_irqsave(t.lock, flags);
		t.order->stale = true;
		t.order->gen++;
		spin_unlock_irqrestore(t.lock, flags);
		req.vf = t.slot;
		if (t.pv)
			pvvf_req_submit_poll(&t.pv->pool, &req, PVVF_POLL_US);
		if (t.attached)
			schedule_work(&v->resync_work);
	}
	return ret;
}

/* ---- placing a pending view: from the accessors ---- */

struct pvvf_cfg_orig_reader {
	struct pvvf_cfg_bus *cb;
	unsigned int devfn;
};

/* A dword of the function's real config space, through the original ops. */
static u32 pvvf_cfg_read_orig(void *ctx, int where)
{
	struct pvvf_cfg_orig_reader *rd = ctx;
	u32 val;

	if (rd->cb->orig->read(rd->cb->bus, rd->devfn, where, 4, &val) !=
	    PCIBIOS_SUCCESSFUL)
		return 0xffffffff;
	return val;
}

/*
 * Does the Vendor ID say a function answers?  Not when nothing is there
 * (all ones), nor 0, nor 0x0001, what a Configuration Request Retry
 * Status completion reads as (PCIe 2.3.2).
 */
static bool pvvf_cfg_answers(u32 id)
{
	u16 vendor = id & 0xffff;

	return vendor != 0xffff && vendor != 0 && vendor != 1;
}

/*
 * A pending view: place the capabilities now, if the function answers,
 * refusing one whose IDs are not the slot's (-ENODEV: the attach refuses
 * it too), checking its real chain as pvvf_cfg_layout() does, but through
 * the original ops: the accessor may run under the raw pci_lock, where
 * pci_bus_read_config_*() would take it again.  The walk is bounded
 * (pvvf_cap_layout_init()).  Once placed or refused it stays so; the
 * release pairs with the accessors' acquire of @placed.
 */
static int pvvf_cfg_place(struct pvvf_cfg_bus *cb, struct pvvf_cfg_view *v)
{
	struct pvvf_cfg_orig_reader rd = { .cb = cb, .devfn = v->devfn };
	const struct pvvf_cfg_want *w = &v->want;
	unsigned long flags;
	int placed, err;
	u32 id;

	raw_spin_lock_irqsave(&v->place_lock, flags);
	placed = v->placed;
	id = pvvf_cfg_read_orig(&rd, PCI_VENDOR_ID);
	if (placed == PVVF_CFG_UNPLACED && pvvf_cfg_answers(id)) {
		/* Another function than the slot describes: not the VF. */
		err = id != w->id ? -ENODEV :
		      pvvf_cap_layout_init(&v->layout, w->off, &w->caps,
					   w->pasid_width, w->pri_status,
					   pvvf_cfg_read_orig, &rd);
		v->place_err = err;
		placed = err ? PVVF_CFG_REFUSED : PVVF_CFG_PLACED;
		/* @layout before @placed: pairs with pvvf_cfg_serving(). */
		smp_store_release(&v->placed, placed);
	}
	raw_spin_unlock_irqrestore(&v->place_lock, flags);
	return placed;
}

/*
 * The view that serves an access of @devfn at @where, or NULL to pass it
 * through.  A pending view is placed on the first access to extended
 * config space (the capabilities and the link are all there), and serves
 * nothing until it is placed.  Under rcu_read_lock().
 */
static struct pvvf_cfg_view *pvvf_cfg_serving(struct pvvf_cfg_bus *cb,
					      unsigned int devfn, int where)
{
	struct pvvf_cfg_view *v;
	int placed;

	if (devfn >= ARRAY_SIZE(cb->views))
		return NULL;
	v = rcu_dereference(cb->views[devfn]);
	if (!v)
		return NULL;
	/* @placed before @layout: pairs with pvvf_cfg_place(). */
	placed = smp_load_acquire(&v->placed);
	if (placed == PVVF_CFG_UNPLACED && where >= PCI_CFG_SPACE_SIZE)
		placed = pvvf_cfg_place(cb, v);
	return placed == PVVF_CFG_PLACED ? v : NULL;
}

static int pvvf_cfg_read(struct pci_bus *bus, unsigned int devfn, int where,
			 int size, u32 *val);

/*
 * The ops to pass an access on a bus with no entry of its own to.  A bus
 * made below a wrapped one after it was wrapped (a bridge added there)
 * inherited our copy of the ops (pci_add_new_bus()): its accesses go to
 * the original ops of the ancestor whose copy it uses.  A bus whose ops
 * were restored since its caller loaded them goes to those.  Under
 * rcu_read_lock(); NULL if neither (a bug).
 */
static struct pci_ops *pvvf_cfg_passthrough(struct pci_bus *bus)
{
	struct pci_ops *ops = READ_ONCE(bus->ops);
	struct pvvf_cfg_bus *cb;
	struct pci_bus *b;

	if (ops->read != pvvf_cfg_read)
		return ops;
	for (b = bus->parent; b; b = b->parent) {
		cb = xa_load(&pvvf_cfg_buses, (unsigned long)b);
		if (cb && ops == &cb->ops)
			return cb->orig;
	}
	return NULL;
}

static int pvvf_cfg_read(struct pci_bus *bus, unsigned int devfn, int where,
			 int size, u32 *val)
{
	struct pvvf_cfg_target t;
	struct pvvf_cfg_view *v;
	struct pvvf_cfg_bus *cb;
	struct pvvf_cap_regs r;
	u32 real;
	int ret;

	rcu_read_lock();
	cb = xa_load(&pvvf_cfg_buses, (unsigned long)bus);
	if (!cb) {
		struct pci_ops *ops = pvvf_cfg_passthrough(bus);

		ret = WARN_ON_ONCE(!ops) ? PCIBIOS_DEVICE_NOT_FOUND :
		      ops->read(bus, devfn, where, size, val);
		rcu_read_unlock();
		return ret;
	}
	v = pvvf_cfg_serving(cb, devfn, where);
	if (v && pvvf_cap_in_range(&v->layout, where, size)) {
		pvvf_cfg_regs(v, pvvf_cfg_target(v, &t) ? &t : NULL, &r);
		*val = pvvf_cap_read(&v->layout, &r, where, size);
		ret = PCIBIOS_SUCCESSFUL;
	} else if (v && pvvf_cap_in_link(&v->layout, where, size)) {
		ret = cb->orig->read(bus, devfn, where & ~3, 4, &real);
		if (ret == PCIBIOS_SUCCESSFUL)
			*val = pvvf_cap_extract(pvvf_cap_link_dword(&v->layout,
								    real),
						where, size);
	} else {
		ret = cb->orig->read(bus, devfn, where, size, val);
	}
	rcu_read_unlock();
	return ret;
}

static int pvvf_cfg_write(struct pci_bus *bus, unsigned int devfn, int where,
			  int size, u32 val)
{
	struct pvvf_cfg_view *v;
	struct pvvf_cfg_bus *cb;
	int ret = PCIBIOS_SUCCESSFUL;

	rcu_read_lock();
	cb = xa_load(&pvvf_cfg_buses, (unsigned long)bus);
	if (!cb) {
		struct pci_ops *ops = pvvf_cfg_passthrough(bus);

		ret = WARN_ON_ONCE(!ops) ? PCIBIOS_DEVICE_NOT_FOUND :
		      ops->write(bus, devfn, where, size, val);
		rcu_read_unlock();
		return ret;
	}
	v = pvvf_cfg_serving(cb, devfn, where);
	if (v && pvvf_cap_in_range(&v->layout, where, size))
		pvvf_cfg_write_caps(v, where, size, val);
	else if (v && pvvf_cap_in_ats_ctrl(&v->layout, where, size))
		ret = pvvf_cfg_write_ats(cb, v, devfn, where, size, val);
	else
		ret = cb->orig->write(bus, devfn, where, size, val);
	rcu_read_unlock();
	return ret;
}

/* ---- wrapping and views: process context ---- */

struct pvvf_cfg_reader {
	struct pci_bus *bus;
	unsigned int devfn;
};

static u32 pvvf_cfg_read_real(void *ctx, int where)
{
	struct pvvf_cfg_reader *rd = ctx;
	u32 val;

	if (pci_bus_read_config_dword(rd->bus, rd->devfn, where, &val))
		return 0xffffffff;
	return val;
}

/**
 * pvvf_cfg_layout() - place a function's synthesized capabilities
 * @bus: its bus
 * @devfn: its devfn; it must not have a view yet
 * @off: the host's free offset
 * @caps: what the PF offers the VF
 * @pasid_width: the PF's Max PASID Width
 * @pri_status: the descriptor's pri_status
 * @l: filled in
 *
 * Context: process context.
 * Return: as pvvf_cap_layout_init().
 */
int pvvf_cfg_layout(struct pci_bus *bus, unsigned int devfn, u16 off,
		    const struct pvvf_order_caps *caps, u8 pasid_width,
		    u16 pri_status, struct pvvf_cap_layout *l)
{
	struct pvvf_cfg_reader rd = { .bus = bus, .devfn = devfn };

	return pvvf_cap_layout_init(l, off, caps, pasid_width, pri_status,
				    pvvf_cfg_read_real, &rd);
}

static struct pvvf_cfg_bus *pvvf_cfg_wrap(struct pci_bus *bus)
{
	struct pvvf_cfg_bus *cb = xa_load(&pvvf_cfg_buses, (unsigned long)bus);
	struct pci_ops *old, *cur;

	if (cb)
		return cb;
	cb = kzalloc(sizeof(*cb), GFP_KERNEL);
	if (!cb)
		return NULL;
	cb->bus = bus;
	cur = bus->ops;
	cb->orig = cur;
	/*
	 * Our copy, inherited from a wrapped ancestor (see
	 * pvvf_cfg_passthrough()): wrap what that one wraps, never ourselves.
	 * The ancestor stays wrapped while pvvf_cfg_lock is held.
	 */
	if (cur->read == pvvf_cfg_read)
		cb->orig = container_of(cur, struct pvvf_cfg_bus, ops)->orig;
	cb->ops = *cb->orig;
	cb->ops.read = pvvf_cfg_read;
	cb->ops.write = pvvf_cfg_write;
	if (xa_insert(&pvvf_cfg_buses, (unsigned long)bus, cb, GFP_KERNEL)) {
		kfree(cb);
		return NULL;
	}
	old = pci_bus_set_ops(bus, &cb->ops);
	if (WARN_ON(old != cur)) {
		/* Someone swapped the ops meanwhile: put theirs back. */
		pci_bus_set_ops(bus, old);
		synchronize_rcu_tasks();
		xa_erase(&pvvf_cfg_buses, (unsigned long)bus);
		kfree(cb);
		return NULL;
	}
	return cb;
}

static int pvvf_cfg_restore_below(struct pci_dev *dev, void *data)
{
	struct pvvf_cfg_bus *cb = data;
	struct pci_bus *child = dev->subordinate;

	if (child && child->ops == &cb->ops)
		pci_bus_set_ops(child, cb->orig);
	return 0;
}

/*
 * Restore the bus's ops, then wait until no task can still be running the
 * wrapper, since the module may be unloaded next.  A caller may have
 * loaded bus->ops before the restore and be anywhere between that load and
 * its return from our accessor, preemptibly (Debian's kernels are
 * PREEMPTION=y, and the x86 accessors take no lock), outside any RCU
 * read-side section of ours.  synchronize_rcu() cannot see such a task;
 * synchronize_rcu_tasks() waits for every task to pass through a voluntary
 * context switch, which none does inside the wrapper (it never sleeps), so
 * afterwards no task is in it: the grace period tracing trampolines rely on.
 * It is exported (GPL) on 6.1 and 6.12 with Debian's TASKS_RCU=y; without
 * TASKS_RCU (only on non-preemptible kernels) it is synchronize_rcu(), which
 * suffices there.
 */
static void pvvf_cfg_unwrap(struct pvvf_cfg_bus *cb)
{
	struct pci_bus *bus = cb->bus;

	if (bus->ops != &cb->ops) {
		/* Someone wrapped us: their copy calls ours.  Stay loaded. */
		WARN(1, "pvvf: bus %02x ops changed by someone else; module pinned\n",
		     bus->number);
		__module_get(THIS_MODULE);
		return;
	}
	pci_bus_set_ops(bus, cb->orig);
	/* Buses made below it since, with our copy: theirs back too. */
	pci_walk_bus(bus, pvvf_cfg_restore_below, cb);
	synchronize_rcu_tasks();
	xa_erase(&pvvf_cfg_buses, (unsigned long)bus);
	kfree(cb);
}

static struct pvvf_cfg_view *pvvf_cfg_view_alloc(struct pci_bus *bus,
						 unsigned int devfn,
						 work_func_t resync)
{
	struct pvvf_cfg_view *v;

	if (devfn >= 256)
		return ERR_PTR(-EINVAL);
	v = kzalloc(sizeof(*v), GFP_KERNEL);
	if (!v)
		return ERR_PTR(-ENOMEM);
	/*
	 * A pending view's bus has no function of ours on it to hold it: the
	 * bridge above may be removed with the bus, and unwrapping it must
	 * still find it.  Every view holds its bus.
	 */
	get_device(&bus->dev);
	v->bus = bus;
	v->devfn = devfn;
	INIT_WORK(&v->resync_work, resync);
	spin_lock_init(&v->held_lock);
	raw_spin_lock_init(&v->place_lock);
	return v;
}

static void pvvf_cfg_view_free(struct pvvf_cfg_view *v)
{
	struct pci_bus *bus = v->bus;

	kfree(v);
	put_device(&bus->dev);
}

/* Publish @v on its bus, wrapping the bus for its first view. */
static int pvvf_cfg_insert(struct pvvf_cfg_view *v)
{
	struct pvvf_cfg_bus *cb;

	mutex_lock(&pvvf_cfg_lock);
	cb = xa_load(&pvvf_cfg_buses, (unsigned long)v->bus);
	if (cb && rcu_access_pointer(cb->views[v->devfn])) {
		mutex_unlock(&pvvf_cfg_lock);
		return -EEXIST;
	}
	cb = pvvf_cfg_wrap(v->bus);
	if (!cb) {
		mutex_unlock(&pvvf_cfg_lock);
		return -EBUSY;
	}
	v->cb = cb;
	cb->users++;
	rcu_assign_pointer(cb->views[v->devfn], v);
	mutex_unlock(&pvvf_cfg_lock);
	return 0;
}

/**
 * pvvf_cfg_add() - present synthesized capabilities for a function
 * @bus: its bus, wrapped on its first view
 * @devfn: its devfn
 * @l: from pvvf_cfg_layout()
 * @resync: work run when a write found the linked VF's state unknown, to
 *          read it back; it is cancelled (and waited for) when the view is
 *          unlinked, so it may use the VF it finds linked
 *
 * From now on every config access of (@bus, @devfn) sees them, including
 * the PCI core's enumeration of a function added there later.
 *
 * Context: process context.
 * Return: the view, or an ERR_PTR: -EEXIST if the function has one,
 * -ENOMEM, -EBUSY if the bus's ops could not be wrapped.
 */
struct pvvf_cfg_view *pvvf_cfg_add(struct pci_bus *bus, unsigned int devfn,
				   const struct pvvf_cap_layout *l,
				   work_func_t resync)
{
	struct pvvf_cfg_view *v = pvvf_cfg_view_alloc(bus, devfn, resync);
	int err;

	if (IS_ERR(v))
		return v;
	v->layout = *l;
	v->placed = PVVF_CFG_PLACED;
	err = pvvf_cfg_insert(v);
	if (err) {
		pvvf_cfg_view_free(v);
		return ERR_PTR(err);
	}
	return v;
}

/**
 * pvvf_cfg_add_pending() - present capabilities for a function not there yet
 * @bus: the bus it will be on, wrapped on its first view
 * @devfn: its devfn
 * @w: what to place, and where
 * @resync: as for pvvf_cfg_add()
 * @pv: the device whose slot describes the function
 * @slot: that slot
 *
 * The capabilities are placed, against the function's real extended chain
 * and checked as pvvf_cfg_layout() does, by the first access to its
 * extended config space once its Vendor ID answers with @w's IDs: when the
 * PCI core enumerates it (pci_cfg_space_size(), then
 * pci_init_capabilities()).  A refused placement passes every access
 * through; pvvf_cfg_placed() says why.  Until a VF is linked the registers
 * show and change a state of their own, fresh from the slot's
 * capabilities, with @slot and @pv's requests, as pvvf_cfg_hold() does:
 * the IOMMU's probe, at the function's BUS_NOTIFY_ADD_DEVICE, comes before
 * pvvf attaches it.  @pv must stay valid until pvvf_cfg_unlink(), or
 * until pvvf_cfg_hold() with another VF's device.
 *
 * Context: process context.
 * Return: the view, or an ERR_PTR as pvvf_cfg_add().
 */
struct pvvf_cfg_view *pvvf_cfg_add_pending(struct pci_bus *bus,
					   unsigned int devfn,
					   const struct pvvf_cfg_want *w,
					   work_func_t resync,
					   struct pvvf_dev *pv, u32 slot)
{
	struct pvvf_cfg_view *v = pvvf_cfg_view_alloc(bus, devfn, resync);
	int err;

	if (IS_ERR(v))
		return v;
	v->want = *w;
	v->pending = true;
	v->placed = PVVF_CFG_UNPLACED;
	pvvf_order_init(&v->held, &w->caps);
	v->held_slot = slot;
	RCU_INIT_POINTER(v->held_pv, pv);
	err = pvvf_cfg_insert(v);
	if (err) {
		pvvf_cfg_view_free(v);
		return ERR_PTR(err);
	}
	return v;
}

/**
 * pvvf_cfg_placed() - where a view stands
 * @v: the view
 *
 * Return: 0 if its capabilities are placed; -EAGAIN if it is pending and
 * its function's extended config space was never read; -ENODEV if the
 * function that answered has other IDs than the slot describes; the error
 * of pvvf_cap_layout_init() if the placement was refused.
 */
int pvvf_cfg_placed(struct pvvf_cfg_view *v)
{
	/* @placed before @layout: pairs with pvvf_cfg_place(). */
	switch (smp_load_acquire(&v->placed)) {
	case PVVF_CFG_PLACED:
		return 0;
	case PVVF_CFG_UNPLACED:
		return -EAGAIN;
	default:
		return v->place_err;
	}
}

/**
 * pvvf_cfg_remove() - stop presenting a function's capabilities
 * @v: from pvvf_cfg_add(), unlinked
 *
 * The last view of a bus restores its ops (see pvvf_cfg_unwrap()).
 *
 * Context: process context; waits for RCU grace periods.
 */
void pvvf_cfg_remove(struct pvvf_cfg_view *v)
{
	struct pvvf_cfg_bus *cb = v->cb;

	cancel_work_sync(&v->resync_work);
	mutex_lock(&pvvf_cfg_lock);
	WARN_ON(rcu_access_pointer(v->vf));
	RCU_INIT_POINTER(cb->views[v->devfn], NULL);
	synchronize_rcu();
	if (!--cb->users)
		pvvf_cfg_unwrap(cb);
	mutex_unlock(&pvvf_cfg_lock);
	pvvf_cfg_view_free(v);
}

/**
 * pvvf_cfg_bus_wrapped() - does pvvf serve config accesses of @bus?
 * @bus: a PCI bus
 *
 * Return: true if @bus->ops is pvvf's wrapper.
 */
bool pvvf_cfg_bus_wrapped(struct pci_bus *bus)
{
	struct pvvf_cfg_bus *cb;
	bool ret;

	rcu_read_lock();
	cb = xa_load(&pvvf_cfg_buses, (unsigned long)bus);
	ret = cb && bus->ops == &cb->ops;
	rcu_read_unlock();
	return ret;
}

/**
 * pvvf_cfg_link() - serve a view from an attached VF's state
 * @v: the view
 * @vf: the VF; it must stay valid until pvvf_cfg_unlink()
 *
 * Writes become requests for @vf; reads show its state.  The function
 * was found again: it is no longer being re-enumerated.
 */
void pvvf_cfg_link(struct pvvf_cfg_view *v, struct pvvf_vf *vf)
{
	mutex_lock(&pvvf_cfg_lock);
	/*
	 * @held_pv stays: an accessor that read @vf as NULL just before may
	 * read it next, and finds a target.  The VF's device is the same.
	 */
	rcu_assign_pointer(v->vf, vf);
	v->reenumerating = false;
	mutex_unlock(&pvvf_cfg_lock);
}

/**
 * pvvf_cfg_unlink() - detach a view from its VF
 * @v: the view
 *
 * Returns once no accessor and no resync work uses the VF (or its device)
 * any more.
 *
 * Context: process context; waits for an RCU grace period and the work.
 */
void pvvf_cfg_unlink(struct pvvf_cfg_view *v)
{
	mutex_lock(&pvvf_cfg_lock);
	RCU_INIT_POINTER(v->vf, NULL);
	RCU_INIT_POINTER(v->held_pv, NULL);
	mutex_unlock(&pvvf_cfg_lock);
	synchronize_rcu();
	cancel_work_sync(&v->resync_work);
}

/**
 * pvvf_cfg_hold() - detach a view from its VF, keeping the VF's state
 * @v: the view, of a function pvvf is re-enumerating
 * @vf: its VF, being detached; its device stays
 *
 * Until pvvf_cfg_link() attaches the new function's VF, the registers show
 * and change a copy of @vf's state, with @vf's slot and device: the IOMMU
 * probes the new function, and may enable PASID, before the VF is attached
 * again; its first GET_STATE then picks up what the host accepted.
 * pvvf_cfg_unlink() (the device going) ends it too.
 *
 * Context: process context; as pvvf_cfg_unlink().
 */
void pvvf_cfg_hold(struct pvvf_cfg_view *v, struct pvvf_vf *vf)
{
	mutex_lock(&pvvf_cfg_lock);
	spin_lock_irq(&v->held_lock);
	spin_lock(&vf->lock);
	v->held = vf->order;
	spin_unlock(&vf->lock);
	v->held.inflight = PVVF_OP_NONE;
	v->held_slot = vf->slot;
	spin_unlock_irq(&v->held_lock);
	rcu_assign_pointer(v->held_pv, vf->pv);
	/* @held_pv before @vf: pairs with pvvf_cfg_target()'s smp_rmb(). */
	smp_wmb();
	RCU_INIT_POINTER(v->vf, NULL);
	mutex_unlock(&pvvf_cfg_lock);
	synchronize_rcu();
	cancel_work_sync(&v->resync_work);
}

/**
 * pvvf_cfg_set_reenumerating() - keep a function's view across its removal
 * @bus: its bus
 * @devfn: its devfn
 *
 * pvvf is about to remove the function to enumerate it again with its
 * capabilities; pvvf_cfg_link() ends this.
 *
 * Context: process context.
 * Return: true if the function has a view.
 */
bool pvvf_cfg_set_reenumerating(struct pci_bus *bus, unsigned int devfn)
{
	struct pvvf_cfg_view *v = NULL;
	struct pvvf_cfg_bus *cb;

	mutex_lock(&pvvf_cfg_lock);
	cb = xa_load(&pvvf_cfg_buses, (unsigned long)bus);
	if (cb && devfn < ARRAY_SIZE(cb->views))
		v = rcu_dereference_protected(cb->views[devfn],
					      lockdep_is_held(&pvvf_cfg_lock));
	if (v)
		v->reenumerating = true;
	mutex_unlock(&pvvf_cfg_lock);
	return v;
}

/**
 * pvvf_cfg_reenumerating() - is pvvf re-enumerating a view's function?
 * @v: the view
 *
 * Return: true between pvvf_cfg_set_reenumerating() and pvvf_cfg_link().
 */
bool pvvf_cfg_reenumerating(struct pvvf_cfg_view *v)
{
	bool ret;

	mutex_lock(&pvvf_cfg_lock);
	ret = v->reenumerating;
	mutex_unlock(&pvvf_cfg_lock);
	return ret;
}

/**
 * pvvf_cfg_enumerates_pasid() - does the PCI core enumerate this function
 * with a synthesized PASID capability?
 * @bus: its bus
 * @devfn: its devfn
 *
 * True for a function pvvf re-enumerates, and for one whose view was
 * made before it was there (a hot-added VF) and is placed.
 *
 * Context: process context.
 * Return: true if so.
 */
bool pvvf_cfg_enumerates_pasid(struct pci_bus *bus, unsigned int devfn)
{
	struct pvvf_cfg_view *v = NULL;
	struct pvvf_cfg_bus *cb;
	bool ret = false;

	mutex_lock(&pvvf_cfg_lock);
	cb = xa_load(&pvvf_cfg_buses, (unsigned long)bus);
	if (cb && devfn < ARRAY_SIZE(cb->views))
		v = rcu_dereference_protected(cb->views[devfn],
					      lockdep_is_held(&pvvf_cfg_lock));
	if (v && (v->reenumerating || v->pending) && !pvvf_cfg_placed(v))
		ret = v->layout.pasid;
	mutex_unlock(&pvvf_cfg_lock);
	return ret;
}
