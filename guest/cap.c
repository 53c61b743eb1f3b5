// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf: the synthesized PASID and PRI extended capabilities (pure).
 *
 * Layout, from the host's free offset (docs/spec.md 6.4.2):
 *
 *   +0x00  PASID Extended Capability header (ID 0x1b, version 1)
 *   +0x04  PASID Capability | PASID Control << 16
 *   +0x08  PRI Extended Capability header (ID 0x13, version 1)
 *   +0x0c  PRI Control | PRI Status << 16
 *   +0x10  Outstanding Page Request Capacity
 *   +0x14  Outstanding Page Request Allocation
 *
 * A capability the host does not offer reads as zero and is left out of
 * the chain.  Read-only fields are the PF's values from the descriptor; the
 * control and status registers are the VF's ordering state (order.c), so
 * the register view and the explicit API can never disagree, and a request
 * the host refused never shows.
 */
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/pci_regs.h>
#include <linux/string.h>

#include "cap.h"

#define PVVF_CAP_EXT_START	0x100
#define PVVF_CAP_EXT_END	0x1000
#define PVVF_CAP_TTL		((PVVF_CAP_EXT_END - PVVF_CAP_EXT_START) / 8)
#define PVVF_CAP_HDR(id, next)	((id) | 1U << 16 | (u32)(next) << 20)

/**
 * pvvf_cap_layout_init() - place the capabilities and check the real chain
 * @l: filled in on success
 * @off: the descriptor's cap_offset
 * @caps: what the PF offers this VF (PASID and PRI, their features)
 * @pasid_width: the PF's Max PASID Width, 0..20
 * @pri_status: the descriptor's pri_status (only PRG Response PASID Required)
 * @read: reads a dword of the VF's real configuration space
 * @ctx: for @read
 *
 * Walks the real extended chain (bounded, as the PCI core does) to find its
 * last capability, which will link to the synthesized ones, and the VF's
 * own ATS capability, whose Enable the host must hear about.  The host says
 * the 24 bytes are free; they are checked anyway: no real capability header
 * may lie in them and they must read as zero.
 *
 * Return: 0; -EINVAL for an offset outside 0x100..0xfe8 or not dword
 * aligned; -EOPNOTSUPP if neither PASID nor PRI is offered; -ENXIO if the
 * function has no extended configuration space; -EBADMSG for a Next pointer
 * into standard space; -ELOOP for a chain that does not end; -EBUSY if the
 * offset is not free; -EEXIST if the function has a PASID or PRI
 * capability of its own.
 */
int pvvf_cap_layout_init(struct pvvf_cap_layout *l, u16 off,
			 const struct pvvf_order_caps *caps, u8 pasid_width,
			 u16 pri_status, pvvf_cap_read_fn read, void *ctx)
{
	int ttl = PVVF_CAP_TTL, pos = PVVF_CAP_EXT_START, i;
	u32 hdr;

	memset(l, 0, sizeof(*l));
	if (off < PVVF_CAP_EXT_START || off > PVVF_CAP_EXT_END - PVVF_CAP_SIZE ||
	    off & 3)
		return -EINVAL;
	if (!caps->pasid && !caps->pri)
		return -EOPNOTSUPP;
	l->off = off;
	l->pasid = caps->pasid;
	l->pri = caps->pri;
	if (l->pasid)
		l->pasid_cap = (caps->pasid_features &
				(PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV)) |
			       ((u16)min_t(u8, pasid_width, 20) << 8);
	if (l->pri) {
		l->pri_status_ro = pri_status & PCI_PRI_STATUS_PASID;
		l->pri_capacity = caps->pri_capacity;
	}

	hdr = read(ctx, pos);
	if (hdr == 0xffffffff)
		return -ENXIO;
	if (!hdr) {
		/* No real capability: the chain starts at 0x100. */
		l->link = off == PVVF_CAP_EXT_START ? 0 : PVVF_CAP_EXT_START;
		l->link_synth = l->link;
	} else {
		while (ttl-- > 0) {
			if (pos >= off && pos < off + PVVF_CAP_SIZE)
				return -EBUSY;
			/*
			 * A function with a PASID or PRI capability of its
			 * own is no VF (PCIe 9.3.7): the PCI core would find
			 * that one first, not ours.
			 */
			if (PCI_EXT_CAP_ID(hdr) == PCI_EXT_CAP_ID_PASID ||
			    PCI_EXT_CAP_ID(hdr) == PCI_EXT_CAP_ID_PRI)
				return -EEXIST;
			if (PCI_EXT_CAP_ID(hdr) == PCI_EXT_CAP_ID_ATS && !l->ats)
				l->ats = pos;
			if (!PCI_EXT_CAP_NEXT(hdr))
				break;
			pos = PCI_EXT_CAP_NEXT(hdr);
			if (pos < PVVF_CAP_EXT_START)
				return -EBADMSG;
			hdr = read(ctx, pos);
		}
		if (ttl < 0)
			return -ELOOP;
		l->link = pos;
	}
	for (i = 0; i < PVVF_CAP_SIZE; i += 4) {
		if (off + i == l->link && l->link_synth)
			continue;
		if (read(ctx, off + i))
			return -EBUSY;
	}
	return 0;
}

/* The offset of the first synthesized capability. */
u16 pvvf_cap_first(const struct pvvf_cap_layout *l)
{
	return l->pasid ? l->off + PVVF_CAP_PASID : l->off + PVVF_CAP_PRI;
}

/* Does an access fall in the synthesized capabilities? */
bool pvvf_cap_in_range(const struct pvvf_cap_layout *l, int where, int size)
{
	return where >= l->off && where + size <= l->off + PVVF_CAP_SIZE;
}

/* Does an access fall in the header that links to them? */
bool pvvf_cap_in_link(const struct pvvf_cap_layout *l, int where, int size)
{
	return l->link && (where & ~3) == l->link;
}

/*
 * The link header as the guest reads it: the real last header with its
 * Next pointing at the synthesized capabilities, or a null header (ID 0)
 * at 0x100 when the real chain is empty.  A real header whose Next is no
 * longer 0 is passed through: the chain is the function's, not ours.
 */
u32 pvvf_cap_link_dword(const struct pvvf_cap_layout *l, u32 real)
{
	if (l->link_synth)
		return (u32)pvvf_cap_first(l) << 20;
	if (PCI_EXT_CAP_NEXT(real))
		return real;
	return (real & 0x000fffff) | (u32)pvvf_cap_first(l) << 20;
}

static u32 pvvf_cap_dword(const struct pvvf_cap_layout *l,
			  const struct pvvf_cap_regs *r, int rel)
{
	switch (rel) {
	case PVVF_CAP_PASID:
		if (!l->pasid)
			return 0;
		return PVVF_CAP_HDR(PCI_EXT_CAP_ID_PASID,
				    l->pri ? l->off + PVVF_CAP_PRI : 0);
	case PVVF_CAP_PASID + PCI_PASID_CAP:
		return l->pasid ? l->pasid_cap | (u32)r->pasid_ctrl << 16 : 0;
	case PVVF_CAP_PRI:
		return l->pri ? PVVF_CAP_HDR(PCI_EXT_CAP_ID_PRI, 0) : 0;
	case PVVF_CAP_PRI + PCI_PRI_CTRL:
		return l->pri ? r->pri_ctrl | (u32)r->pri_status << 16 : 0;
	case PVVF_CAP_PRI + PCI_PRI_MAX_REQ:
		return l->pri ? l->pri_capacity : 0;
	case PVVF_CAP_PRI + PCI_PRI_ALLOC_REQ:
		return l->pri ? r->pri_alloc : 0;
	}
	return 0;
}

/* The @size bytes at @where out of the dword that holds them. */
u32 pvvf_cap_extract(u32 dword, int where, int size)
{
	dword >>= (where & 3) * 8;
	return size == 4 ? dword : dword & ((1U << (size * 8)) - 1);
}

/**
 * pvvf_cap_read() - read the synthesized capabilities
 * @l: the layout
 * @r: the registers, from pvvf_cap_regs_of()
 * @where: config offset, inside pvvf_cap_in_range()
 * @size: 1, 2 or 4, naturally aligned (the PCI core checks it)
 *
 * Return: the value read.
 */
u32 pvvf_cap_read(const struct pvvf_cap_layout *l,
		  const struct pvvf_cap_regs *r, int where, int size)
{
	return pvvf_cap_extract(pvvf_cap_dword(l, r, (where & ~3) - l->off),
				where, size);
}

/**
 * pvvf_cap_regs_of() - the registers of a VF's ordering state
 * @l: the layout
 * @o: the VF's ordering state (caller holds its lock)
 * @alloc_latch: the allocation the guest wrote while PRI was disabled
 * @r: filled in
 *
 * Control shows the host-accepted enables; PRI Status shows Stopped,
 * Response Failure and UPRGI as the host reported them, and the PF's PRG
 * Response PASID Required.
 */
void pvvf_cap_regs_of(const struct pvvf_cap_layout *l,
		      const struct pvvf_order *o, u32 alloc_latch,
		      struct pvvf_cap_regs *r)
{
	memset(r, 0, sizeof(*r));
	if (l->pasid && o->pasid)
		r->pasid_ctrl = PCI_PASID_CTRL_ENABLE |
				(o->pasid_features & (PCI_PASID_CTRL_EXEC |
						      PCI_PASID_CTRL_PRIV));
	if (!l->pri)
		return;
	r->pri_ctrl = o->pri ? PCI_PRI_CTRL_ENABLE : 0;
	r->pri_status = (o->pri_status & (PCI_PRI_STATUS_RF |
					  PCI_PRI_STATUS_UPRGI)) |
			(!o->pri && o->pri_stopped ? PCI_PRI_STATUS_STOPPED : 0) |
			l->pri_status_ro;
	r->pri_alloc = o->pri ? o->pri_alloc : alloc_latch;
}

/* The written bytes of a @size access at @where, within its dword. */
static u32 pvvf_cap_mask(int where, int size)
{
	return (size == 4 ? ~0U : (1U << (size * 8)) - 1) << (where & 3) * 8;
}

static void pvvf_cap_add(struct pvvf_cap_write *w, enum pvvf_op op, u32 arg)
{
	w->ops[w->nr_ops].op = op;
	w->ops[w->nr_ops].arg = arg;
	w->nr_ops++;
}

/**
 * pvvf_cap_decode_write() - what a config write asks of the host
 * @l: the layout
 * @r: the registers before the write
 * @where: config offset, inside pvvf_cap_in_range()
 * @size: 1, 2 or 4, naturally aligned
 * @val: the value written
 * @w: filled in: the operations to request, in order, and an allocation
 *     to latch
 *
 * PASID Control: Enable 0->1 is PASID_ENABLE with the Execute and
 * Privileged Mode bits written (those the PF supports: the others are
 * hardwired to 0); 1->0 is PASID_DISABLE; the feature bits are taken with
 * Enable only (PCIe 7.8.9.3: undefined if changed while enabled).
 * PRI Control: Enable 1->0 is PRI_DISABLE, Reset is PRI_RESET, Enable 0->1
 * is PRI_ENABLE with the latched allocation, in that order.  The allocation
 * register is latched only while PRI is disabled (PCIe 10.5.2.5).  Read-only
 * fields and PRI Status ignore writes: Response Failure and UPRGI are
 * cleared by PRI Reset, the only way the host offers.
 */
void pvvf_cap_decode_write(const struct pvvf_cap_layout *l,
			   const struct pvvf_cap_regs *r, int where, int size,
			   u32 val, struct pvvf_cap_write *w)
{
	int rel = (where & ~3) - l->off, shift = (where & 3) * 8;
	u32 mask = pvvf_cap_mask(where, size);
	u32 now = pvvf_cap_dword(l, r, rel);
	u32 new = (now & ~mask) | ((val << shift) & mask);
	u16 ctrl;

	memset(w, 0, sizeof(*w));
	switch (rel) {
	case PVVF_CAP_PASID + PCI_PASID_CAP:
		if (!l->pasid || !(mask & 0xffff0000))
			return;
		ctrl = new >> 16;
		if (!(r->pasid_ctrl & PCI_PASID_CTRL_ENABLE) &&
		    ctrl & PCI_PASID_CTRL_ENABLE)
			pvvf_cap_add(w, PVVF_OP_PASID_ENABLE,
				     ctrl & l->pasid_cap &
				     (PCI_PASID_CTRL_EXEC | PCI_PASID_CTRL_PRIV));
		else if (r->pasid_ctrl & PCI_PASID_CTRL_ENABLE &&
			 !(ctrl & PCI_PASID_CTRL_ENABLE))
			pvvf_cap_add(w, PVVF_OP_PASID_DISABLE, 0);
		return;
	case PVVF_CAP_PRI + PCI_PRI_CTRL:
		if (!l->pri || !(mask & 0xffff))
			return;
		ctrl = new & 0xffff;
		if (r->pri_ctrl & PCI_PRI_CTRL_ENABLE &&
		    !(ctrl & PCI_PRI_CTRL_ENABLE))
			pvvf_cap_add(w, PVVF_OP_PRI_DISABLE, 0);
		if (ctrl & PCI_PRI_CTRL_RESET)
			pvvf_cap_add(w, PVVF_OP_PRI_RESET, 0);
		if (!(r->pri_ctrl & PCI_PRI_CTRL_ENABLE) &&
		    ctrl & PCI_PRI_CTRL_ENABLE)
			pvvf_cap_add(w, PVVF_OP_PRI_ENABLE, r->pri_alloc);
		return;
	case PVVF_CAP_PRI + PCI_PRI_ALLOC_REQ:
		if (!l->pri || r->pri_ctrl & PCI_PRI_CTRL_ENABLE)
			return;
		w->set_alloc = true;
		w->alloc = new;
		return;
	}
}

/* Does a write reach the VF's real ATS Control register? */
bool pvvf_cap_in_ats_ctrl(const struct pvvf_cap_layout *l, int where,
			  int size)
{
	return l->ats && (where & ~3) == l->ats + PCI_ATS_CAP &&
	       pvvf_cap_mask(where, size) & 0xffff0000;
}

/**
 * pvvf_cap_decode_ats() - what a write to the VF's ATS Control tells the host
 * @l: the layout
 * @real: the dword holding ATS Capability and Control, as the VF has it
 * @where: config offset, inside pvvf_cap_in_ats_ctrl()
 * @size: 1, 2 or 4, naturally aligned
 * @val: the value written
 * @w: filled in: ATS_ENABLE with the STU field written, or ATS_DISABLE,
 *     or nothing when Enable does not change
 *
 * The ATS capability is the VF's own; the host only hears about its Enable
 * (docs/spec.md 6.7), which its PASID rules depend on.
 */
void pvvf_cap_decode_ats(const struct pvvf_cap_layout *l, u32 real, int where,
			 int size, u32 val, struct pvvf_cap_write *w)
{
	u32 mask = pvvf_cap_mask(where, size);
	u16 now = real >> 16;
	u16 ctrl = ((real & ~mask) | ((val << (where & 3) * 8) & mask)) >> 16;

	memset(w, 0, sizeof(*w));
	if (!(now & PCI_ATS_CTRL_ENABLE) && ctrl & PCI_ATS_CTRL_ENABLE)
		pvvf_cap_add(w, PVVF_OP_ATS_ENABLE, PCI_ATS_CTRL_STU(ctrl));
	else if (now & PCI_ATS_CTRL_ENABLE && !(ctrl & PCI_ATS_CTRL_ENABLE))
		pvvf_cap_add(w, PVVF_OP_ATS_DISABLE, 0);
}
