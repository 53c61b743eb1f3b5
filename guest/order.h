/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvvf: the per-VF ordering state machine (pure; see docs/design.md).
 *
 * It decides which operation is allowed in which state, applies the result
 * of an operation the device answered, and folds in host events and state
 * read back with GET_STATE.  It does no I/O and takes no locks: the caller
 * serialises calls on one struct pvvf_order.
 */
#ifndef _PVVF_ORDER_H
#define _PVVF_ORDER_H

#include <linux/types.h>

#include "proto.h"

enum pvvf_op {
	PVVF_OP_ATS_ENABLE,	/* arg: STU field 0..31 */
	PVVF_OP_ATS_DISABLE,
	PVVF_OP_PASID_ENABLE,	/* arg: VIRTIO_PVVF_PASID_EXEC|PRIV */
	PVVF_OP_PASID_DISABLE,
	PVVF_OP_PRI_ENABLE,	/* arg: outstanding page request allocation */
	PVVF_OP_PRI_DISABLE,
	PVVF_OP_PRI_RESET,
	PVVF_OP_COUNT,
	PVVF_OP_NONE = PVVF_OP_COUNT,
};

/* What the PF offers this VF, from its descriptor and the features. */
struct pvvf_order_caps {
	bool pasid;
	bool pri;
	u8 pasid_features;	/* supported VIRTIO_PVVF_PASID_* */
	u32 pri_capacity;
	u8 ats_stu;		/* PF's STU as a page shift; 0: PF ATS off */
};

struct pvvf_order {
	struct pvvf_order_caps caps;
	bool gone;		/* detached, or its PF was removed */
	bool stale;		/* state unknown until the next GET_STATE */
	bool ats;		/* the VF's own ATS enable */
	u8 ats_stu;		/* STU field while @ats */
	bool pasid;
	u8 pasid_features;
	bool pri;
	u32 pri_alloc;
	bool pri_stopped;	/* no page request outstanding */
	u16 pri_status;		/* VIRTIO_PVVF_PRI_RF | _UPRGI */
	bool pasid_revoked;	/* host took PF PASID away; disable to clear */
	bool pri_revoked;	/* host took PF PRI away; disable to clear */
	bool pf_reset;		/* PF reset in progress */
	bool vf_reset;		/* VF reset in progress */
	enum pvvf_op inflight;
	u32 gen;		/* bumped by every event and sync */
	u32 op_gen;		/* @gen when @inflight began */
};

void pvvf_order_init(struct pvvf_order *o, const struct pvvf_order_caps *caps);
int pvvf_order_check(const struct pvvf_order *o, enum pvvf_op op, u32 arg);
int pvvf_order_begin(struct pvvf_order *o, enum pvvf_op op, u32 arg);
int pvvf_order_end(struct pvvf_order *o, enum pvvf_op op, u32 arg, int result);
void pvvf_order_event(struct pvvf_order *o, const struct pvvf_event *evt);
void pvvf_order_sync(struct pvvf_order *o, const struct pvvf_vf_state *st);
bool pvvf_order_ack_refused(struct pvvf_order *o, u16 type);
void pvvf_order_set_caps(struct pvvf_order *o,
			 const struct pvvf_order_caps *caps);
bool pvvf_order_pri_status(struct pvvf_order *o, u16 status);
void pvvf_order_detach(struct pvvf_order *o);
int pvvf_order_check_stopped(const struct pvvf_order *o);
const char *pvvf_order_op_name(enum pvvf_op op);

#endif /* _PVVF_ORDER_H */
