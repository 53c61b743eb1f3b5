// SPDX-License-Identifier: BSD-3-Clause
/*
 * Lifetime of the core's objects (core, PFs, guests, VF slots), time, and
 * the state queries.  Lookups are array indexing: slot -> VF in the guest,
 * VF index -> VF in the PF; no operation on a request path walks a list
 * whose length grows with the number of VFs or guests.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

/* ---- logging and epochs ---- */

bool pvvf_log_on(const struct pvvf_core *core)
{
	return core->cb.log != NULL;
}

void pvvf_log(struct pvvf_core *core, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!core->cb.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	core->cb.log(core->cb.opaque, line);
}

/* The guest's view changed: new epoch, and tell the daemon to notify. */
void pvvf_guest_touch(struct pvvf_guest *g)
{
	g->epoch++;
	if (g->connected && g->core->cb.config_changed)
		g->core->cb.config_changed(g->core->cb.opaque, g);
}

/* Shared PF state changed: every guest holding a VF of it sees it. */
void pvvf_pf_touch_guests(struct pvvf_pf *pf)
{
	for (uint32_t i = 0; i < pf->nmembers; i++)
		pvvf_guest_touch(pf->members[i].g);
}

/* ---- core ---- */

struct pvvf_core *pvvf_core_create(const struct pvvf_core_params *params,
				   const struct pvvf_core_cb *cb)
{
	struct pvvf_core *core = calloc(1, sizeof(*core));

	if (!core)
		return NULL;
	if (params)
		core->p = *params;
	if (!core->p.drain_timeout_ns)
		core->p.drain_timeout_ns = PVVF_DRAIN_TIMEOUT_NS;
	if (!core->p.reset_ack_timeout_ns)
		core->p.reset_ack_timeout_ns = PVVF_RESET_ACK_TIMEOUT_NS;
	if (cb)
		core->cb = *cb;
	pvvf_link_init(&core->drains);
	pvvf_link_init(&core->vf_resets);
	return core;
}

void pvvf_core_destroy(struct pvvf_core *core)
{
	if (!core)
		return;
	while (core->guests)
		pvvf_guest_destroy(core->guests);
	while (core->pfs)
		pvvf_core_remove_pf(core, core->pfs);
	free(core);
}

static uint64_t pvvf_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Drains are appended with now + a constant timeout: the list is sorted. */
static uint64_t pvvf_core_expire_drains(struct pvvf_core *core)
{
	while (!pvvf_link_empty(&core->drains)) {
		struct pvvf_vf *vf = (struct pvvf_vf *)((char *)core->drains.next -
					offsetof(struct pvvf_vf, drain_link));

		if (vf->drain_deadline > core->now)
			return vf->drain_deadline;
		pvvf_vf_drain_expire(vf);
	}
	return PVVF_NO_DEADLINE;
}

/* VF resets wait with now + a constant timeout too. */
static uint64_t pvvf_core_expire_vf_resets(struct pvvf_core *core)
{
	while (!pvvf_link_empty(&core->vf_resets)) {
		struct pvvf_vf *vf = (struct pvvf_vf *)((char *)core->vf_resets.next -
					offsetof(struct pvvf_vf, vf_reset_link));

		if (vf->vf_reset_deadline > core->now)
			return vf->vf_reset_deadline;
		pvvf_vf_reset_run(vf);
	}
	return PVVF_NO_DEADLINE;
}

uint64_t pvvf_core_tick(struct pvvf_core *core, uint64_t now_ns)
{
	uint64_t next = PVVF_NO_DEADLINE;

	if (now_ns > core->now)
		core->now = now_ns;
	for (struct pvvf_pf *pf = core->pfs; pf; pf = pf->next) {
		if (pf->gone)
			continue;
		next = pvvf_min(next, pf->ops->poll(pf->ctx, core->now));
		/* every waiter acked or left, or the deadline passed */
		if (pf->reset_pending &&
		    (pf->reset_acks == 0 || pf->reset_deadline <= core->now))
			pvvf_pf_reset_run(pf);
		if (pf->reset_pending)
			next = pvvf_min(next, pf->reset_deadline);
	}
	next = pvvf_min(next, pvvf_core_expire_vf_resets(core));
	next = pvvf_min(next, pvvf_core_expire_awaiting(core));
	return pvvf_min(next, pvvf_core_expire_drains(core));
}

/* ---- PFs ---- */

/*
 * Enables found set belong to the host, unless @saved (the journal of an
 * earlier instance) says they were not the host's: then pvvf set them,
 * maybe in a change the journal never recorded (docs/design.md, "Restart").
 */
static int pvvf_pf_read_owners(struct pvvf_pf *pf, const struct pvvf_pf_saved *saved)
{
	uint16_t ctrl = 0, pri = 0, status;

	if (pf->caps.pasid && pf->ops->pasid_ctrl_read(pf->ctx, &ctrl))
		return -EIO;
	if (pf->caps.pri && pf->ops->pri_read(pf->ctx, &pri, &status))
		return -EIO;
	pf->pasid_ctrl = ctrl;
	pf->host_owner = (ctrl & PCI_PASID_CTRL_ENABLE) && (!saved || saved->pasid_host);
	pf->pvvf_owner = (ctrl & PCI_PASID_CTRL_ENABLE) && !pf->host_owner;
	pf->pri_host = (pri & PCI_PRI_CTRL_ENABLE) && (!saved || saved->pri_host);
	pf->pri_on = (pri & PCI_PRI_CTRL_ENABLE) && !pf->pri_host;
	if (saved) {
		pf->pasid_revoked = saved->pasid_revoked && !(ctrl & PCI_PASID_CTRL_ENABLE);
		pf->pri_revoked = saved->pri_revoked;
		pf->reset_redo = saved->reset_pending;
	}
	return 0;
}

static int pvvf_pf_init(struct pvvf_pf *pf, const struct pvvf_pf_saved *saved)
{
	int err = pf->ops->caps(pf->ctx, &pf->caps);

	if (err)
		return err;
	if (pf->caps.pasid_max_width > VIRTIO_PVVF_PASID_WIDTH_MAX)
		return -EINVAL;
	pf->caps.pasid_features &= VIRTIO_PVVF_PASID_MASK;
	err = pvvf_pf_read_owners(pf, saved);
	if (err)
		return err;
	pf->pri_free = pf->caps.pri_capacity;
	pf->vfs = calloc(pf->caps.num_vfs ? pf->caps.num_vfs : 1, sizeof(*pf->vfs));
	if (!pf->vfs)
		return -ENOMEM;
	for (uint32_t i = 0; i < pf->caps.num_vfs; i++) {
		pf->vfs[i].pf = pf;
		pf->vfs[i].index = (uint16_t)i;
		pvvf_link_init(&pf->vfs[i].drain_link);
		pvvf_link_init(&pf->vfs[i].vf_reset_link);
	}
	return 0;
}

int pvvf_core_add_pf(struct pvvf_core *core, const struct pvvf_pf_ops *ops,
		     void *ctx, uint64_t pf_id, struct pvvf_pf **out)
{
	return pvvf_core_add_pf_saved(core, ops, ctx, pf_id, NULL, out);
}

int pvvf_core_add_pf_saved(struct pvvf_core *core, const struct pvvf_pf_ops *ops,
			   void *ctx, uint64_t pf_id,
			   const struct pvvf_pf_saved *saved, struct pvvf_pf **out)
{
	struct pvvf_pf *pf;
	int err;

	if (pvvf_core_find_pf(core, pf_id))
		return -EEXIST;
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	pf->core = core;
	pf->ops = ops;
	pf->ctx = ctx;
	pf->id = pf_id;
	err = pvvf_pf_init(pf, saved);
	if (err) {
		free(pf->vfs);
		free(pf);
		return err;
	}
	ops->bind(ctx, pvvf_pf_note, pf);
	pf->next = core->pfs;
	core->pfs = pf;
	pvvf_log(core, "host pf=0x%llx action=added vfs=%u", (unsigned long long)pf_id,
		 pf->caps.num_vfs);
	if (out)
		*out = pf;
	return 0;
}

void pvvf_core_remove_pf(struct pvvf_core *core, struct pvvf_pf *pf)
{
	struct pvvf_pf **pp = &core->pfs;

	for (uint32_t i = 0; i < pf->caps.num_vfs; i++) {
		struct pvvf_vf *vf = &pf->vfs[i];

		if (vf->owner)
			pvvf_guest_remove_vf(vf->owner, vf->slot);
	}
	if (!pf->gone)
		pf->ops->bind(pf->ctx, NULL, NULL);
	while (*pp && *pp != pf)
		pp = &(*pp)->next;
	if (*pp)
		*pp = pf->next;
	pvvf_log(core, "host pf=0x%llx action=unregistered", (unsigned long long)pf->id);
	free(pf->members);
	free(pf->vfs);
	free(pf);
}

struct pvvf_pf *pvvf_core_find_pf(const struct pvvf_core *core, uint64_t pf_id)
{
	for (struct pvvf_pf *pf = core->pfs; pf; pf = pf->next)
		if (pf->id == pf_id)
			return pf;
	return NULL;
}

uint64_t pvvf_pf_id(const struct pvvf_pf *pf)
{
	return pf->id;
}

/* ---- PF membership: which guests hold VFs of a PF ---- */

static int pvvf_pf_member_add(struct pvvf_pf *pf, struct pvvf_guest *g)
{
	struct pvvf_pf_member *m;

	for (uint32_t i = 0; i < pf->nmembers; i++) {
		if (pf->members[i].g == g) {
			pf->members[i].nvfs++;
			return 0;
		}
	}
	if (pf->nmembers == pf->members_cap) {
		uint32_t cap = pf->members_cap ? pf->members_cap * 2 : 4;

		m = realloc(pf->members, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		pf->members = m;
		pf->members_cap = cap;
	}
	pf->members[pf->nmembers++] = (struct pvvf_pf_member){ g, 1 };
	return 0;
}

static void pvvf_pf_member_del(struct pvvf_pf *pf, struct pvvf_guest *g)
{
	for (uint32_t i = 0; i < pf->nmembers; i++) {
		if (pf->members[i].g != g)
			continue;
		if (--pf->members[i].nvfs == 0)
			pf->members[i] = pf->members[--pf->nmembers];
		return;
	}
}

/* ---- guests ---- */

struct pvvf_guest *pvvf_guest_create(struct pvvf_core *core,
				     const struct pvvf_guest_params *params)
{
	struct pvvf_guest *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->core = core;
	snprintf(g->name, sizeof(g->name), "%s",
		 params && params->name ? params->name : "guest");
	g->opaque = params ? params->opaque : NULL;
	g->offered = params && params->features ? params->features & PVVF_FEATURES_ALL
						: PVVF_FEATURES_ALL;
	if (pvvf_evq_init(g, params ? params->evq_depth : 0)) {
		free(g);
		return NULL;
	}
	g->next = core->guests;
	if (core->guests)
		core->guests->prev = g;
	core->guests = g;
	return g;
}

void pvvf_guest_destroy(struct pvvf_guest *g)
{
	struct pvvf_core *core = g->core;

	pvvf_guest_disconnect(g);
	for (uint32_t s = 0; s < g->nslots; s++)
		if (g->slots[s].vf)
			pvvf_guest_remove_vf(g, s);
	if (g->prev)
		g->prev->next = g->next;
	else
		core->guests = g->next;
	if (g->next)
		g->next->prev = g->prev;
	pvvf_evq_free(g);
	free(g->slots);
	free(g);
}

const char *pvvf_guest_name(const struct pvvf_guest *g)
{
	return g->name;
}

void *pvvf_guest_opaque(const struct pvvf_guest *g)
{
	return g->opaque;
}

struct pvvf_vf *pvvf_guest_slot_vf(const struct pvvf_guest *g, uint32_t slot)
{
	return slot < g->nslots ? g->slots[slot].vf : NULL;
}

bool pvvf_guest_has(const struct pvvf_guest *g, uint64_t feature_bit)
{
	return g->acked & (1ULL << feature_bit);
}

/* 6.4.2: a free offset is dword aligned, in 0x100..0xfe8, or 0. */
static bool pvvf_vf_spec_ok(const struct pvvf_vf_spec *s)
{
	if (!s->pf || s->pf->gone || s->vf_index >= s->pf->caps.num_vfs)
		return false;
	if (s->path_len < 1 || s->path_len > VIRTIO_PVVF_PATH_MAX)
		return false;
	return s->cap_offset == 0 ||
	       (!(s->cap_offset & 3) && s->cap_offset >= 0x100 && s->cap_offset <= 0xfe8);
}

static int pvvf_guest_grow(struct pvvf_guest *g)
{
	struct pvvf_slot *s;
	uint32_t cap;

	if (g->nslots < g->slots_cap)
		return 0;
	cap = g->slots_cap ? g->slots_cap * 2 : 8;
	if (cap > VIRTIO_PVVF_MAX_VFS)
		cap = VIRTIO_PVVF_MAX_VFS;
	s = realloc(g->slots, cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + g->slots_cap, 0, (cap - g->slots_cap) * sizeof(*s));
	g->slots = s;
	g->slots_cap = cap;
	return 0;
}

static void pvvf_vf_assign(struct pvvf_vf *vf, struct pvvf_guest *g, uint32_t slot,
			   const struct pvvf_vf_spec *s)
{
	vf->owner = g;
	vf->slot = slot;
	vf->segment = s->segment;
	vf->root_bus = s->root_bus;
	vf->path_len = s->path_len;
	memcpy(vf->path, s->path, sizeof(vf->path));
	vf->vendor_id = s->vendor_id;
	vf->device_id = s->device_id;
	vf->cap_offset = s->cap_offset;
}

int pvvf_guest_add_vf(struct pvvf_guest *g, const struct pvvf_vf_spec *spec)
{
	struct pvvf_vf *vf;
	uint32_t slot = g->nslots;
	int err;

	if (!pvvf_vf_spec_ok(spec))
		return -EINVAL;
	vf = &spec->pf->vfs[spec->vf_index];
	if (vf->owner)
		return -EBUSY;
	if (slot >= VIRTIO_PVVF_MAX_VFS)
		return -ENOSPC;
	err = pvvf_guest_grow(g);
	if (!err)
		err = pvvf_pf_member_add(spec->pf, g);
	if (err)
		return err;
	pvvf_vf_assign(vf, g, slot, spec);
	g->slots[slot].vf = vf;
	g->nslots++;
	pvvf_guest_touch(g);
	pvvf_evq_push(g, slot, VIRTIO_PVVF_EVT_VF_TABLE, 0, 0);
	return (int)slot;
}

int pvvf_guest_remove_vf(struct pvvf_guest *g, uint32_t slot)
{
	struct pvvf_vf *vf = pvvf_guest_slot_vf(g, slot);

	if (!vf)
		return -ENODEV;
	pvvf_vf_release(vf);
	pvvf_evq_purge_slot(g, slot);
	pvvf_pf_member_del(vf->pf, g);
	vf->owner = NULL;
	g->slots[slot].vf = NULL;
	pvvf_guest_touch(g);
	pvvf_evq_push(g, slot, VIRTIO_PVVF_EVT_VF_TABLE, 0, 0);
	return 0;
}

uint64_t pvvf_guest_offered_features(const struct pvvf_guest *g)
{
	return g->offered;
}

int pvvf_guest_ack_features(struct pvvf_guest *g, uint64_t features)
{
	if (features & ~g->offered)
		return -EINVAL;
	g->acked = features;
	return 0;
}

uint64_t pvvf_guest_acked_features(const struct pvvf_guest *g)
{
	return g->acked;
}

void pvvf_guest_get_config(const struct pvvf_guest *g, struct virtio_pvvf_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->epoch = htole32(g->epoch);
	cfg->num_vfs = htole16((uint16_t)g->nslots);
}

void pvvf_guest_connect(struct pvvf_guest *g)
{
	if (g->connected)
		return;
	g->connected = true;
	pvvf_log(g->core, "guest guest=%s action=connect slots=%u", g->name, g->nslots);
}

/* Device reset: release everything in teardown order; nothing survives. */
void pvvf_guest_disconnect(struct pvvf_guest *g)
{
	bool was = g->connected;

	if (g->awaiting) {
		g->awaiting = false;
		g->core->awaiting--;
	}
	g->connected = false;
	for (uint32_t s = 0; s < g->nslots; s++)
		if (g->slots[s].vf)
			pvvf_vf_release(g->slots[s].vf);
	pvvf_evq_clear(g);
	memset(g->acks, 0, sizeof(g->acks));
	g->next_seq = 0;
	g->acked = 0;
	if (was)
		pvvf_log(g->core, "guest guest=%s action=disconnect", g->name);
}

bool pvvf_guest_connected(const struct pvvf_guest *g)
{
	return g->connected;
}

/* ---- queries ---- */

int pvvf_pf_get_info(const struct pvvf_pf *pf, struct pvvf_pf_info *o)
{
	memset(o, 0, sizeof(*o));
	o->pf_id = pf->id;
	o->num_vfs = pf->caps.num_vfs;
	o->gone = pf->gone;
	o->reset_pending = pf->reset_pending;
	o->reset_acks_pending = pf->reset_acks;
	o->pasid_cap = pf->caps.pasid;
	o->pasid_enabled = pf->pasid_ctrl & PCI_PASID_CTRL_ENABLE;
	o->pasid_ctrl_features = pf->pasid_ctrl & VIRTIO_PVVF_PASID_MASK;
	o->pasid_owner = (pf->host_owner ? PVVF_OWNER_HOST : 0) |
			 (pf->pvvf_owner ? PVVF_OWNER_PVVF : 0);
	o->pasid_refs = pf->pasid_refs;
	o->pasid_off_deferred = pf->pasid_deferred;
	o->pasid_revoked = pf->pasid_revoked;
	o->pri_cap = pf->caps.pri;
	o->pri_enabled = pf->pri_on;
	o->pri_pool = pf->caps.pri_capacity;
	o->pri_free = pf->pri_free;
	o->pri_users = pf->pri_users;
	o->pri_revoked = pf->pri_revoked;
	o->ats_stu = pf->caps.ats_stu;
	o->ats_vfs = pf->ats_vfs;
	return 0;
}

static void pvvf_vf_fill_info(const struct pvvf_vf *vf, struct pvvf_vf_info *o)
{
	memset(o, 0, sizeof(*o));
	o->assigned = vf->owner != NULL;
	o->guest = vf->owner ? vf->owner->name : NULL;
	o->slot = vf->slot;
	o->pf_id = vf->pf->id;
	o->vf_index = vf->index;
	o->ats = vf->ats;
	o->ats_stu = vf->ats_stu;
	o->pasid = vf->pasid;
	o->pasid_features = vf->pasid_features;
	o->pri_enabled = vf->pri_enabled;
	o->pri_draining = vf->pri_draining;
	o->pri_status = pvvf_vf_pri_status(vf);
	o->pri_alloc = vf->pri_alloc;
	o->pri_held = vf->pri_held;
	o->pri_outstanding = pvvf_vf_pri_outstanding(vf);
	o->reset_pending = vf->ack_wait & PVVF_ACK_VF_RESET;
}

int pvvf_pf_get_vf_info(const struct pvvf_pf *pf, uint16_t vf_index,
			struct pvvf_vf_info *out)
{
	if (vf_index >= pf->caps.num_vfs)
		return -ENOENT;
	pvvf_vf_fill_info(&pf->vfs[vf_index], out);
	return 0;
}

int pvvf_guest_get_vf_info(const struct pvvf_guest *g, uint32_t slot,
			   struct pvvf_vf_info *out)
{
	const struct pvvf_vf *vf = pvvf_guest_slot_vf(g, slot);

	if (!vf)
		return -ENODEV;
	pvvf_vf_fill_info(vf, out);
	return 0;
}
