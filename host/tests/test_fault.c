// SPDX-License-Identifier: BSD-3-Clause
/*
 * The simulated PF catches a deliberately broken core.  This binary links
 * the fault-injection build of the core (-DPVVF_FAULT_INJECTION), whose
 * rule functions consult pvvf_fault_mask; each test first shows the
 * correct core refusing (no violation), then the broken variant doing the
 * forbidden write and the simulated PF recording it.
 */
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "fault.h"
#include "harness.h"
#include "prop.h"

#define S(x) VIRTIO_PVVF_S_##x
#define Q(x) VIRTIO_PVVF_Q_##x

unsigned int pvvf_fault_mask;

static struct h_env *env;
static struct pvvf_guest *ga, *gb;

static int f_setup(void **st)
{
	struct pvvf_pf_sim_params p;
	const uint16_t va[] = { 0, 1 }, vb[] = { 2, 3 };

	(void)st;
	pvvf_fault_mask = 0;
	h_sim_defaults(&p);
	env = h_env_new(&p, 1);
	ga = h_guest(env, "a", 0, va, 2);
	gb = h_guest(env, "b", 0, vb, 2);
	return 0;
}

static int f_teardown(void **st)
{
	(void)st;
	pvvf_fault_mask = 0;
	h_env_free(env);
	return 0;
}

static const struct pvvf_pf_sim_stats *stats(void)
{
	return pvvf_pf_sim_stats(env->sim[0]);
}

/* A core that toggles the PF's PASID Enable while another VF has ATS on. */
static void test_fault_pasid_under_ats_caught(void **st)
{
	(void)st;
	h_assert_ok(h_ats(gb, 0, 1, 0));
	h_assert_reply(h_pasid_enable(ga, 0, 0), S(EBUSY), Q(PF_ATS));
	assert_int_equal(pvvf_pf_sim_violation_count(env->sim[0]), 0);

	pvvf_fault_mask = PVVF_FAULT_IGNORE_ATS;
	h_assert_ok(h_pasid_enable(ga, 0, 0));
	assert_int_equal(stats()->violations[PVVF_SIM_PASID_UNDER_ATS], 1);
	assert_string_equal(pvvf_pf_sim_last_violation(env->sim[0]),
			    "PASID Control changed while ATS enabled (7.8.9.3)");
	/* and the disable is not deferred either: a second violation */
	h_assert_ok(h_pasid_disable(ga, 0));
	assert_int_equal(stats()->violations[PVVF_SIM_PASID_UNDER_ATS], 2);
}

/* A core that rewrites the PRI allocation while PRI is enabled. */
static void test_fault_pri_realloc_caught(void **st)
{
	(void)st;
	h_assert_ok(h_pri_enable(ga, 0, 4));
	h_assert_ok(h_pri_enable(gb, 0, 4));
	assert_int_equal(pvvf_pf_sim_violation_count(env->sim[0]), 0);

	pvvf_fault_mask = PVVF_FAULT_PRI_REALLOC;
	h_assert_ok(h_pri_enable(ga, 1, 4));
	assert_int_equal(stats()->violations[PVVF_SIM_PRI_ALLOC_ENABLED], 1);
}

/* A core that carves VF allocations beyond the PF's pool. */
static void test_fault_pool_overcommit_caught(void **st)
{
	(void)st;
	h_assert_ok(h_pri_enable(ga, 0, 60));
	h_assert_reply(h_pri_enable(gb, 0, 8), S(ENOSPC), Q(POOL));
	assert_int_equal(pvvf_pf_sim_violation_count(env->sim[0]), 0);

	pvvf_fault_mask = PVVF_FAULT_NO_POOL_CHECK;
	h_assert_ok(h_pri_enable(gb, 0, 8));
	assert_int_equal(stats()->violations[PVVF_SIM_PRI_OVERCOMMIT], 1);
}

/*
 * The property test finds the broken core on its own: random worlds with
 * the ATS fault switched on reach a PASID toggle under ATS, and the run
 * reports it; the same worlds pass with the correct core.
 */
static void test_fault_property_finds_broken_core(void **st)
{
	struct prop_result r;
	uint32_t seed, found = 0;

	(void)st;
	for (seed = 1; seed <= 200; seed++) {
		pvvf_fault_mask = 0;
		if (!prop_run(seed, 400, &r))
			fail_msg("correct core failed seed %u: %s", seed, r.what);
		pvvf_fault_mask = PVVF_FAULT_IGNORE_ATS;
		if (!prop_run(seed, 400, &r) && r.violations) {
			assert_non_null(strstr(r.what, "PASID Control changed while ATS"));
			found++;
		}
	}
	printf("property: broken core (PASID under ATS) caught in %u of 200 worlds\n", found);
	assert_true(found > 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, f_setup, f_teardown)
	const struct CMUnitTest tests[] = {
		T(test_fault_pasid_under_ats_caught),
		T(test_fault_pri_realloc_caught),
		T(test_fault_pool_overcommit_caught),
		T(test_fault_property_finds_broken_core),
	};
#undef T

	return cmocka_run_group_tests_name("pvvf_fault", tests, NULL, NULL);
}
