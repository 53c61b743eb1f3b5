/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Property engine: one seeded random world (PFs, guests, VFs) and a random
 * interleaving of guest requests, page requests, time and host-side PF
 * events, with the invariants checked after every step.
 */
#ifndef PVVF_TEST_PROP_H
#define PVVF_TEST_PROP_H

#include <stdbool.h>
#include <stdint.h>

struct prop_result {
	uint32_t steps;
	uint64_t requests;
	uint64_t refused;
	uint32_t violations;	/* PCIe rules the simulated PFs saw broken */
	bool broken;		/* an invariant failed (see what) */
	bool gone[2];		/* PFs removed during the run */
	char what[256];
};

/*
 * Run @steps steps of the world of @seed.  Returns true if every invariant
 * held and no PCIe rule was broken, at every step and at the end (after
 * every guest disconnected).
 */
bool prop_run(uint64_t seed, uint32_t steps, struct prop_result *res);

/*
 * The same world, one step at a time, for a driver that makes its own
 * steps in between (the fuzzer, host/fuzz): a failed check or
 * prop_world_fail() sets @res->broken and @res->what.
 */
struct prop_world;
struct pvvf_guest;

struct prop_world *prop_world_new(uint64_t seed, struct prop_result *res);
void prop_world_free(struct prop_world *w);
/* One random step, its choices drawn from @seed; PF removal if @may_remove. */
void prop_world_step(struct prop_world *w, uint64_t seed, bool may_remove);
/* Every invariant, now / after every guest disconnected. */
bool prop_world_check(struct prop_world *w);
bool prop_world_finish(struct prop_world *w);
/* A hash of everything a refused request must leave alone. */
uint64_t prop_world_fingerprint(struct prop_world *w);
int prop_world_num_guests(const struct prop_world *w);
struct pvvf_guest *prop_world_guest(const struct prop_world *w, int i);
/* The link dropped and came back: disconnect, acknowledge, connect. */
void prop_world_reconnect(struct prop_world *w, int i);
bool prop_world_fail(struct prop_world *w, const char *what);

#endif /* PVVF_TEST_PROP_H */
