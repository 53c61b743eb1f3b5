// SPDX-License-Identifier: BSD-3-Clause
/*
 * The per-guest event queue (docs/spec.md 6.9.1): events are state
 * changes, not a log.  At most one pending event per (slot, type), a later
 * one merges into it (details OR-ed, latest epoch); at most evq_depth
 * pending; on overflow everything collapses into one RESYNC.  So a guest
 * that never posts eventq buffers cannot make the core grow its memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

static const char *const pvvf_evt_names[VIRTIO_PVVF_EVT_COUNT] = {
	"resync", "pf_state", "pf_reset_begin", "pf_reset_done",
	"vf_reset_begin", "vf_reset_done", "pri_stopped", "vf_table",
	"pf_removed",
};

int pvvf_evq_init(struct pvvf_guest *g, uint32_t depth)
{
	g->evq_depth = depth ? depth : PVVF_EVQ_DEPTH;
	if (g->evq_depth > PVVF_EVQ_DEPTH_MAX)
		return -EINVAL;
	g->evq = calloc(g->evq_depth, sizeof(*g->evq));
	return g->evq ? 0 : -ENOMEM;
}

void pvvf_evq_free(struct pvvf_guest *g)
{
	free(g->evq);
	g->evq = NULL;
}

/* Where the pending event of (slot, type) sits: ring index + 1, 0: none. */
static uint16_t *pvvf_evq_pos(struct pvvf_guest *g, uint32_t slot, uint16_t type)
{
	if (slot == VIRTIO_PVVF_VF_NONE)
		return &g->dev_evt_pos[type];
	return &g->slots[slot].evt_pos[type];
}

static struct pvvf_evq_ent *pvvf_evq_at(struct pvvf_guest *g, uint32_t i)
{
	return &g->evq[(g->evq_head + i) % g->evq_depth];
}

void pvvf_evq_clear(struct pvvf_guest *g)
{
	for (uint32_t i = 0; i < g->evq_count; i++) {
		struct pvvf_evq_ent *e = pvvf_evq_at(g, i);

		if (!e->dead)
			*pvvf_evq_pos(g, e->vf, e->type) = 0;
	}
	g->evq_head = 0;
	g->evq_count = 0;
}

static void pvvf_evq_append(struct pvvf_guest *g, uint32_t slot, uint16_t type,
			    uint16_t flags, uint32_t detail)
{
	uint32_t idx = (g->evq_head + g->evq_count) % g->evq_depth;
	struct pvvf_evq_ent *e = &g->evq[idx];

	e->type = type;
	e->flags = flags;
	e->vf = slot;
	e->epoch = g->epoch;
	e->detail = detail;
	e->dead = false;
	*pvvf_evq_pos(g, slot, type) = (uint16_t)(idx + 1);
	g->evq_count++;
}

static void pvvf_evq_log(struct pvvf_guest *g, uint32_t slot, uint16_t type,
			 uint32_t detail)
{
	if (!pvvf_log_on(g->core))
		return;
	if (slot == VIRTIO_PVVF_VF_NONE)
		pvvf_log(g->core, "event guest=%s slot=none type=%s detail=0x%x epoch=%u",
			 g->name, pvvf_evt_names[type], detail, g->epoch);
	else
		pvvf_log(g->core, "event guest=%s slot=%u type=%s detail=0x%x epoch=%u",
			 g->name, slot, pvvf_evt_names[type], detail, g->epoch);
}

/*
 * 6.9.1: full, so everything pending becomes "re-read all".  Except the
 * events a reset waits to have acknowledged: without them the driver could
 * not acknowledge, and its users would not quiesce.  They stay, in order,
 * up to all but the one entry the RESYNC needs (the others' resets run at
 * their deadline, as for a driver that never answers).
 */
static void pvvf_evq_collapse(struct pvvf_guest *g)
{
	uint32_t n = g->evq_count, kept = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct pvvf_evq_ent e = *pvvf_evq_at(g, i);

		if (e.dead)
			continue;
		*pvvf_evq_pos(g, e.vf, e.type) = 0;
		if (!(e.flags & VIRTIO_PVVF_EVT_F_ACK) || kept + 1 >= g->evq_depth)
			continue;
		/* in place: entry i moves to kept <= i, already read */
		g->evq[(g->evq_head + kept) % g->evq_depth] = e;
		*pvvf_evq_pos(g, e.vf, e.type) =
			(uint16_t)((g->evq_head + kept) % g->evq_depth + 1);
		kept++;
	}
	g->evq_count = kept;
	pvvf_evq_append(g, VIRTIO_PVVF_VF_NONE, VIRTIO_PVVF_EVT_RESYNC, 0, 0);
}

void pvvf_evq_push(struct pvvf_guest *g, uint32_t slot, uint16_t type,
		   uint16_t flags, uint32_t detail)
{
	uint16_t *pos;

	if (!g->connected)
		return;
	pos = pvvf_evq_pos(g, slot, type);
	if (*pos) {
		struct pvvf_evq_ent *e = &g->evq[*pos - 1];

		e->flags |= flags;
		e->detail |= detail;
		e->epoch = g->epoch;
	} else if (g->evq_count < g->evq_depth) {
		pvvf_evq_append(g, slot, type, flags, detail);
	} else {
		pvvf_evq_collapse(g);
		if ((flags & VIRTIO_PVVF_EVT_F_ACK) && g->evq_count < g->evq_depth) {
			pvvf_evq_append(g, slot, type, flags, detail);
		} else {
			type = VIRTIO_PVVF_EVT_RESYNC;
			slot = VIRTIO_PVVF_VF_NONE;
			detail = 0;
		}
	}
	pvvf_evq_log(g, slot, type, detail);
	if (g->core->cb.events_pending)
		g->core->cb.events_pending(g->core->cb.opaque, g);
}

void pvvf_evq_push_vf(struct pvvf_vf *vf, uint16_t type, uint16_t flags,
		      uint32_t detail)
{
	if (vf->owner)
		pvvf_evq_push(vf->owner, vf->slot, type, flags, detail);
}

/* The slot is being emptied: its pending events must not be delivered. */
void pvvf_evq_purge_slot(struct pvvf_guest *g, uint32_t slot)
{
	for (uint16_t t = 0; t < VIRTIO_PVVF_EVT_COUNT; t++) {
		uint16_t *pos = &g->slots[slot].evt_pos[t];

		if (*pos)
			g->evq[*pos - 1].dead = true;
		*pos = 0;
	}
}

static uint8_t pvvf_evq_ack_kind(uint16_t type)
{
	if (type == VIRTIO_PVVF_EVT_PF_RESET_BEGIN)
		return PVVF_ACK_PF_RESET;
	return type == VIRTIO_PVVF_EVT_VF_RESET_BEGIN ? PVVF_ACK_VF_RESET : 0;
}

static void pvvf_evq_remember_ack(struct pvvf_guest *g, const struct pvvf_evq_ent *e,
				  uint32_t seq)
{
	struct pvvf_ack_ent *a = &g->acks[seq % PVVF_ACK_WINDOW];
	struct pvvf_vf *vf = pvvf_guest_slot_vf(g, e->vf);
	uint8_t kind = pvvf_evq_ack_kind(e->type);

	a->seq = seq;
	a->slot = e->vf;
	a->valid = true;
	if (vf && kind) {
		vf->ack_seq[pvvf_ack_idx(kind)] = seq;
		vf->ack_seq_valid |= kind;
	}
}

static void pvvf_evq_fill(struct virtio_pvvf_event *ev, const struct pvvf_evq_ent *e,
			  uint32_t seq)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = htole16(e->type);
	ev->flags = htole16(e->flags);
	ev->vf = htole32(e->vf);
	ev->seq = htole32(seq);
	ev->epoch = htole32(e->epoch);
	ev->detail = htole32(e->detail);
}

bool pvvf_guest_event_pop(struct pvvf_guest *g, struct virtio_pvvf_event *ev)
{
	while (g->evq_count) {
		struct pvvf_evq_ent *e = &g->evq[g->evq_head];
		uint32_t seq;

		g->evq_head = (g->evq_head + 1) % g->evq_depth;
		g->evq_count--;
		if (e->dead)
			continue;
		*pvvf_evq_pos(g, e->vf, e->type) = 0;
		seq = g->next_seq++;
		if (e->flags & VIRTIO_PVVF_EVT_F_ACK)
			pvvf_evq_remember_ack(g, e, seq);
		pvvf_evq_fill(ev, e, seq);
		return true;
	}
	return false;
}

uint32_t pvvf_guest_events_pending(const struct pvvf_guest *g)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < g->evq_count; i++)
		n += !g->evq[(g->evq_head + i) % g->evq_depth].dead;
	return n;
}

/*
 * EVENT_ACK: @seq must name a delivered event that still awaits its
 * acknowledgement; anything else is refused (Q_SEQ) and changes nothing.
 */
bool pvvf_evq_ack(struct pvvf_guest *g, uint32_t seq)
{
	struct pvvf_ack_ent *a = &g->acks[seq % PVVF_ACK_WINDOW];
	struct pvvf_vf *vf;

	if (!a->valid || a->seq != seq)
		return false;
	vf = pvvf_guest_slot_vf(g, a->slot);
	if (!vf)
		return false;
	for (uint8_t kind = PVVF_ACK_PF_RESET; kind <= PVVF_ACK_VF_RESET; kind <<= 1) {
		if (!(vf->ack_wait & vf->ack_seq_valid & kind) ||
		    vf->ack_seq[pvvf_ack_idx(kind)] != seq)
			continue;
		a->valid = false;
		if (kind == PVVF_ACK_PF_RESET)
			pvvf_pf_reset_ack(vf);
		else
			pvvf_vf_reset_ack(vf);
		return true;
	}
	return false;
}
