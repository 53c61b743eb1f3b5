// SPDX-License-Identifier: BSD-3-Clause
/*
 * Property test: thousands of seeded random interleavings of requests from
 * several guests, page requests, time and host-side PF events against the
 * simulated PF.  None may break a PCIe rule, leak or double-count a
 * reference, carve beyond the PRI pool, or leave the PF in a state other
 * than what the live references require (see prop.c for the invariants).
 *
 * PVVF_PROP_SEEDS and PVVF_PROP_STEPS override the defaults; a failure
 * prints the seed and step, so one world can be replayed alone.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "prop.h"

#define PROP_SEEDS	5000
#define PROP_STEPS	400

static uint32_t env_or(const char *name, uint32_t def)
{
	const char *v = getenv(name);

	return v ? (uint32_t)strtoul(v, NULL, 0) : def;
}

static void test_property_random_interleavings(void **st)
{
	uint32_t seeds = env_or("PVVF_PROP_SEEDS", PROP_SEEDS);
	uint32_t steps = env_or("PVVF_PROP_STEPS", PROP_STEPS);
	uint32_t first = env_or("PVVF_PROP_SEED", 1);
	uint64_t requests = 0, refused = 0;

	(void)st;
	for (uint32_t seed = first; seed < first + seeds; seed++) {
		struct prop_result r;

		if (!prop_run(seed, steps, &r))
			fail_msg("seed %u step %u: %s", seed, r.steps, r.what);
		requests += r.requests;
		refused += r.refused;
	}
	printf("property: %u worlds x %u steps, %llu requests (%llu refused), "
	       "no PCIe rule broken, every invariant held\n", seeds, steps,
	       (unsigned long long)requests, (unsigned long long)refused);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_property_random_interleavings),
	};

	return cmocka_run_group_tests_name("pvvf_property", tests, NULL, NULL);
}
