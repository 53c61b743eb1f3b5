// SPDX-License-Identifier: BSD-3-Clause
/*
 * Property engine.  A world is 1-2 simulated PFs with random capabilities
 * and 2-3 guests holding random VFs of them.  Each step is one random
 * action: a guest request (mostly well formed, sometimes malformed or for
 * a foreign slot), page requests, completions, time, event delivery and
 * acknowledgement, host-side PF changes, reconnects, VF hot-(un)plug and
 * rarely PF removal.  After every step the invariants below are checked.
 */
#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pci_regs.h>

#include "harness.h"
#include "prop.h"

#define P_MAX_PF	2
#define P_MAX_GUEST	3
#define P_EVQ_DEPTH	8

struct prop_world {
	uint64_t rng;
	uint64_t now;
	struct pvvf_core *core;
	struct pvvf_pf_sim *sim[P_MAX_PF];
	struct pvvf_pf *pf[P_MAX_PF];
	struct pvvf_pf_sim_params sp[P_MAX_PF];
	struct pvvf_guest *g[P_MAX_GUEST];
	int npf, ng;
	struct prop_result *res;
};

static uint64_t p_rand(struct prop_world *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static uint32_t p_below(struct prop_world *w, uint32_t n)
{
	return n ? (uint32_t)(p_rand(w) % n) : 0;
}

static bool p_chance(struct prop_world *w, uint32_t percent)
{
	return p_below(w, 100) < percent;
}

static bool p_fail(struct prop_world *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool p_fail(struct prop_world *w, const char *fmt, ...)
{
	va_list ap;

	if (w->res->broken)
		return false;
	w->res->broken = true;
	va_start(ap, fmt);
	vsnprintf(w->res->what, sizeof(w->res->what), fmt, ap);
	va_end(ap);
	return false;
}

/* ---- world ---- */

static void p_sim_params(struct prop_world *w, struct pvvf_pf_sim_params *p)
{
	pvvf_pf_sim_params_default(p);
	p->num_vfs = (uint16_t)(4 + p_below(w, 5));
	p->pasid = p_chance(w, 90);
	p->pasid_features = (uint8_t)(p_below(w, 4) << 1);
	p->pri = p_chance(w, 90);
	p->pri_capacity = 4 + p_below(w, 29);
	p->pri_pasid_required = p_chance(w, 50);
	p->prq_delay_ns = 500000 + p_below(w, 5000000);
	p->seed = p_rand(w) | 1;
}

static void p_add_vf(struct prop_world *w, struct pvvf_guest *g, int pf, uint16_t vf)
{
	struct pvvf_vf_spec s = {
		.pf = w->pf[pf], .vf_index = vf, .path_len = 1,
		.path = { (uint8_t)(vf << 3) }, .vendor_id = 0x1b36,
	};

	pvvf_guest_add_vf(g, &s);
}

static void p_connect(struct prop_world *w, struct pvvf_guest *g)
{
	uint64_t f = pvvf_guest_offered_features(g);

	if (p_chance(w, 20))
		f &= p_rand(w);
	pvvf_guest_ack_features(g, f);
	pvvf_guest_connect(g);
}

static void p_log(void *opaque, const char *line)
{
	(void)opaque;
	fprintf(stderr, "%s\n", line);
}

static void p_world_new(struct prop_world *w, uint64_t seed)
{
	struct pvvf_core_cb cb = { .log = p_log };
	struct prop_result *res = w->res;

	memset(w, 0, sizeof(*w));
	w->res = res;
	w->rng = seed * 0x9e3779b97f4a7c15ULL | 1;
	w->now = 1000;
	w->core = pvvf_core_create(NULL, getenv("PVVF_TEST_LOG") ? &cb : NULL);
	pvvf_core_tick(w->core, w->now);
	w->npf = 1 + (int)p_below(w, P_MAX_PF);
	for (int i = 0; i < w->npf; i++) {
		p_sim_params(w, &w->sp[i]);
		w->sim[i] = pvvf_pf_sim_create(&w->sp[i]);
		pvvf_core_add_pf(w->core, &pvvf_pf_sim_ops, w->sim[i], 0x10 + (uint64_t)i, &w->pf[i]);
	}
	w->ng = 2 + (int)p_below(w, P_MAX_GUEST - 1);
	for (int i = 0; i < w->ng; i++) {
		char name[16];
		struct pvvf_guest_params gp = { .name = name, .evq_depth = P_EVQ_DEPTH };

		snprintf(name, sizeof(name), "g%d", i);
		w->g[i] = pvvf_guest_create(w->core, &gp);
	}
	for (int p = 0; p < w->npf; p++)
		for (uint16_t v = 0; v < w->sp[p].num_vfs; v++)
			if (p_chance(w, 75))
				p_add_vf(w, w->g[p_below(w, (uint32_t)w->ng)], p, v);
	for (int i = 0; i < w->ng; i++)
		p_connect(w, w->g[i]);
}

static void p_world_free(struct prop_world *w)
{
	pvvf_core_destroy(w->core);
	for (int i = 0; i < w->npf; i++)
		pvvf_pf_sim_destroy(w->sim[i]);
}

/* ---- fingerprint: everything a refused request must leave alone ---- */

static uint64_t p_mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

uint64_t prop_world_fingerprint(struct prop_world *w)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int p = 0; p < w->npf; p++) {
		struct pvvf_pf_info pi;

		pvvf_pf_get_info(w->pf[p], &pi);
		h = p_mix(h, &pi, sizeof(pi));
		for (uint16_t v = 0; v < pi.num_vfs; v++) {
			struct pvvf_vf_info vi;

			pvvf_pf_get_vf_info(w->pf[p], v, &vi);
			h = p_mix(h, &vi, sizeof(vi));
		}
	}
	for (int i = 0; i < w->ng; i++) {
		struct virtio_pvvf_config c;
		uint32_t n = pvvf_guest_events_pending(w->g[i]);

		pvvf_guest_get_config(w->g[i], &c);
		h = p_mix(h, &c, sizeof(c));
		h = p_mix(h, &n, sizeof(n));
	}
	return h;
}

/* ---- actions ---- */

static const uint16_t p_opcodes[] = {
	VIRTIO_PVVF_OP_NOP, VIRTIO_PVVF_OP_GET_OPCODES, VIRTIO_PVVF_OP_GET_VF,
	VIRTIO_PVVF_OP_GET_STATE, VIRTIO_PVVF_OP_EVENT_ACK, VIRTIO_PVVF_OP_ATS_SET,
	VIRTIO_PVVF_OP_ATS_SET, VIRTIO_PVVF_OP_PASID_ENABLE, VIRTIO_PVVF_OP_PASID_ENABLE,
	VIRTIO_PVVF_OP_PASID_DISABLE, VIRTIO_PVVF_OP_PRI_ENABLE, VIRTIO_PVVF_OP_PRI_ENABLE,
	VIRTIO_PVVF_OP_PRI_DISABLE, VIRTIO_PVVF_OP_PRI_DISABLE, VIRTIO_PVVF_OP_PRI_RESET,
	VIRTIO_PVVF_OP_PRI_STATUS, VIRTIO_PVVF_OP_PASID_DISABLE, VIRTIO_PVVF_OP_PRI_RESET,
	0x0024,
};

static bool p_device_scoped(uint16_t op)
{
	return op == VIRTIO_PVVF_OP_NOP || op == VIRTIO_PVVF_OP_GET_OPCODES ||
	       op == VIRTIO_PVVF_OP_EVENT_ACK;
}

static uint32_t p_slot(struct prop_world *w, struct pvvf_guest *g, uint16_t op)
{
	struct virtio_pvvf_config c;
	uint32_t n;

	if (p_device_scoped(op) && p_chance(w, 95))
		return VIRTIO_PVVF_VF_NONE;
	pvvf_guest_get_config(g, &c);
	n = le16toh(c.num_vfs);
	if (p_chance(w, 85) && n)
		return p_below(w, n);
	return p_chance(w, 50) ? VIRTIO_PVVF_VF_NONE : p_below(w, 12);
}

static void p_body(struct prop_world *w, uint16_t op, uint8_t *body)
{
	switch (op) {
	case VIRTIO_PVVF_OP_PASID_ENABLE:
		body[0] = (uint8_t)(p_chance(w, 90) ? p_below(w, 4) << 1 : p_below(w, 256));
		break;
	case VIRTIO_PVVF_OP_PRI_ENABLE:
		body[0] = (uint8_t)p_below(w, 36);
		break;
	case VIRTIO_PVVF_OP_ATS_SET:
		body[0] = (uint8_t)(p_chance(w, 97) ? p_below(w, 2) : 2);
		body[1] = (uint8_t)(p_chance(w, 90) ? 0 : p_below(w, 40));
		break;
	case VIRTIO_PVVF_OP_EVENT_ACK:
		body[0] = (uint8_t)p_below(w, 64);
		break;
	}
	if (p_chance(w, 3))
		body[p_below(w, 8)] ^= 0x80;
}

static void p_request(struct prop_world *w)
{
	struct pvvf_guest *g = w->g[p_below(w, (uint32_t)w->ng)];
	uint16_t op = p_opcodes[p_below(w, sizeof(p_opcodes) / sizeof(p_opcodes[0]))];
	uint8_t req[32] = { 0 };
	struct virtio_pvvf_req_head h = {
		.opcode = htole16(op), .vf = htole32(p_slot(w, g, op)), .tag = htole32(w->res->steps),
	};
	size_t len = h_req_size(op), cap = h_resp_size(op);
	uint64_t before = prop_world_fingerprint(w);
	struct pvvf_vf_info vb, va;
	bool has_vf = !pvvf_guest_get_vf_info(g, le32toh(h.vf), &vb);
	struct h_reply r;

	if (p_chance(w, 2))
		h.flags = htole16(1);
	memcpy(req, &h, sizeof(h));
	p_body(w, op, req + sizeof(h));
	if (p_chance(w, 3))
		len = p_below(w, 30);
	if (p_chance(w, 3))
		cap = p_below(w, 60);
	r = h_raw(g, req, len, cap);
	w->res->requests++;
	/* 7.8.9.3 for the virtual PASID: never changes under the VF's own ATS */
	if (has_vf && !pvvf_guest_get_vf_info(g, le32toh(h.vf), &va) && vb.ats &&
	    va.ats && vb.pasid != va.pasid)
		p_fail(w, "op 0x%x: VF PASID changed with its ATS on", op);
	if (cap < 8 ? r.used != 0 : (r.used != 8 && r.used != cap))
		p_fail(w, "op 0x%x: used %zu with capacity %zu", op, r.used, cap);
	if (r.status == VIRTIO_PVVF_S_OK || r.used == 0)
		return;
	w->res->refused++;
	if (prop_world_fingerprint(w) != before)
		p_fail(w, "op 0x%x refused (status %u qual %u) but changed state",
		       op, r.status, r.qual);
}

/*
 * A refused ack is right only if nothing waits for it any more: the reset
 * already ran (ack deadline) or the VF left the slot.  Acks are sent right
 * after the pop, so a reset still pending is the one this event began.
 */
static bool p_still_waits(struct prop_world *w, struct pvvf_guest *g,
			  const struct virtio_pvvf_event *ev)
{
	struct pvvf_vf_info vi;
	struct pvvf_pf_info pi;

	if (pvvf_guest_get_vf_info(g, le32toh(ev->vf), &vi))
		return false;
	if (le16toh(ev->type) == VIRTIO_PVVF_EVT_VF_RESET_BEGIN)
		return vi.reset_pending;
	pvvf_pf_get_info(pvvf_core_find_pf(w->core, vi.pf_id), &pi);
	return pi.reset_pending;
}

static void p_events(struct prop_world *w)
{
	struct pvvf_guest *g = w->g[p_below(w, (uint32_t)w->ng)];
	struct virtio_pvvf_event ev;
	uint32_t n = 1 + p_below(w, 6);

	while (n-- && pvvf_guest_event_pop(g, &ev)) {
		uint32_t body[2] = { ev.seq, 0 };

		if (!(le16toh(ev.flags) & VIRTIO_PVVF_EVT_F_ACK) || !p_chance(w, 80))
			continue;
		if (h_req(g, VIRTIO_PVVF_OP_EVENT_ACK, VIRTIO_PVVF_VF_NONE, body,
			  sizeof(body)).status && p_still_waits(w, g, &ev))
			p_fail(w, "ack of delivered seq %u refused", le32toh(ev.seq));
	}
}

static void p_hotplug(struct prop_world *w)
{
	int p = (int)p_below(w, (uint32_t)w->npf);
	uint16_t v = (uint16_t)p_below(w, w->sp[p].num_vfs);
	struct pvvf_vf_info vi;

	pvvf_pf_get_vf_info(w->pf[p], v, &vi);
	if (!vi.assigned) {
		p_add_vf(w, w->g[p_below(w, (uint32_t)w->ng)], p, v);
		return;
	}
	for (int i = 0; i < w->ng; i++)
		if (strcmp(pvvf_guest_name(w->g[i]), vi.guest) == 0)
			pvvf_guest_remove_vf(w->g[i], vi.slot);
}

static void p_host(struct prop_world *w, uint32_t what)
{
	int p = (int)p_below(w, (uint32_t)w->npf);
	struct pvvf_pf_sim *s = w->sim[p];

	switch (what) {
	case 0:
		pvvf_pf_sim_host_ats(s, p_chance(w, 40));
		break;
	case 1:
		pvvf_pf_sim_host_pasid(s, p_chance(w, 50), (uint8_t)(p_below(w, 4) << 1));
		break;
	case 2:
		pvvf_pf_sim_host_pri_disable(s);
		break;
	case 3:
		pvvf_pf_sim_request_reset(s);
		break;
	case 4:
		pvvf_pf_sim_vf_pri_fault(s, (uint16_t)p_below(w, w->sp[p].num_vfs),
					 PCI_PRI_STATUS_RF);
		break;
	case 5:
		pvvf_pf_sim_request_vf_reset(s, (uint16_t)p_below(w, w->sp[p].num_vfs));
		break;
	}
}

static void p_tick(struct prop_world *w)
{
	uint32_t r = p_below(w, 100);
	uint64_t dt = r < 70 ? 100000 + p_below(w, 3000000) :
		      r < 95 ? 20000000 + p_below(w, 150000000) : 1100000000ULL;

	w->now += dt;
	pvvf_core_tick(w->core, w->now);
}

static void p_step(struct prop_world *w, uint32_t step, uint32_t steps)
{
	uint32_t r = p_below(w, 1000);
	int p = (int)p_below(w, (uint32_t)w->npf);

	if (r < 450)
		p_request(w);
	else if (r < 550)
		pvvf_pf_sim_inject_random(w->sim[p], 1 + p_below(w, 4), w->now);
	else if (r < 630)
		pvvf_pf_sim_complete(w->sim[p], (uint16_t)p_below(w, w->sp[p].num_vfs),
				     1 + p_below(w, 3));
	else if (r < 730)
		p_tick(w);
	else if (r < 830)
		p_events(w);
	else if (r < 950)
		p_host(w, p_below(w, 6));
	else if (r < 975) {
		struct pvvf_guest *g = w->g[p_below(w, (uint32_t)w->ng)];

		pvvf_guest_disconnect(g);
		p_connect(w, g);
	} else if (r < 997)
		p_hotplug(w);
	else if (step > steps / 2)
		pvvf_pf_sim_remove(w->sim[p]);
}

/* ---- invariants ---- */

struct p_count {
	uint32_t pasid, pri_used, held, ats;
};

static bool p_check_vf(struct prop_world *w, int p, uint16_t v, struct p_count *c)
{
	struct pvvf_vf_info vi;
	uint32_t out = pvvf_pf_sim_outstanding(w->sim[p], v);

	pvvf_pf_get_vf_info(w->pf[p], v, &vi);
	if (w->res->gone[p]) {
		/* a removed PF: the core keeps no state, the device is frozen */
		if (vi.pasid || vi.ats || vi.pri_enabled || vi.pri_draining || vi.pri_held)
			return p_fail(w, "pf%d vf%u: state kept for a removed PF", p, v);
		return true;
	}
	c->pasid += vi.pasid;
	c->pri_used += vi.pri_enabled || vi.pri_draining;
	c->held += vi.pri_held;
	c->ats += vi.ats;
	/* 10.5.2.3: Stopped means nothing outstanding, for this VF */
	if ((vi.pri_status & VIRTIO_PVVF_PRI_STOPPED) && out)
		return p_fail(w, "pf%d vf%u: stopped with %u outstanding", p, v, out);
	if (vi.pri_enabled && out > vi.pri_held)
		return p_fail(w, "pf%d vf%u: %u outstanding above allocation %u",
			      p, v, out, vi.pri_held);
	if (!vi.assigned && (vi.pasid || vi.ats || vi.pri_enabled || vi.pri_draining))
		return p_fail(w, "pf%d vf%u: unassigned VF holds state", p, v);
	return true;
}

static uint16_t p_sim_reg(struct prop_world *w, int p, uint16_t cap, uint16_t off)
{
	return (uint16_t)pvvf_pf_sim_cfg_read(w->sim[p], -1,
		(uint16_t)(pvvf_pf_sim_cap(w->sim[p], cap) + off), 2);
}

static bool p_check_pasid(struct prop_world *w, int p, const struct pvvf_pf_info *pi,
			  const struct p_count *c)
{
	bool bit = w->sp[p].pasid &&
		   (p_sim_reg(w, p, PCI_EXT_CAP_ID_PASID, PCI_PASID_CTRL) & PCI_PASID_CTRL_ENABLE);
	bool need = (pi->pasid_owner & PVVF_OWNER_HOST) || pi->pasid_refs || pi->pasid_off_deferred;

	if (pi->pasid_refs != c->pasid)
		return p_fail(w, "pf%d: pasid refs %u, VFs with PASID %u", p, pi->pasid_refs, c->pasid);
	if (bit != pi->pasid_enabled)
		return p_fail(w, "pf%d: PASID Enable %d, core thinks %d", p, bit, pi->pasid_enabled);
	if (bit != need)
		return p_fail(w, "pf%d: PASID Enable %d but references require %d", p, bit, need);
	if (pi->pasid_off_deferred && !pvvf_pf_sim_ops.ats_any(w->sim[p]))
		return p_fail(w, "pf%d: PASID disable deferred with no ATS on", p);
	return true;
}

static bool p_check_pri(struct prop_world *w, int p, const struct pvvf_pf_info *pi,
			const struct p_count *c)
{
	bool bit = w->sp[p].pri &&
		   (p_sim_reg(w, p, PCI_EXT_CAP_ID_PRI, PCI_PRI_CTRL) & PCI_PRI_CTRL_ENABLE);

	if (pi->pri_users != c->pri_used)
		return p_fail(w, "pf%d: pri users %u, VFs using PRI %u", p, pi->pri_users, c->pri_used);
	if (c->held > pi->pri_pool || pi->pri_free + c->held != pi->pri_pool)
		return p_fail(w, "pf%d: pool %u, free %u, held %u", p, pi->pri_pool,
			      pi->pri_free, c->held);
	if (bit != pi->pri_enabled || bit != (pi->pri_users > 0))
		return p_fail(w, "pf%d: PRI Enable %d, core %d, users %u", p, bit,
			      pi->pri_enabled, pi->pri_users);
	if (bit && pvvf_pf_sim_cfg_read(w->sim[p], -1, (uint16_t)(pvvf_pf_sim_cap(w->sim[p],
			PCI_EXT_CAP_ID_PRI) + PCI_PRI_ALLOC_REQ), 4) != pi->pri_pool)
		return p_fail(w, "pf%d: PRI allocation is not the pool", p);
	return true;
}

static bool p_check(struct prop_world *w)
{
	w->res->violations = 0;
	for (int p = 0; p < w->npf; p++)
		w->res->violations += pvvf_pf_sim_violation_count(w->sim[p]);
	for (int p = 0; p < w->npf; p++) {
		struct pvvf_pf_info pi;
		struct p_count c = { 0 };

		pvvf_pf_get_info(w->pf[p], &pi);
		w->res->gone[p] = pi.gone;
		if (pvvf_pf_sim_violation_count(w->sim[p]))
			return p_fail(w, "pf%d: PCIe rule broken: %s", p,
				      pvvf_pf_sim_last_violation(w->sim[p]));
		for (uint16_t v = 0; v < pi.num_vfs; v++)
			if (!p_check_vf(w, p, v, &c))
				return false;
		if (pi.gone)
			continue;
		if (pi.ats_vfs != c.ats)
			return p_fail(w, "pf%d: ats count %u, VFs with ATS %u", p, pi.ats_vfs, c.ats);
		if (!p_check_pasid(w, p, &pi, &c) || !p_check_pri(w, p, &pi, &c))
			return false;
	}
	for (int i = 0; i < w->ng; i++)
		if (pvvf_guest_events_pending(w->g[i]) > P_EVQ_DEPTH)
			return p_fail(w, "guest %d: %u events pending", i,
				      pvvf_guest_events_pending(w->g[i]));
	return true;
}

/* Everyone left: the PF holds only what the host itself owns. */
static bool p_check_final(struct prop_world *w)
{
	for (int i = 0; i < w->ng; i++)
		pvvf_guest_disconnect(w->g[i]);
	w->now += 2000000000ULL;
	pvvf_core_tick(w->core, w->now);
	if (!p_check(w))
		return false;
	for (int p = 0; p < w->npf; p++) {
		struct pvvf_pf_info pi;

		pvvf_pf_get_info(w->pf[p], &pi);
		if (pi.gone)
			continue;
		if (pi.pasid_refs || pi.pri_users || pi.ats_vfs || pi.pri_free != pi.pri_pool)
			return p_fail(w, "pf%d: references left after every guest left", p);
		if (pi.pasid_enabled != !!(pi.pasid_owner & PVVF_OWNER_HOST) &&
		    !pi.pasid_off_deferred)
			return p_fail(w, "pf%d: PASID Enable left on by pvvf", p);
		for (uint16_t v = 0; v < pi.num_vfs; v++)
			if (pvvf_pf_sim_outstanding(w->sim[p], v))
				return p_fail(w, "pf%d vf%u: page requests left", p, v);
	}
	return true;
}

struct prop_world *prop_world_new(uint64_t seed, struct prop_result *res)
{
	struct prop_world *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	memset(res, 0, sizeof(*res));
	w->res = res;
	p_world_new(w, seed);
	return w;
}

void prop_world_free(struct prop_world *w)
{
	p_world_free(w);
	free(w);
}

void prop_world_step(struct prop_world *w, uint64_t seed, bool may_remove)
{
	w->rng = seed * 0x9e3779b97f4a7c15ULL | 1;
	w->res->steps++;
	p_step(w, may_remove ? 1 : 0, 1);
}

bool prop_world_check(struct prop_world *w)
{
	return p_check(w);
}

bool prop_world_finish(struct prop_world *w)
{
	return p_check_final(w);
}

int prop_world_num_guests(const struct prop_world *w)
{
	return w->ng;
}

struct pvvf_guest *prop_world_guest(const struct prop_world *w, int i)
{
	return w->g[i];
}

void prop_world_reconnect(struct prop_world *w, int i)
{
	pvvf_guest_disconnect(w->g[i]);
	p_connect(w, w->g[i]);
}

bool prop_world_fail(struct prop_world *w, const char *what)
{
	return p_fail(w, "%s", what);
}

bool prop_run(uint64_t seed, uint32_t steps, struct prop_result *res)
{
	struct prop_world w;

	memset(res, 0, sizeof(*res));
	w.res = res;
	p_world_new(&w, seed);
	for (uint32_t s = 0; s < steps && !res->broken; s++) {
		res->steps = s + 1;
		p_step(&w, s, steps);
		p_check(&w);
	}
	if (!res->broken)
		p_check_final(&w);
	p_world_free(&w);
	return !res->broken;
}
