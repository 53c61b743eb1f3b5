// SPDX-License-Identifier: BSD-3-Clause
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pci_regs.h>

#include "harness.h"

/* ---- callbacks ---- */

static void h_log(void *opaque, const char *line)
{
	struct h_env *e = opaque;

	snprintf(e->log[e->log_lines % H_LOG_KEEP], sizeof(e->log[0]), "%s", line);
	e->log_lines++;
	if (getenv("PVVF_TEST_LOG"))
		fprintf(stderr, "%s\n", line);
}

static void h_kick(void *opaque, struct pvvf_guest *g)
{
	struct h_env *e = opaque;
	int i = h_guest_index(e, g);

	if (i >= 0)
		e->evt_kicks[i]++;
}

static void h_cfg(void *opaque, struct pvvf_guest *g)
{
	struct h_env *e = opaque;
	int i = h_guest_index(e, g);

	if (i >= 0)
		e->cfg_changes[i]++;
}

/* ---- environment ---- */

void h_sim_defaults(struct pvvf_pf_sim_params *p)
{
	pvvf_pf_sim_params_default(p);
	p->num_vfs = 8;
	p->pri_capacity = 64;
}

struct h_env *h_env_new(const struct pvvf_pf_sim_params *p, int npf)
{
	struct h_env *e = calloc(1, sizeof(*e));
	struct pvvf_core_cb cb = { h_log, h_kick, h_cfg, e };
	struct pvvf_core_params cp = { 0 };

	assert_non_null(e);
	e->core = pvvf_core_create(&cp, &cb);
	assert_non_null(e->core);
	e->now = 1000;
	pvvf_core_tick(e->core, e->now);
	for (int i = 0; i < npf; i++) {
		e->sim[i] = pvvf_pf_sim_create(p);
		assert_non_null(e->sim[i]);
		assert_int_equal(pvvf_core_add_pf(e->core, &pvvf_pf_sim_ops, e->sim[i],
						  0x100 + (uint64_t)i, &e->pf[i]), 0);
	}
	e->npf = npf;
	return e;
}

void h_env_free(struct h_env *e)
{
	pvvf_core_destroy(e->core);
	for (int i = 0; i < e->npf; i++)
		pvvf_pf_sim_destroy(e->sim[i]);
	free(e);
}

int h_guest_index(const struct h_env *e, const struct pvvf_guest *g)
{
	for (int i = 0; i < e->ng; i++)
		if (e->g[i] == g)
			return i;
	return -1;
}

struct pvvf_guest *h_guest(struct h_env *e, const char *name, int pf,
			   const uint16_t *vfs, int n)
{
	struct pvvf_guest_params gp = { .name = name };
	struct pvvf_guest *g = pvvf_guest_create(e->core, &gp);

	assert_non_null(g);
	assert_true(e->ng < H_MAX_GUEST);
	e->g[e->ng++] = g;
	for (int i = 0; i < n; i++) {
		struct pvvf_vf_spec s = {
			.pf = e->pf[pf], .vf_index = vfs[i], .root_bus = 0,
			.path_len = 2, .path = { 0x10, (uint8_t)(vfs[i] << 3) },
			.vendor_id = 0x1b36, .device_id = 0x00f1,
			.cap_offset = pvvf_pf_sim_vf_free_offset(e->sim[pf]),
		};

		assert_int_equal(pvvf_guest_add_vf(g, &s), i);
	}
	assert_int_equal(pvvf_guest_ack_features(g, pvvf_guest_offered_features(g)), 0);
	pvvf_guest_connect(g);
	return g;
}

void h_tick(struct h_env *e, uint64_t dt)
{
	e->now += dt;
	pvvf_core_tick(e->core, e->now);
}

/* ---- requests ---- */

static const struct { uint8_t req, resp; } h_sizes[0x24] = {
	[VIRTIO_PVVF_OP_NOP] = { 16, 8 },
	[VIRTIO_PVVF_OP_GET_OPCODES] = { 16, 40 },
	[VIRTIO_PVVF_OP_GET_VF] = { 16, 56 },
	[VIRTIO_PVVF_OP_GET_STATE] = { 16, 36 },
	[VIRTIO_PVVF_OP_EVENT_ACK] = { 24, 8 },
	[VIRTIO_PVVF_OP_ATS_SET] = { 24, 8 },
	[VIRTIO_PVVF_OP_PASID_ENABLE] = { 24, 8 },
	[VIRTIO_PVVF_OP_PASID_DISABLE] = { 16, 8 },
	[VIRTIO_PVVF_OP_PRI_ENABLE] = { 24, 8 },
	[VIRTIO_PVVF_OP_PRI_DISABLE] = { 16, 8 },
	[VIRTIO_PVVF_OP_PRI_RESET] = { 16, 8 },
	[VIRTIO_PVVF_OP_PRI_STATUS] = { 16, 16 },
};

size_t h_req_size(uint16_t op)
{
	return op < 0x24 && h_sizes[op].req ? h_sizes[op].req : 16;
}

size_t h_resp_size(uint16_t op)
{
	return op < 0x24 && h_sizes[op].resp ? h_sizes[op].resp : 8;
}

struct h_reply h_raw(struct pvvf_guest *g, const void *req, size_t len, size_t cap)
{
	struct h_reply r;
	struct virtio_pvvf_resp_head h;

	memset(&r, 0, sizeof(r));
	memset(r.buf, 0xa5, sizeof(r.buf));
	assert_true(cap <= sizeof(r.buf));
	r.used = pvvf_guest_request(g, req, len, r.buf, cap);
	if (r.used >= sizeof(h)) {
		memcpy(&h, r.buf, sizeof(h));
		r.status = le16toh(h.status);
		r.qual = le16toh(h.qualifier);
		r.tag = le32toh(h.tag);
	}
	return r;
}

static uint32_t h_next_tag = 0x1000;

struct h_reply h_req(struct pvvf_guest *g, uint16_t op, uint32_t vf,
		     const void *body, size_t body_len)
{
	uint8_t buf[32] = { 0 };
	struct virtio_pvvf_req_head h = {
		.opcode = htole16(op), .vf = htole32(vf), .tag = htole32(++h_next_tag),
	};
	struct h_reply r;

	memcpy(buf, &h, sizeof(h));
	if (body_len)
		memcpy(buf + sizeof(h), body, body_len);
	r = h_raw(g, buf, h_req_size(op), h_resp_size(op));
	assert_int_equal(r.tag, h_next_tag);
	if (r.status == 0)
		assert_int_equal(r.used, h_resp_size(op));
	return r;
}

struct h_reply h_pasid_enable(struct pvvf_guest *g, uint32_t slot, uint8_t features)
{
	uint8_t body[8] = { features };

	return h_req(g, VIRTIO_PVVF_OP_PASID_ENABLE, slot, body, sizeof(body));
}

struct h_reply h_pasid_disable(struct pvvf_guest *g, uint32_t slot)
{
	return h_req(g, VIRTIO_PVVF_OP_PASID_DISABLE, slot, NULL, 0);
}

struct h_reply h_ats(struct pvvf_guest *g, uint32_t slot, uint8_t enable, uint8_t stu)
{
	uint8_t body[8] = { enable, stu };

	return h_req(g, VIRTIO_PVVF_OP_ATS_SET, slot, body, sizeof(body));
}

struct h_reply h_pri_enable(struct pvvf_guest *g, uint32_t slot, uint32_t alloc)
{
	uint32_t body[2] = { htole32(alloc), 0 };

	return h_req(g, VIRTIO_PVVF_OP_PRI_ENABLE, slot, body, sizeof(body));
}

struct h_reply h_pri_disable(struct pvvf_guest *g, uint32_t slot)
{
	return h_req(g, VIRTIO_PVVF_OP_PRI_DISABLE, slot, NULL, 0);
}

struct h_reply h_pri_reset(struct pvvf_guest *g, uint32_t slot)
{
	return h_req(g, VIRTIO_PVVF_OP_PRI_RESET, slot, NULL, 0);
}

struct h_reply h_pri_status(struct pvvf_guest *g, uint32_t slot, uint16_t *status,
			    uint32_t *outstanding)
{
	struct h_reply r = h_req(g, VIRTIO_PVVF_OP_PRI_STATUS, slot, NULL, 0);
	struct virtio_pvvf_resp_pri_status ps;

	memcpy(&ps, r.buf, sizeof(ps));
	if (status)
		*status = le16toh(ps.status);
	if (outstanding)
		*outstanding = le32toh(ps.outstanding);
	return r;
}

struct h_reply h_get_state(struct pvvf_guest *g, uint32_t slot,
			   struct virtio_pvvf_vf_state *st)
{
	struct h_reply r = h_req(g, VIRTIO_PVVF_OP_GET_STATE, slot, NULL, 0);

	memcpy(st, r.buf + sizeof(struct virtio_pvvf_resp_head), sizeof(*st));
	return r;
}

struct h_reply h_event_ack(struct pvvf_guest *g, uint32_t seq)
{
	uint32_t body[2] = { htole32(seq), 0 };

	return h_req(g, VIRTIO_PVVF_OP_EVENT_ACK, VIRTIO_PVVF_VF_NONE, body, sizeof(body));
}

int h_events(struct pvvf_guest *g, struct virtio_pvvf_event *ev, int max)
{
	int n = 0;

	while (n < max && pvvf_guest_event_pop(g, &ev[n]))
		n++;
	return n;
}

int h_find_event(const struct virtio_pvvf_event *ev, int n, uint16_t type, uint32_t slot)
{
	for (int i = 0; i < n; i++)
		if (le16toh(ev[i].type) == type && le32toh(ev[i].vf) == slot)
			return i;
	return -1;
}

/* ---- snapshots ---- */

struct pvvf_vf_info h_vf(struct h_env *e, int pf, uint16_t vf)
{
	struct pvvf_vf_info i;

	assert_int_equal(pvvf_pf_get_vf_info(e->pf[pf], vf, &i), 0);
	return i;
}

struct pvvf_pf_info h_pf(struct h_env *e, int pf)
{
	struct pvvf_pf_info i;

	assert_int_equal(pvvf_pf_get_info(e->pf[pf], &i), 0);
	return i;
}

uint32_t h_violations(struct h_env *e)
{
	uint32_t n = 0;

	for (int i = 0; i < e->npf; i++)
		n += pvvf_pf_sim_violation_count(e->sim[i]);
	return n;
}

void h_snap_take(struct h_env *e, struct h_snap *s)
{
	memset(s, 0, sizeof(*s));
	for (int p = 0; p < e->npf; p++) {
		struct pvvf_pf_info pi = h_pf(e, p);

		s->pf[p] = pi;
		for (uint16_t v = 0; v < pi.num_vfs && v < H_MAX_VF; v++)
			pvvf_pf_get_vf_info(e->pf[p], v, &s->vf[p][v]);
		for (int w = 0; w < 32; w++)
			s->sim_cfg[p][w] = pvvf_pf_sim_cfg_read(e->sim[p], -1,
						(uint16_t)(0x140 + 4 * w), 4);
		s->violations[p] = pvvf_pf_sim_violation_count(e->sim[p]);
	}
	for (int g = 0; g < e->ng; g++) {
		struct virtio_pvvf_config c;

		pvvf_guest_get_config(e->g[g], &c);
		s->epoch[g] = le32toh(c.epoch);
		s->events[g] = pvvf_guest_events_pending(e->g[g]);
	}
}

void h_assert_snap_equal(struct h_env *e, const struct h_snap *before)
{
	struct h_snap now;

	h_snap_take(e, &now);
	assert_memory_equal(before->pf, now.pf, sizeof(now.pf));
	assert_memory_equal(before->vf, now.vf, sizeof(now.vf));
	assert_memory_equal(before->sim_cfg, now.sim_cfg, sizeof(now.sim_cfg));
	assert_memory_equal(before->epoch, now.epoch, sizeof(now.epoch));
	assert_memory_equal(before->events, now.events, sizeof(now.events));
	assert_memory_equal(before->violations, now.violations, sizeof(now.violations));
}
