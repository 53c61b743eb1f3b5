/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvvf: the synthesized PASID and PRI extended capabilities of a VF in
 * transparent mode (pure; see docs/design.md, "Transparent mode").
 *
 * The host names 24 free bytes of the VF's extended configuration space
 * (docs/spec.md 6.4.2).  pvvf presents there an 8-byte PASID Extended
 * Capability (PCIe 7.8.9) followed by a 16-byte PRI Extended Capability
 * (PCIe 10.5.2), and links the first of them after the last capability of
 * the VF's real extended chain.  This file is the register model: where
 * the capabilities are, what each register reads, and which host requests a
 * write becomes.  It does no I/O and takes no locks.
 */
#ifndef _PVVF_CAP_H
#define _PVVF_CAP_H

#include <linux/types.h>

#include "order.h"

#define PVVF_CAP_SIZE		24	/* docs/spec.md 6.4.2 */
#define PVVF_CAP_PASID		0	/* PASID capability, from the offset */
#define PVVF_CAP_PRI		8	/* PRI capability, from the offset */
#define PVVF_CAP_WRITE_OPS	3	/* disable, reset, enable */

/* Where the capabilities are and what their read-only fields say. */
struct pvvf_cap_layout {
	u16 off;		/* cap_offset: 0x100..0xfe8, dword aligned */
	u16 ats;		/* the VF's own ATS capability; 0: none */
	u16 link;		/* header whose Next points at us; 0: none */
	bool link_synth;	/* the real chain is empty: 0x100 is synthesized */
	bool pasid;		/* PASID capability present */
	bool pri;		/* PRI capability present */
	u16 pasid_cap;		/* PASID Capability register */
	u16 pri_status_ro;	/* PRI Status: PRG Response PASID Required */
	u32 pri_capacity;	/* Outstanding Page Request Capacity */
};

/* The registers that change, as the guest reads them. */
struct pvvf_cap_regs {
	u16 pasid_ctrl;
	u16 pri_ctrl;
	u16 pri_status;
	u32 pri_alloc;
};

/* What a write to the synthesized capabilities asks for, in this order. */
struct pvvf_cap_write {
	unsigned int nr_ops;
	struct {
		enum pvvf_op op;
		u32 arg;
	} ops[PVVF_CAP_WRITE_OPS];
	bool set_alloc;		/* latch @alloc: PRI is disabled */
	u32 alloc;
};

/* Reads one dword of the VF's real configuration space. */
typedef u32 (*pvvf_cap_read_fn)(void *ctx, int where);

int pvvf_cap_layout_init(struct pvvf_cap_layout *l, u16 off,
			 const struct pvvf_order_caps *caps, u8 pasid_width,
			 u16 pri_status, pvvf_cap_read_fn read, void *ctx);
u16 pvvf_cap_first(const struct pvvf_cap_layout *l);
bool pvvf_cap_in_range(const struct pvvf_cap_layout *l, int where, int size);
bool pvvf_cap_in_link(const struct pvvf_cap_layout *l, int where, int size);
u32 pvvf_cap_link_dword(const struct pvvf_cap_layout *l, u32 real);
u32 pvvf_cap_read(const struct pvvf_cap_layout *l,
		  const struct pvvf_cap_regs *r, int where, int size);
void pvvf_cap_regs_of(const struct pvvf_cap_layout *l,
		      const struct pvvf_order *o, u32 alloc_latch,
		      struct pvvf_cap_regs *r);
void pvvf_cap_decode_write(const struct pvvf_cap_layout *l,
			   const struct pvvf_cap_regs *r, int where, int size,
			   u32 val, struct pvvf_cap_write *w);
u32 pvvf_cap_extract(u32 dword, int where, int size);
bool pvvf_cap_in_ats_ctrl(const struct pvvf_cap_layout *l, int where,
			  int size);
void pvvf_cap_decode_ats(const struct pvvf_cap_layout *l, u32 real, int where,
			 int size, u32 val, struct pvvf_cap_write *w);

#endif /* _PVVF_CAP_H */
