/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pvvf core internals: the objects behind the opaque handles and the
 * functions the core's files share.  Not installed, not for the daemon.
 *
 *   core.c      lifetime of core, PFs, guests, VF slots; tick; queries
 *   arb.c       the PASID/PRI/ATS arbitration rules, per VF and per PF
 *   host.c      host-side PF events: revocation, PF reset, removal
 *   dispatch.c  request decoding, validation and replies
 *   event.c     the per-guest bounded, coalescing event queue
 *   restore.c   restart: saved state out, reconciled state back in
 */
#ifndef PVVF_HOST_CORE_INT_H
#define PVVF_HOST_CORE_INT_H

#include <endian.h>
#include <stdio.h>

#include <linux/pci_regs.h>

#include "fault.h"
#include "pvvf_core.h"

#define PVVF_FEATURES_ALL	((1ULL << VIRTIO_PVVF_F_PASID) | \
				 (1ULL << VIRTIO_PVVF_F_PRI) | \
				 (1ULL << VIRTIO_PVVF_F_CAP_OFFSET))
#define PVVF_ACK_WINDOW		256	/* unacknowledged events remembered */
#define PVVF_NAME_MAX		32

/* Intrusive doubly linked list node (the drain list). */
struct pvvf_link {
	struct pvvf_link *prev, *next;
};

/* The answer to a request: status and qualifier, VIRTIO_PVVF_S_/Q_*. */
struct pvvf_verdict {
	uint16_t status;
	uint16_t qual;
};

#define PVVF_OK		((struct pvvf_verdict){ VIRTIO_PVVF_S_OK, VIRTIO_PVVF_Q_NONE })
#define PVVF_FAIL(s, q)	((struct pvvf_verdict){ VIRTIO_PVVF_S_##s, VIRTIO_PVVF_Q_##q })

/* Acknowledgement kinds a VF can wait for (bit per kind). */
#define PVVF_ACK_PF_RESET	0x1
#define PVVF_ACK_VF_RESET	0x2
#define PVVF_ACK_KINDS		2

static inline int pvvf_ack_idx(uint8_t kind)
{
	return kind == PVVF_ACK_PF_RESET ? 0 : 1;
}

/* One VF of a registered PF, with its virtual per-VF state. */
struct pvvf_vf {
	struct pvvf_pf *pf;
	struct pvvf_guest *owner;	/* NULL: not assigned */
	uint32_t slot;
	uint16_t index;
	/* where the owner sees it */
	uint16_t segment;
	uint8_t root_bus;
	uint8_t path_len;
	uint8_t path[VIRTIO_PVVF_PATH_MAX];
	uint16_t vendor_id;
	uint16_t device_id;
	uint16_t cap_offset;
	/* ATS: the VF's own capability, as the guest reported it */
	bool ats;
	uint8_t ats_stu;
	/* virtual PASID */
	bool pasid;
	uint8_t pasid_features;
	/* virtual PRI */
	bool pri_enabled;
	bool pri_draining;		/* disabled, page requests outstanding */
	uint16_t pri_faults;		/* VIRTIO_PVVF_PRI_RF|UPRGI */
	uint32_t pri_alloc;		/* last allocation enabled */
	uint32_t pri_held;		/* carved from the pool now */
	uint64_t drain_deadline;
	struct pvvf_link drain_link;
	/* events awaiting acknowledgement */
	uint8_t ack_wait;		/* PVVF_ACK_* */
	uint8_t ack_seq_valid;		/* PVVF_ACK_* whose event was delivered */
	uint32_t ack_seq[PVVF_ACK_KINDS];
	/* host-initiated VF reset waiting for its ack */
	uint64_t vf_reset_deadline;
	struct pvvf_link vf_reset_link;
	bool reset_redo;		/* restored with a VF reset pending */
};

struct pvvf_pf_member {
	struct pvvf_guest *g;
	uint32_t nvfs;
};

struct pvvf_pf {
	struct pvvf_core *core;
	struct pvvf_pf *next;
	const struct pvvf_pf_ops *ops;
	void *ctx;
	uint64_t id;
	struct pvvf_pf_caps caps;
	struct pvvf_vf *vfs;		/* caps.num_vfs, indexed by VF index */
	struct pvvf_pf_member *members;	/* guests holding VFs of this PF */
	uint32_t nmembers, members_cap;
	bool gone;
	/* PASID (7.8.9): PF Control as last read or written */
	uint16_t pasid_ctrl;
	bool host_owner;
	bool pvvf_owner;
	uint32_t pasid_refs;
	bool pasid_deferred;
	bool pasid_revoked;
	/* PRI (10.5.2) */
	bool pri_on;
	uint32_t pri_free;
	uint32_t pri_users;
	bool pri_revoked;
	bool pri_host;			/* PRI Enable found set, not pvvf's */
	bool reset_redo;		/* restored with a PF reset pending */
	uint32_t ats_vfs;
	/* PF reset */
	bool reset_pending;
	uint32_t reset_acks;
	uint64_t reset_deadline;
};

/* One slot of a guest's VF table, with its pending event positions. */
struct pvvf_slot {
	struct pvvf_vf *vf;		/* NULL: empty */
	uint16_t evt_pos[VIRTIO_PVVF_EVT_COUNT];	/* ring index + 1 */
};

struct pvvf_evq_ent {
	uint16_t type;
	uint16_t flags;
	uint32_t vf;
	uint32_t epoch;
	uint32_t detail;
	bool dead;			/* purged: skipped by pop */
};

struct pvvf_ack_ent {
	uint32_t seq;
	uint32_t slot;
	bool valid;
};

struct pvvf_guest {
	struct pvvf_core *core;
	struct pvvf_guest *prev, *next;
	char name[PVVF_NAME_MAX];
	void *opaque;
	uint64_t offered;
	uint64_t acked;
	bool connected;
	bool awaiting;			/* restored, waiting for its link */
	uint64_t await_deadline;
	uint32_t epoch;
	struct pvvf_slot *slots;
	uint32_t nslots, slots_cap;
	/* event queue: ring of evq_depth entries */
	struct pvvf_evq_ent *evq;
	uint32_t evq_depth, evq_head, evq_count;
	uint16_t dev_evt_pos[VIRTIO_PVVF_EVT_COUNT];
	uint32_t next_seq;
	struct pvvf_ack_ent acks[PVVF_ACK_WINDOW];
};

struct pvvf_core {
	struct pvvf_core_params p;
	struct pvvf_core_cb cb;
	uint64_t now;
	struct pvvf_pf *pfs;
	struct pvvf_guest *guests;
	struct pvvf_link drains;	/* draining VFs, by deadline */
	struct pvvf_link vf_resets;	/* VF resets waiting for acks, by deadline */
	uint32_t awaiting;		/* restored guests waiting for their link */
};

/* core.c */
void pvvf_log(struct pvvf_core *core, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool pvvf_log_on(const struct pvvf_core *core);
void pvvf_guest_touch(struct pvvf_guest *g);
void pvvf_pf_touch_guests(struct pvvf_pf *pf);
struct pvvf_vf *pvvf_guest_slot_vf(const struct pvvf_guest *g, uint32_t slot);
bool pvvf_guest_has(const struct pvvf_guest *g, uint64_t feature_bit);

/* arb.c */
struct pvvf_verdict pvvf_vf_pasid_enable(struct pvvf_vf *vf, uint8_t features);
struct pvvf_verdict pvvf_vf_pasid_disable(struct pvvf_vf *vf);
struct pvvf_verdict pvvf_vf_ats_set(struct pvvf_vf *vf, bool enable, uint8_t stu);
struct pvvf_verdict pvvf_vf_pri_enable(struct pvvf_vf *vf, uint32_t alloc);
struct pvvf_verdict pvvf_vf_pri_disable(struct pvvf_vf *vf);
struct pvvf_verdict pvvf_vf_pri_reset(struct pvvf_vf *vf);
uint16_t pvvf_vf_pri_status(const struct pvvf_vf *vf);
uint32_t pvvf_vf_pri_outstanding(const struct pvvf_vf *vf);
uint8_t pvvf_pf_pasid_available(const struct pvvf_pf *pf);
void pvvf_vf_release(struct pvvf_vf *vf);
void pvvf_vf_teardown(struct pvvf_vf *vf);
void pvvf_vf_forget(struct pvvf_vf *vf);
void pvvf_vf_drain_check(struct pvvf_vf *vf);
void pvvf_vf_drain_expire(struct pvvf_vf *vf);
void pvvf_pf_pasid_settle(struct pvvf_pf *pf);
void pvvf_pf_pri_settle(struct pvvf_pf *pf);

/* restore.c */
uint64_t pvvf_core_expire_awaiting(struct pvvf_core *core);

/* host.c */
void pvvf_pf_note(void *cookie, enum pvvf_pf_note note, uint16_t vf_index);
void pvvf_pf_reset_ack(struct pvvf_vf *vf);
void pvvf_pf_reset_run(struct pvvf_pf *pf);
void pvvf_pf_ack_drop(struct pvvf_vf *vf);
void pvvf_vf_reset_ack(struct pvvf_vf *vf);
void pvvf_vf_reset_run(struct pvvf_vf *vf);
void pvvf_vf_reset_cancel(struct pvvf_vf *vf);

/* event.c */
int pvvf_evq_init(struct pvvf_guest *g, uint32_t depth);
void pvvf_evq_free(struct pvvf_guest *g);
void pvvf_evq_clear(struct pvvf_guest *g);
void pvvf_evq_push(struct pvvf_guest *g, uint32_t slot, uint16_t type,
		   uint16_t flags, uint32_t detail);
void pvvf_evq_push_vf(struct pvvf_vf *vf, uint16_t type, uint16_t flags,
		      uint32_t detail);
void pvvf_evq_purge_slot(struct pvvf_guest *g, uint32_t slot);
bool pvvf_evq_ack(struct pvvf_guest *g, uint32_t seq);

/* dispatch.c */
const char *pvvf_qual_name(uint16_t qual);

/* drain list */
static inline void pvvf_link_init(struct pvvf_link *l)
{
	l->prev = l->next = l;
}

static inline bool pvvf_link_empty(const struct pvvf_link *l)
{
	return l->next == l;
}

static inline void pvvf_link_add_tail(struct pvvf_link *head, struct pvvf_link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static inline void pvvf_link_del(struct pvvf_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	pvvf_link_init(l);
}

#endif /* PVVF_HOST_CORE_INT_H */
