/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pvvf host arbitration core: public API.
 *
 * The core owns the state every VF of a PF shares (PASID references, the
 * PRI pool, per-VF virtual PASID/PRI/ATS state), decides every guest
 * request of the virtio_pvvf protocol and produces replies and events.
 *
 * It does no I/O, reads no clock and starts no thread: PF access goes
 * through struct pvvf_pf_ops (pf.h), time comes in through
 * pvvf_core_tick(), and everything it wants to say goes out through
 * struct pvvf_core_cb.  It is not thread-safe: a caller with several
 * threads serialises every call on one core with one lock.  Callbacks run
 * inside the call that caused them and must not call back into the core.
 *
 * Functions returning int return 0 (or a slot number) on success and a
 * negative errno on failure.  See docs/design.md, "Host: the arbitration
 * core", for the rules.
 */
#ifndef PVVF_HOST_CORE_H
#define PVVF_HOST_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_pvvf.h>

#include "pf.h"

struct pvvf_core;
struct pvvf_pf;
struct pvvf_guest;

/* Core parameters; zero fields take the defaults below. */
struct pvvf_core_params {
	uint64_t drain_timeout_ns;	/* PRI drain deadline (default 100 ms) */
	uint64_t reset_ack_timeout_ns;	/* wait for reset acks (default 1 s) */
};

#define PVVF_DRAIN_TIMEOUT_NS		100000000ULL
#define PVVF_RESET_ACK_TIMEOUT_NS	1000000000ULL
#define PVVF_EVQ_DEPTH			64	/* default pending events per guest */
#define PVVF_EVQ_DEPTH_MAX		4096
#define PVVF_NO_DEADLINE		UINT64_MAX

/*
 * What the core tells its caller.  Every pointer may be NULL.
 *
 * @log gets one line per decision or host-side action, without a newline,
 * in key=value form, e.g.
 *   decision guest=a slot=0 op=pasid_enable status=0 qual=none pf=0x1 refs=1 pri_free=512
 *   host pf=0x1 action=pasid_revoked guests=2
 *   event guest=a slot=0 type=pf_state detail=0x1 epoch=7
 * @events_pending: a guest's event queue got an event (new or merged):
 * pop with pvvf_guest_event_pop() while eventq buffers are available.
 * @config_changed: a guest's config epoch changed: send a config change
 * notification.
 */
struct pvvf_core_cb {
	void (*log)(void *opaque, const char *line);
	void (*events_pending)(void *opaque, struct pvvf_guest *g);
	void (*config_changed)(void *opaque, struct pvvf_guest *g);
	void *opaque;
};

struct pvvf_core *pvvf_core_create(const struct pvvf_core_params *params,
				   const struct pvvf_core_cb *cb);
/*
 * Destroys every guest (releasing what it held, through the PF ops) and
 * every PF still registered (unbound, not reset): destroy the back-ends
 * after the core.
 */
void pvvf_core_destroy(struct pvvf_core *core);

/*
 * Advance time to @now_ns (monotonic, never decreasing): polls every PF
 * back-end, completes drains whose deadline passed (answering their page
 * requests), starts PF resets whose ack deadline passed.  Returns the next
 * deadline, PVVF_NO_DEADLINE for none.  Requests are timed against the
 * @now_ns of the last tick.
 */
uint64_t pvvf_core_tick(struct pvvf_core *core, uint64_t now_ns);

/* ---- PFs ---- */

/*
 * Register a PF backed by @ops/@ctx with the opaque identity @pf_id
 * (unique in the core, reported to guests as pf_id).  The core reads the
 * capabilities and the PASID Control (a PASID Enable already set belongs
 * to the host) and binds for notes.  -EEXIST for a duplicate @pf_id.
 */
int pvvf_core_add_pf(struct pvvf_core *core, const struct pvvf_pf_ops *ops,
		     void *ctx, uint64_t pf_id, struct pvvf_pf **out);
/*
 * Unregister a PF: every VF of it leaves its guest (the slot becomes empty,
 * VF_TABLE event) after an orderly release, then the back-end is unbound.
 */
void pvvf_core_remove_pf(struct pvvf_core *core, struct pvvf_pf *pf);
struct pvvf_pf *pvvf_core_find_pf(const struct pvvf_core *core, uint64_t pf_id);

/*
 * Host asks for a PF reset: PF_RESET_BEGIN (ack required) goes to every
 * slot holding a VF of @pf; the reset runs once all were acknowledged or
 * the ack deadline passed, then PF_RESET_DONE.  -EALREADY if one is
 * pending, -ENODEV if the PF is gone.
 */
int pvvf_pf_reset(struct pvvf_pf *pf);

/*
 * Host asks for a reset (FLR) of one VF: its owner gets VF_RESET_BEGIN
 * (ack required); once acknowledged or at the ack deadline the VF's state
 * is released in teardown order and VF_RESET_DONE follows.  No other VF
 * changes.  -EALREADY if one is pending, -ENOENT for a bad index, -ENODEV
 * if the PF is gone.
 */
int pvvf_pf_vf_reset(struct pvvf_pf *pf, uint16_t vf_index);

/* Ownership of the PF's PASID Enable bit */
#define PVVF_OWNER_HOST		0x1	/* the host had it on / turned it on */
#define PVVF_OWNER_PVVF		0x2	/* pvvf turned it on for a VF */

struct pvvf_pf_info {
	uint64_t pf_id;
	uint16_t num_vfs;
	bool gone;			/* back-end reported removal */
	bool reset_pending;		/* waiting for PF_RESET_BEGIN acks */
	uint32_t reset_acks_pending;
	/* PASID */
	bool pasid_cap;
	bool pasid_enabled;		/* PF PASID Enable as last read/written */
	uint8_t pasid_ctrl_features;	/* PCI_PASID_CTRL_EXEC|PRIV set on the PF */
	uint8_t pasid_owner;		/* PVVF_OWNER_* */
	uint32_t pasid_refs;		/* VFs with virtual PASID enabled */
	bool pasid_off_deferred;	/* last ref gone, ATS still on somewhere */
	bool pasid_revoked;		/* host disabled it under pvvf */
	/* PRI */
	bool pri_cap;
	bool pri_enabled;		/* PF PRI Enable */
	uint32_t pri_pool;		/* PF allocation = capacity */
	uint32_t pri_free;		/* pool not carved by any VF */
	uint32_t pri_users;		/* VFs enabled or draining */
	bool pri_revoked;
	/* ATS */
	uint8_t ats_stu;
	uint32_t ats_vfs;		/* assigned VFs with ATS on (as reported) */
};

struct pvvf_vf_info {
	bool assigned;			/* owned by a guest */
	const char *guest;		/* its name, or NULL */
	uint32_t slot;			/* slot in that guest */
	uint64_t pf_id;
	uint16_t vf_index;
	bool ats;
	uint8_t ats_stu;
	bool pasid;
	uint8_t pasid_features;		/* VIRTIO_PVVF_PASID_* */
	bool pri_enabled;
	bool pri_draining;		/* disabled, requests outstanding */
	uint16_t pri_status;		/* VIRTIO_PVVF_PRI_* */
	uint32_t pri_alloc;		/* last allocation enabled */
	uint32_t pri_held;		/* what the VF holds of the pool now */
	uint32_t pri_outstanding;
	bool reset_pending;		/* VF reset waiting for its ack */
};

int pvvf_pf_get_info(const struct pvvf_pf *pf, struct pvvf_pf_info *out);
/* -ENOENT if @vf_index is not a VF of @pf */
int pvvf_pf_get_vf_info(const struct pvvf_pf *pf, uint16_t vf_index,
			struct pvvf_vf_info *out);
uint64_t pvvf_pf_id(const struct pvvf_pf *pf);

/* ---- Guests (one virtio_pvvf device each) ---- */

struct pvvf_guest_params {
	const char *name;		/* copied; used in logs */
	uint64_t features;		/* VIRTIO_PVVF_F_* bits to offer, 0: all */
	uint32_t evq_depth;		/* pending events, 0: PVVF_EVQ_DEPTH */
	void *opaque;			/* returned by pvvf_guest_opaque() */
};

struct pvvf_guest *pvvf_guest_create(struct pvvf_core *core,
				     const struct pvvf_guest_params *params);
/* Releases everything the guest held (as disconnect), then frees it. */
void pvvf_guest_destroy(struct pvvf_guest *g);
const char *pvvf_guest_name(const struct pvvf_guest *g);
void *pvvf_guest_opaque(const struct pvvf_guest *g);

/* A VF handed to a guest, and where the guest sees it. */
struct pvvf_vf_spec {
	struct pvvf_pf *pf;
	uint16_t vf_index;
	uint16_t segment;
	uint8_t root_bus;
	uint8_t path_len;			/* 1..VIRTIO_PVVF_PATH_MAX */
	uint8_t path[VIRTIO_PVVF_PATH_MAX];	/* devfn per hop, last is the VF */
	uint16_t vendor_id;			/* as the guest reads them */
	uint16_t device_id;
	uint16_t cap_offset;	/* free ext. config, 0 or dword in 0x100..0xfe8 */
};

/*
 * Give a VF to the guest: returns its slot (the next unused one; slots are
 * never reused), -EBUSY if another guest owns the VF, -ENOSPC when all
 * VIRTIO_PVVF_MAX_VFS slots were used, -EINVAL for a bad spec (or a PF
 * that was removed).  A
 * connected guest gets VF_TABLE and a config change.
 */
int pvvf_guest_add_vf(struct pvvf_guest *g, const struct pvvf_vf_spec *spec);
/* Release the VF (orderly teardown) and empty its slot; VF_TABLE event. */
int pvvf_guest_remove_vf(struct pvvf_guest *g, uint32_t slot);

/* Device-specific feature bits (VIRTIO_PVVF_F_*), as a 64-bit mask. */
uint64_t pvvf_guest_offered_features(const struct pvvf_guest *g);
/* -EINVAL if @features has a bit that was not offered (nothing changes). */
int pvvf_guest_ack_features(struct pvvf_guest *g, uint64_t features);
uint64_t pvvf_guest_acked_features(const struct pvvf_guest *g);
void pvvf_guest_get_config(const struct pvvf_guest *g,
			   struct virtio_pvvf_config *cfg);

/*
 * The driver side came up (DRIVER_OK) / went away (device reset, back-end
 * lost the connection).  Disconnect releases every reference the guest
 * held in the order of an orderly teardown (PRI disable, drain, PRI reset,
 * ATS off, PASID disable; the drain deadline is now), empties its event
 * queue and clears the acked features.  Slots stay; the guest may
 * connect again.  Events are queued only while connected.
 */
void pvvf_guest_connect(struct pvvf_guest *g);
void pvvf_guest_disconnect(struct pvvf_guest *g);
bool pvvf_guest_connected(const struct pvvf_guest *g);

/*
 * Handle one request: @req/@req_len is the flattened driver-readable part
 * of the chain, @resp/@resp_cap the device-writable part.  Every check of
 * docs/spec.md 6.1.2 is made here; a request that fails one changes no
 * state.  Returns the used length: 0 (nothing written, @resp_cap < 8), 8
 * (header only: bad length or opcode) or the opcode's reply size.
 */
size_t pvvf_guest_request(struct pvvf_guest *g, const void *req, size_t req_len,
			  void *resp, size_t resp_cap);

/*
 * Take the next pending event, with its seq assigned now; false if none.
 * The queue keeps at most one event per (slot, type), merging later ones,
 * and at most evq_depth events; on overflow it keeps a single RESYNC.
 */
bool pvvf_guest_event_pop(struct pvvf_guest *g, struct virtio_pvvf_event *ev);
uint32_t pvvf_guest_events_pending(const struct pvvf_guest *g);

/* State of the VF in @slot; -ENODEV for an empty or unknown slot. */
int pvvf_guest_get_vf_info(const struct pvvf_guest *g, uint32_t slot,
			   struct pvvf_vf_info *out);

/*
 * ---- Restart (docs/design.md, "Restart and reconciliation") ----
 *
 * What a daemon keeps in its journal so that another instance, after a
 * crash, can take over the references it held: the *_get_saved() queries
 * give it, the restore calls below take it back, each checked against the
 * PF's real registers (the PF's state wins over the journal's).
 */

/* What pvvf holds on a PF, beyond its VFs. */
struct pvvf_pf_saved {
	bool pasid_host;		/* the PF's PASID Enable was the host's */
	bool pri_host;			/* the PF's PRI Enable was the host's */
	bool pasid_revoked;
	bool pri_revoked;
	bool reset_pending;		/* a PF reset waited for acks */
};

/* The virtual state of one assigned VF. */
struct pvvf_vf_saved {
	bool ats;
	uint8_t ats_stu;		/* STU field, valid with ats */
	bool pasid;
	uint8_t pasid_features;		/* VIRTIO_PVVF_PASID_* */
	bool pri_enabled;
	bool pri_draining;
	uint16_t pri_faults;		/* VIRTIO_PVVF_PRI_RF|UPRGI */
	uint32_t pri_alloc;
	uint32_t pri_held;
	bool reset_pending;		/* a VF reset waited for its ack */
};

/* A guest whose driver was up. */
struct pvvf_guest_saved {
	bool connected;
	uint64_t acked;			/* features */
	uint32_t epoch;
	uint32_t next_seq;		/* of the next event */
};

void pvvf_pf_get_saved(const struct pvvf_pf *pf, struct pvvf_pf_saved *out);
void pvvf_guest_get_saved(const struct pvvf_guest *g, struct pvvf_guest_saved *out);
/* -ENODEV for an empty slot */
int pvvf_guest_get_vf_saved(const struct pvvf_guest *g, uint32_t slot,
			    struct pvvf_vf_saved *out);

/*
 * pvvf_core_add_pf() for a daemon that found a journal: @saved says which
 * of the PF's enables were the host's; an enable found set that was not
 * is pvvf's (even one the journal never recorded).  @saved NULL: every
 * enable found set is the host's.
 */
int pvvf_core_add_pf_saved(struct pvvf_core *core, const struct pvvf_pf_ops *ops,
			   void *ctx, uint64_t pf_id,
			   const struct pvvf_pf_saved *saved, struct pvvf_pf **out);
/*
 * The guest's driver was up when the previous instance died and its
 * frontend may come back without resetting the device: the guest is
 * connected (events queue) but awaits its link; unless
 * pvvf_guest_resume() comes within @grace_ns of the current time, it is
 * disconnected (everything released).  Call before pvvf_guest_restore_vf.
 * -EINVAL for features that were not offered, -EBUSY if connected.
 */
int pvvf_guest_restore(struct pvvf_guest *g, const struct pvvf_guest_saved *saved,
		       uint64_t grace_ns);
/*
 * Take back the VF state of @slot as far as the PF allows: a PASID or PRI
 * enable whose PF bit is off, or which the PF cannot hold, is dropped and
 * the guest gets PF_STATE with the matching REVOKED detail.  -ENODEV for
 * an empty slot or a removed PF, -EINVAL for a saved state no request
 * could have produced (nothing restored).
 */
int pvvf_guest_restore_vf(struct pvvf_guest *g, uint32_t slot,
			  const struct pvvf_vf_saved *saved);
/*
 * Every guest restored: close the page request gates of VFs that hold no
 * PRI, answer their page requests, turn off PF enables pvvf holds for
 * nobody, check restored drains, and begin again the resets that waited.
 */
void pvvf_core_restore_done(struct pvvf_core *core);
/* Its link is back, the device was not reset: new epoch, and a RESYNC. */
void pvvf_guest_resume(struct pvvf_guest *g);
bool pvvf_guest_awaiting(const struct pvvf_guest *g);

#endif /* PVVF_HOST_CORE_H */
