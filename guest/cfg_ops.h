/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvvf: the PCI bus config-ops wrapper of transparent mode.
 *
 * A bus holding a VF with synthesized capabilities gets a copy of its
 * struct pci_ops whose read and write serve those capabilities for that
 * VF's devfn and pass everything else through (see cfg_ops.c).
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

/* The synthesized capabilities of one function: bus and devfn. */
struct pvvf_cfg_view {
	struct pvvf_cap_layout layout;
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
void pvvf_cfg_remove(struct pvvf_cfg_view *v);
void pvvf_cfg_link(struct pvvf_cfg_view *v, struct pvvf_vf *vf);
void pvvf_cfg_unlink(struct pvvf_cfg_view *v);
void pvvf_cfg_hold(struct pvvf_cfg_view *v, struct pvvf_vf *vf);
bool pvvf_cfg_reenumerated_pasid(struct pci_bus *bus, unsigned int devfn);
bool pvvf_cfg_bus_wrapped(struct pci_bus *bus);
bool pvvf_cfg_set_reenumerating(struct pci_bus *bus, unsigned int devfn);
bool pvvf_cfg_reenumerating(struct pvvf_cfg_view *v);

#endif /* _PVVF_CFG_OPS_H */
