// SPDX-License-Identifier: BSD-3-Clause
/*
 * Benchmark of the pvvf core: operations per second and instructions per
 * operation, for each operation type, with 8, 256 and 4096 VFs on one
 * simulated PF shared by 1 or 64 guests; and memory per VF and per guest.
 *
 *   bench --table            wall-clock table and memory per VF and guest
 *   bench --csv              the same figures, one "host,metric,op,cfg,value,unit"
 *                            line each (tests/bench/run.sh's results file)
 *   bench --callgrind        the same operations once per configuration,
 *                            each run between CALLGRIND_ZERO_STATS and
 *                            CALLGRIND_DUMP_STATS_AT("<vfs>/<guests>/<op> n=<ops>");
 *                            bench/callgrind.sh turns the dumps into a table
 *
 * Steady state: VF 0 holds a PASID reference and PRI throughout, so the
 * other VFs' enables and disables do not flip the PF's bits; the PF-bit
 * flip (which notifies every guest sharing the PF) is its own row.
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <valgrind/callgrind.h>

#include "core_int.h"
#include "pf_sim.h"

#define NCFG	6
#define MAXOPS	4096

struct cfg {
	uint16_t vfs;
	uint16_t guests;
};

static const struct cfg cfgs[NCFG] = {
	{ 8, 1 }, { 8, 64 }, { 256, 1 }, { 256, 64 }, { 4096, 1 }, { 4096, 64 },
};

struct target {
	struct pvvf_guest *g;
	uint32_t slot;
};

struct bench {
	struct pvvf_core *core;
	struct pvvf_pf_sim *sim;
	struct pvvf_pf *pf;
	struct pvvf_guest *g[64];
	uint16_t ng;
	struct target t[MAXOPS];	/* VFs 1.., in a scrambled order */
	uint32_t nt;
	size_t pf_bytes;		/* heap of registering the PF */
	size_t vf_bytes;		/* heap of giving every VF to a guest */
	size_t guest_bytes;		/* heap of creating the guests */
	uint32_t tag;
};

/* ---- requests ---- */

static void b_req(struct bench *b, const struct target *t, uint16_t op,
		  uint32_t vf, const void *body, size_t blen, size_t resp_len)
{
	uint8_t req[24] = { 0 }, resp[64];
	struct virtio_pvvf_req_head h = {
		.opcode = htole16(op), .vf = htole32(vf), .tag = htole32(++b->tag),
	};

	memcpy(req, &h, sizeof(h));
	if (blen)
		memcpy(req + sizeof(h), body, blen);
	pvvf_guest_request(t->g, req, sizeof(h) + (blen ? 8 : 0), resp, resp_len);
}

typedef void op_fn(struct bench *b, const struct target *t);

static void op_nop(struct bench *b, const struct target *t)
{
	b_req(b, t, VIRTIO_PVVF_OP_NOP, VIRTIO_PVVF_VF_NONE, NULL, 0, 8);
}

static void op_get_vf(struct bench *b, const struct target *t)
{
	b_req(b, t, VIRTIO_PVVF_OP_GET_VF, t->slot, NULL, 0, 56);
}

static void op_get_state(struct bench *b, const struct target *t)
{
	b_req(b, t, VIRTIO_PVVF_OP_GET_STATE, t->slot, NULL, 0, 36);
}

static void op_pri_status(struct bench *b, const struct target *t)
{
	b_req(b, t, VIRTIO_PVVF_OP_PRI_STATUS, t->slot, NULL, 0, 16);
}

static void op_ats_on(struct bench *b, const struct target *t)
{
	uint8_t body[8] = { 1, 0 };

	b_req(b, t, VIRTIO_PVVF_OP_ATS_SET, t->slot, body, 8, 8);
}

static void op_ats_off(struct bench *b, const struct target *t)
{
	uint8_t body[8] = { 0 };

	b_req(b, t, VIRTIO_PVVF_OP_ATS_SET, t->slot, body, 8, 8);
}

static void op_pasid_enable(struct bench *b, const struct target *t)
{
	uint8_t body[8] = { VIRTIO_PVVF_PASID_EXEC };

	b_req(b, t, VIRTIO_PVVF_OP_PASID_ENABLE, t->slot, body, 8, 8);
}

static void op_pasid_disable(struct bench *b, const struct target *t)
{
	b_req(b, t, VIRTIO_PVVF_OP_PASID_DISABLE, t->slot, NULL, 0, 8);
}

static void op_pri_enable(struct bench *b, const struct target *t)
{
	uint32_t body[2] = { htole32(1), 0 };

	b_req(b, t, VIRTIO_PVVF_OP_PRI_ENABLE, t->slot, body, 8, 8);
}

static void op_pri_disable(struct bench *b, const struct target *t)
{
	b_req(b, t, VIRTIO_PVVF_OP_PRI_DISABLE, t->slot, NULL, 0, 8);
}

static void op_event_pop(struct bench *b, const struct target *t)
{
	struct virtio_pvvf_event ev;

	(void)b;
	pvvf_guest_event_pop(t->g, &ev);
}

static void op_bad_reserved(struct bench *b, const struct target *t)
{
	uint8_t body[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };

	b_req(b, t, VIRTIO_PVVF_OP_PASID_ENABLE, t->slot, body, 8, 8);
}

static void op_foreign_slot(struct bench *b, const struct target *t)
{
	b_req(b, t, VIRTIO_PVVF_OP_GET_STATE, 0x7fffffff, NULL, 0, 36);
}

static void op_tick(struct bench *b, const struct target *t)
{
	(void)t;
	pvvf_core_tick(b->core, b->core->now + 1000);
}

/* PF bit flip: VF 0 drops and retakes the only PASID reference. */
static void op_pasid_flip(struct bench *b, const struct target *t)
{
	struct target v0 = { b->g[0], 0 };

	(void)t;
	op_pasid_disable(b, &v0);
	op_pasid_enable(b, &v0);
}

struct opdesc {
	const char *name;
	op_fn *fn;
	uint32_t max;		/* ops per run, 0: one per VF target */
};

/* In an order that leaves the state of each op ready for the next. */
static const struct opdesc opdescs[] = {
	{ "nop", op_nop, 4096 },
	{ "get_vf", op_get_vf, 0 },
	{ "get_state", op_get_state, 0 },
	{ "pri_status", op_pri_status, 0 },
	{ "bad_reserved", op_bad_reserved, 0 },
	{ "foreign_slot", op_foreign_slot, 0 },
	{ "pasid_enable", op_pasid_enable, 0 },
	{ "pasid_disable", op_pasid_disable, 0 },
	{ "ats_on", op_ats_on, 0 },
	{ "ats_off", op_ats_off, 0 },
	{ "pri_enable", op_pri_enable, 0 },
	{ "pri_disable", op_pri_disable, 0 },
	{ "event_pop", op_event_pop, 0 },
	{ "tick", op_tick, 4096 },
	{ "pasid_flip_pair", op_pasid_flip, 1024 },
};

#define NOPS (sizeof(opdescs) / sizeof(opdescs[0]))

/* ---- setup ---- */

/* Bytes in use: chunks of the heap, and the large ones malloc mmap()s. */
static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void b_setup(struct bench *b, const struct cfg *c)
{
	struct pvvf_pf_sim_params p;
	size_t before;
	uint32_t k = 0;

	memset(b, 0, sizeof(*b));
	pvvf_pf_sim_params_default(&p);
	p.num_vfs = c->vfs;
	p.pri_capacity = 65535;
	b->sim = pvvf_pf_sim_create(&p);
	before = heap_used();
	b->core = pvvf_core_create(NULL, NULL);
	pvvf_core_add_pf(b->core, &pvvf_pf_sim_ops, b->sim, 0x1, &b->pf);
	b->pf_bytes = heap_used() - before;
	b->ng = c->guests;
	before = heap_used();
	for (uint16_t i = 0; i < b->ng; i++) {
		struct pvvf_guest_params gp = { .name = "g", .evq_depth = PVVF_EVQ_DEPTH_MAX };

		b->g[i] = pvvf_guest_create(b->core, &gp);
	}
	b->guest_bytes = heap_used() - before;
	before = heap_used();
	for (uint16_t v = 0; v < c->vfs; v++) {
		struct pvvf_vf_spec s = { .pf = b->pf, .vf_index = v, .path_len = 1 };
		struct pvvf_guest *g = b->g[v % b->ng];
		int slot = pvvf_guest_add_vf(g, &s);

		/* scramble: VF 1.. in a multiplicative order, not memory order */
		if (v)
			b->t[k++] = (struct target){ g, (uint32_t)slot };
	}
	b->vf_bytes = heap_used() - before;
	b->nt = k;
	for (uint32_t i = 0; i < b->nt; i++) {
		uint32_t j = (uint32_t)((i * 2654435761ULL) % b->nt);
		struct target tmp = b->t[i];

		b->t[i] = b->t[j];
		b->t[j] = tmp;
	}
	for (uint16_t i = 0; i < b->ng; i++) {
		pvvf_guest_ack_features(b->g[i], pvvf_guest_offered_features(b->g[i]));
		pvvf_guest_connect(b->g[i]);
	}
	op_pasid_enable(b, &(struct target){ b->g[0], 0 });
	op_pri_enable(b, &(struct target){ b->g[0], 0 });
	while (op_event_pop(b, &(struct target){ b->g[0], 0 }), pvvf_guest_events_pending(b->g[0]))
		;
}

static void b_free(struct bench *b)
{
	pvvf_core_destroy(b->core);
	pvvf_pf_sim_destroy(b->sim);
}

static uint32_t b_count(const struct bench *b, const struct opdesc *d)
{
	return d->max ? d->max : b->nt;
}

static void b_run(struct bench *b, const struct opdesc *d)
{
	uint32_t n = b_count(b, d);

	for (uint32_t i = 0; i < n; i++)
		d->fn(b, &b->t[i % b->nt]);
}

/* ---- wall clock ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * Run every op type in order, enough times for about 20000 of each; the
 * rate of each, in @rate.
 */
static void b_time(struct bench *b, double *rate)
{
	double secs[NOPS] = { 0 };
	uint64_t count[NOPS] = { 0 };
	uint32_t reps = 1 + 20000 / b->nt;

	for (uint32_t r = 0; r < reps; r++) {
		for (size_t o = 0; o < NOPS; o++) {
			double t0 = now_s();

			b_run(b, &opdescs[o]);
			secs[o] += now_s() - t0;
			count[o] += b_count(b, &opdescs[o]);
		}
	}
	for (size_t o = 0; o < NOPS; o++)
		rate[o] = secs[o] > 0 ? (double)count[o] / secs[o] : 0;
}

static int cmp_double(const void *x, const void *y)
{
	double l = *(const double *)x, r = *(const double *)y;

	return (l > r) - (l < r);
}

/*
 * Side by side: every configuration is set up at once, and each round times
 * every op type of every configuration, so that a noisy moment of a shared
 * machine hits them all; the median round is kept.
 */
#define ROUNDS	15

static void print_table(bool csv)
{
	static struct bench b[NCFG];
	static double rate[NCFG][ROUNDS][NOPS];
	double mops[NCFG][NOPS], per_vf[NCFG], per_guest[NCFG];

	for (int c = 0; c < NCFG; c++) {
		b_setup(&b[c], &cfgs[c]);
		per_vf[c] = (double)(b[c].pf_bytes + b[c].vf_bytes) / cfgs[c].vfs;
		per_guest[c] = (double)b[c].guest_bytes / cfgs[c].guests;
		b_time(&b[c], rate[c][0]);	/* warm up */
	}
	for (int r = 0; r < ROUNDS; r++)
		for (int c = 0; c < NCFG; c++)
			b_time(&b[c], rate[c][r]);
	for (int c = 0; c < NCFG; c++) {
		for (size_t o = 0; o < NOPS; o++) {
			double v[ROUNDS];

			for (int r = 0; r < ROUNDS; r++)
				v[r] = rate[c][r][o];
			qsort(v, ROUNDS, sizeof(v[0]), cmp_double);
			mops[c][o] = v[ROUNDS / 2] / 1e6;
		}
		b_free(&b[c]);
	}
	if (csv) {
		for (int c = 0; c < NCFG; c++) {
			for (size_t o = 0; o < NOPS; o++)
				printf("host,rate,%s,%u/%u,%.0f,op/s\n", opdescs[o].name,
				       cfgs[c].vfs, cfgs[c].guests, mops[c][o] * 1e6);
			printf("host,heap_per_vf,-,%u/%u,%.0f,B\n", cfgs[c].vfs,
			       cfgs[c].guests, per_vf[c]);
			printf("host,heap_per_guest,-,%u/%u,%.0f,B\n", cfgs[c].vfs,
			       cfgs[c].guests, per_guest[c]);
		}
		return;
	}
	printf("\nwall clock, million operations per second (VFs/guests), median of %d rounds\n",
	       ROUNDS);
	printf("%-18s", "op");
	for (int c = 0; c < NCFG; c++)
		printf(" %9u/%-3u", cfgs[c].vfs, cfgs[c].guests);
	printf("\n");
	for (size_t o = 0; o < NOPS; o++) {
		printf("%-18s", opdescs[o].name);
		for (int c = 0; c < NCFG; c++)
			printf(" %13.2f", mops[c][o]);
		printf("\n");
	}
	printf("\nmemory of the core (simulated PF excluded), bytes per VF: heap of\n"
	       "registering the PF and giving its VFs to the guests, / VFs\n");
	printf("%-18s", "heap per VF");
	for (int c = 0; c < NCFG; c++)
		printf(" %13.0f", per_vf[c]);
	printf("\n%-18s", "heap per guest");
	for (int c = 0; c < NCFG; c++)
		printf(" %13.0f", per_guest[c]);
	printf("\n%-18s %13zu (struct pvvf_vf %zu + struct pvvf_slot %zu)\n", "per VF, structs",
	       sizeof(struct pvvf_vf) + sizeof(struct pvvf_slot), sizeof(struct pvvf_vf),
	       sizeof(struct pvvf_slot));
	printf("%-18s %13zu (struct pvvf_guest; its event queue adds %zu per entry,\n"
	       "%-18s %13s  default depth %u, the bench's %u)\n", "per guest",
	       sizeof(struct pvvf_guest), sizeof(struct pvvf_evq_ent), "", "", PVVF_EVQ_DEPTH,
	       PVVF_EVQ_DEPTH_MAX);
}

static void run_callgrind(void)
{
	for (int c = 0; c < NCFG; c++) {
		struct bench b;

		b_setup(&b, &cfgs[c]);
		for (size_t o = 0; o < NOPS; o++) {
			char label[96];

			snprintf(label, sizeof(label), "%u/%u/%s n=%u", cfgs[c].vfs,
				 cfgs[c].guests, opdescs[o].name, b_count(&b, &opdescs[o]));
			CALLGRIND_ZERO_STATS;
			b_run(&b, &opdescs[o]);
			CALLGRIND_DUMP_STATS_AT(label);
		}
		b_free(&b);
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--callgrind") == 0) {
		run_callgrind();
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "--table") == 0 || strcmp(argv[1], "--csv") == 0)) {
		print_table(strcmp(argv[1], "--csv") == 0);
		return 0;
	}
	fprintf(stderr, "usage: %s --table | --csv | --callgrind\n", argv[0]);
	return 2;
}
