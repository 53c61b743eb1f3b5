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

#endif /* PVVF_TEST_PROP_H */
