/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test harness for the pvvf core: a core with simulated PFs and guests,
 * request builders that speak the wire format, and state snapshots to
 * assert that a refused request changed nothing.
 */
#ifndef PVVF_TEST_HARNESS_H
#define PVVF_TEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pf_sim.h"
#include "pvvf_core.h"

#define H_MAX_PF	4
#define H_MAX_GUEST	8
#define H_MAX_VF	64
#define H_LOG_KEEP	16

struct h_env {
	struct pvvf_core *core;
	struct pvvf_pf_sim *sim[H_MAX_PF];
	struct pvvf_pf *pf[H_MAX_PF];
	struct pvvf_guest *g[H_MAX_GUEST];
	int npf, ng;
	uint64_t now;
	/* callbacks seen */
	uint32_t log_lines;
	char log[H_LOG_KEEP][256];
	uint32_t cfg_changes[H_MAX_GUEST];
	uint32_t evt_kicks[H_MAX_GUEST];
};

struct h_reply {
	size_t used;
	uint16_t status;
	uint16_t qual;
	uint32_t tag;
	uint8_t buf[64];
};

/* A snapshot of everything a request could change. */
struct h_snap {
	struct pvvf_pf_info pf[H_MAX_PF];
	struct pvvf_vf_info vf[H_MAX_PF][H_MAX_VF];
	uint32_t sim_cfg[H_MAX_PF][32];
	uint32_t epoch[H_MAX_GUEST];
	uint32_t events[H_MAX_GUEST];
	uint32_t violations[H_MAX_PF];
};

void h_sim_defaults(struct pvvf_pf_sim_params *p);
struct h_env *h_env_new(const struct pvvf_pf_sim_params *p, int npf);
void h_env_free(struct h_env *e);
/* A connected guest with every feature acked, owning VFs @vfs of PF @pf. */
struct pvvf_guest *h_guest(struct h_env *e, const char *name, int pf,
			   const uint16_t *vfs, int n);
int h_guest_index(const struct h_env *e, const struct pvvf_guest *g);
void h_tick(struct h_env *e, uint64_t dt_ns);

/* Request with exact lengths; @body is what follows the 16-byte head. */
struct h_reply h_req(struct pvvf_guest *g, uint16_t op, uint32_t vf,
		     const void *body, size_t body_len);
/* Raw request bytes and capacity, for malformed input. */
struct h_reply h_raw(struct pvvf_guest *g, const void *req, size_t len, size_t cap);
size_t h_req_size(uint16_t op);
size_t h_resp_size(uint16_t op);

struct h_reply h_pasid_enable(struct pvvf_guest *g, uint32_t slot, uint8_t features);
struct h_reply h_pasid_disable(struct pvvf_guest *g, uint32_t slot);
struct h_reply h_ats(struct pvvf_guest *g, uint32_t slot, uint8_t enable, uint8_t stu);
struct h_reply h_pri_enable(struct pvvf_guest *g, uint32_t slot, uint32_t alloc);
struct h_reply h_pri_disable(struct pvvf_guest *g, uint32_t slot);
struct h_reply h_pri_reset(struct pvvf_guest *g, uint32_t slot);
struct h_reply h_pri_status(struct pvvf_guest *g, uint32_t slot, uint16_t *status,
			    uint32_t *outstanding);
struct h_reply h_get_state(struct pvvf_guest *g, uint32_t slot,
			   struct virtio_pvvf_vf_state *st);
struct h_reply h_event_ack(struct pvvf_guest *g, uint32_t seq);

/* Pop every pending event of @g into @ev (up to @max); returns how many. */
int h_events(struct pvvf_guest *g, struct virtio_pvvf_event *ev, int max);
/* Index of the first event of @type for @slot in @ev, or -1. */
int h_find_event(const struct virtio_pvvf_event *ev, int n, uint16_t type, uint32_t slot);

void h_snap_take(struct h_env *e, struct h_snap *s);
void h_assert_snap_equal(struct h_env *e, const struct h_snap *before);
struct pvvf_vf_info h_vf(struct h_env *e, int pf, uint16_t vf);
struct pvvf_pf_info h_pf(struct h_env *e, int pf);
uint32_t h_violations(struct h_env *e);

#define h_assert_reply(r, st, q) do { \
	struct h_reply _r = (r); \
	if (_r.status != (st) || _r.qual != (q)) \
		fail_msg("%s:%d: reply status=%u qual=%u, want status=%u qual=%u", \
			 __FILE__, __LINE__, _r.status, _r.qual, (unsigned)(st), \
			 (unsigned)(q)); \
} while (0)

#define h_assert_ok(r) h_assert_reply(r, VIRTIO_PVVF_S_OK, VIRTIO_PVVF_Q_NONE)

#endif /* PVVF_TEST_HARNESS_H */
