/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvvf: the PCI bus config-ops wrapper of transparent mode.
 *
 * A bus holding a VF with synthesized capabilities gets a copy of its
 * struct pci_ops whose read and write serve those capabilities for that
 * VF's devfn and pass everything else through (see cfg_ops.c).  A view
 * can be made before its function exists (a VF hot-added later): it places
 * the capabilities on the function's first extended config access.
 */
#ifndef _PVVF_CFG_OPS_H
#define _PVVF_CFG_OPS_H

#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "cap.h"
#include "order.h"

struct pci_bus;
struct pvvf_dev;
struct pvvf_vf;
struct pvvf_cfg_bus;

/* Whether a view's @layout is valid (pvvf_cfg_add_pending()). */
enum pvvf_cfg_placed {
	PVVF_CFG_PLACED,	/* it is */
	PVVF_CFG_UNPLACED,	/* not yet: the function has not answered */
	PVVF_CFG_REFUSED,	/* the function's layout refused: pass through */
};

/* What a view made before its function places once the function answers. */
struct pvvf_cfg_want {
	u32 id;				/* Vendor ID | Device ID << 16 */
	u16 off;			/* the host's free offset */
	struct pvvf_order_caps caps;	/* what the PF offers the VF */
	u8 pasid_width;			/* the PF's Max PASID Width */
	u16 pri_status;			/* the descriptor's pri_status */
};

/* The synthesized capabilities of one function: bus and devfn. */
struct pvvf_cfg_view {
	struct pvvf_cap_layout layout;	/* valid once @placed is PLACED */
	int placed;			/* enum pvvf_cfg_placed, acquire/release */
	int place_err;			/* why REFUSED */
	bool pending;			/* made before its function was there */
	raw_spinlock_t place_lock;	/* placing from an accessor */
	struct pvvf_cfg_want want;
	struct pvvf_cfg_bus *cb;
	struct pci_bus *bus;
	unsigned int devfn;
	u32 alloc_latch;		/* PRI allocation written while disabled */
	struct pvvf_vf __rcu *vf;	/* attached VF, or NULL */
	struct work_struct resync_work;	/* a write found the state unknown */
	bool reenumerating;		/* removed by pvvf to be found again */
	/* While re-enumerating: the VF's state, carried to the new function. */
	spinlock_t held_lock;		/* @held */
	struct pvvf_order held;
	struct pvvf_dev __rcu *held_pv;	/* its device, or NULL */
	u32 held_slot;
};

int pvvf_cfg_layout(struct pci_bus *bus, unsigned int devfn, u16 off,
		    const struct pvvf_order_caps *caps, u8 pasid_width,
		    u16 pri_status, struct pvvf_cap_layout *l);
struct pvvf_cfg_view *pvvf_cfg_add(struct pci_bus *bus, unsigned int devfn,
				   const struct pvvf_cap_layout *l,
				   work_func_t resync);
struct pvvf_cfg_view *pvvf_cfg_add_pending(struct pci_bus *bus,
					   unsigned int devfn,
					   const struct pvvf_cfg_want *w,
					   work_func_t resync,
					   struct pvvf_dev *pv, u32 slot);
int pvvf_cfg_placed(struct pvvf_cfg_view *v);
void pvvf_cfg_remove(struct pvvf_cfg_view *v);
void pvvf_cfg_link(struct pvvf_cfg_view *v, struct pvvf_vf *vf);
void pvvf_cfg_unlink(struct pvvf_cfg_view *v);
void pvvf_cfg_hold(struct pvvf_cfg_view *v, struct pvvf_vf *vf);
bool pvvf_cfg_enumerates_pasid(struct pci_bus *bus, unsigned int devfn);
bool pvvf_cfg_bus_wrapped(struct pci_bus *bus);
bool pvvf_cfg_set_reenumerating(struct pci_bus *bus, unsigned int devfn);
bool pvvf_cfg_reenumerating(struct pvvf_cfg_view *v);

#endif /* _PVVF_CFG_OPS_H */
