// SPDX-License-Identifier: BSD-3-Clause
/*
 * The simulated PF on its own: its config-space image, the PCIe rules it
 * enforces through its ops, and its page request generator.
 */
#include <errno.h>
#include <string.h>

#include <linux/pci_regs.h>

#include "harness.h"

static struct pvvf_pf_sim *sim;
static const struct pvvf_pf_ops *ops = &pvvf_pf_sim_ops;
static uint32_t notes[8];
static uint16_t last_vf;

static void note(void *cookie, enum pvvf_pf_note n, uint16_t vf)
{
	(void)cookie;
	notes[n]++;
	last_vf = vf;
}

static int s_setup(void **st)
{
	struct pvvf_pf_sim_params p;

	(void)st;
	h_sim_defaults(&p);
	sim = pvvf_pf_sim_create(&p);
	assert_non_null(sim);
	ops->bind(sim, note, NULL);
	memset(notes, 0, sizeof(notes));
	return 0;
}

static int s_teardown(void **st)
{
	(void)st;
	pvvf_pf_sim_destroy(sim);
	return 0;
}

static uint32_t rd(int vf, uint16_t off, int size)
{
	return pvvf_pf_sim_cfg_read(sim, vf, off, size);
}

static uint32_t violations(enum pvvf_pf_sim_rule r)
{
	return pvvf_pf_sim_stats(sim)->violations[r];
}

static void test_sim_capability_chain(void **st)
{
	static const uint16_t want[] = { PCI_EXT_CAP_ID_SRIOV, PCI_EXT_CAP_ID_ATS,
					 PCI_EXT_CAP_ID_PRI, PCI_EXT_CAP_ID_PASID };
	uint16_t off = 0x100;

	(void)st;
	assert_true(rd(-1, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	assert_int_equal(rd(-1, rd(-1, PCI_CAPABILITY_LIST, 1), 1), PCI_CAP_ID_EXP);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint32_t h = rd(-1, off, 4);

		assert_int_equal(PCI_EXT_CAP_ID(h), want[i]);
		assert_int_equal(PCI_EXT_CAP_VER(h), 1);
		assert_int_equal(pvvf_pf_sim_cap(sim, want[i]), off);
		off = (uint16_t)PCI_EXT_CAP_NEXT(h);
	}
	assert_int_equal(off, 0);
}

static void test_sim_capability_values(void **st)
{
	uint16_t sriov = pvvf_pf_sim_cap(sim, PCI_EXT_CAP_ID_SRIOV);
	uint16_t pasid = pvvf_pf_sim_cap(sim, PCI_EXT_CAP_ID_PASID);
	uint16_t pri = pvvf_pf_sim_cap(sim, PCI_EXT_CAP_ID_PRI);
	struct pvvf_pf_caps c;

	(void)st;
	assert_int_equal(rd(-1, sriov + PCI_SRIOV_TOTAL_VF, 2), 8);
	assert_int_equal(rd(-1, sriov + PCI_SRIOV_NUM_VF, 2), 8);
	assert_true(rd(-1, sriov + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE);
	assert_int_equal(rd(-1, pasid + PCI_PASID_CAP, 2),
			 PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV | 20 << 8);
	assert_int_equal(rd(-1, pri + PCI_PRI_MAX_REQ, 4), 64);
	assert_int_equal(rd(-1, pri + PCI_PRI_STATUS, 2),
			 PCI_PRI_STATUS_STOPPED | PCI_PRI_STATUS_PASID);
	assert_int_equal(ops->caps(sim, &c), 0);
	assert_int_equal(c.num_vfs, 8);
	assert_int_equal(c.pasid_max_width, 20);
	assert_int_equal(c.pri_capacity, 64);
	assert_true(c.pri_pasid_required);
	assert_int_equal(c.ats_stu, 12);
}

static void test_sim_vf_image(void **st)
{
	uint16_t free_off = pvvf_pf_sim_vf_free_offset(sim);

	(void)st;
	/* SR-IOV: a VF's Vendor and Device ID read as all ones */
	assert_int_equal(rd(3, PCI_VENDOR_ID, 2), 0xffff);
	assert_int_equal(PCI_EXT_CAP_ID(rd(3, 0x100, 4)), PCI_EXT_CAP_ID_ATS);
	assert_int_equal(PCI_EXT_CAP_NEXT(rd(3, 0x100, 4)), 0);
	for (uint16_t o = free_off; o < free_off + 24; o += 4)
		assert_int_equal(rd(3, o, 4), 0);
	assert_int_equal(free_off & 3, 0);
	assert_int_equal(rd(8, 0, 4), UINT32_MAX);
}

static void test_sim_pasid_under_ats_recorded(void **st)
{
	(void)st;
	assert_int_equal(ops->pasid_ctrl_write(sim, PCI_PASID_CTRL_ENABLE), 0);
	assert_int_equal(ops->pasid_ctrl_write(sim, 0), 0);
	assert_int_equal(pvvf_pf_sim_violation_count(sim), 0);
	assert_int_equal(ops->vf_ats_sync(sim, 5, true, 0), 0);
	assert_true(ops->ats_any(sim));
	assert_int_equal(rd(5, 0x100 + PCI_ATS_CTRL, 2) & PCI_ATS_CTRL_ENABLE, PCI_ATS_CTRL_ENABLE);
	/* writing the same value is no change */
	assert_int_equal(ops->pasid_ctrl_write(sim, 0), 0);
	assert_int_equal(pvvf_pf_sim_violation_count(sim), 0);
	assert_int_equal(ops->pasid_ctrl_write(sim, PCI_PASID_CTRL_ENABLE), 0);
	assert_int_equal(violations(PVVF_SIM_PASID_UNDER_ATS), 1);
	assert_int_equal(ops->vf_ats_sync(sim, 5, false, 0), 0);
	assert_false(ops->ats_any(sim));
}

static void test_sim_vf_ats_stu_recorded(void **st)
{
	(void)st;
	assert_int_equal(ops->vf_ats_sync(sim, 1, true, 1), -EINVAL);
	assert_int_equal(violations(PVVF_SIM_VF_ATS_STU), 1);
	assert_false(ops->ats_any(sim));
}

static void test_sim_pri_rules_recorded(void **st)
{
	(void)st;
	assert_int_equal(ops->pri_ctrl_write(sim, PCI_PRI_CTRL_ENABLE), 0);
	assert_int_equal(violations(PVVF_SIM_PRI_ENABLE_NO_ALLOC), 1);
	assert_int_equal(ops->pri_alloc_write(sim, 8), 0);
	assert_int_equal(violations(PVVF_SIM_PRI_ALLOC_ENABLED), 1);
	assert_int_equal(ops->pri_ctrl_write(sim, PCI_PRI_CTRL_RESET), 0);
	assert_int_equal(violations(PVVF_SIM_PRI_RESET_ENABLED), 1);
	assert_int_equal(ops->pri_ctrl_write(sim, 0), 0);
	assert_int_equal(ops->pri_ctrl_write(sim, PCI_PRI_CTRL_RESET), 0);
	assert_int_equal(violations(PVVF_SIM_PRI_RESET_ENABLED), 1);
	assert_int_equal(ops->vf_pri_gate(sim, 0, 6), 0);
	assert_int_equal(ops->vf_pri_gate(sim, 1, 3), 0);
	assert_int_equal(violations(PVVF_SIM_PRI_OVERCOMMIT), 1);
}

static void test_sim_page_requests_complete_after_delay(void **st)
{
	uint16_t ctrl, status;

	(void)st;
	assert_int_equal(ops->pri_alloc_write(sim, 64), 0);
	assert_int_equal(ops->pri_ctrl_write(sim, PCI_PRI_CTRL_ENABLE), 0);
	/* closed gate: nothing issued */
	assert_int_equal(pvvf_pf_sim_inject(sim, 2, 1, 0), 0);
	assert_int_equal(ops->vf_pri_gate(sim, 2, 4), 0);
	assert_int_equal(pvvf_pf_sim_inject(sim, 2, 6, 0), 4);
	assert_int_equal(ops->vf_pri_outstanding(sim, 2), 4);
	assert_int_equal(ops->poll(sim, 999999), 1000000);
	assert_int_equal(notes[PVVF_PF_NOTE_PRQ_DONE], 0);
	assert_int_equal(ops->poll(sim, 1000000), UINT64_MAX);
	assert_int_equal(notes[PVVF_PF_NOTE_PRQ_DONE], 4);
	assert_int_equal(last_vf, 2);
	assert_int_equal(ops->vf_pri_outstanding(sim, 2), 0);
	/* Stopped: disabled and nothing outstanding */
	assert_int_equal(pvvf_pf_sim_inject(sim, 2, 1, 5), 1);
	assert_int_equal(ops->pri_ctrl_write(sim, 0), 0);
	assert_int_equal(ops->pri_read(sim, &ctrl, &status), 0);
	assert_int_equal(status & PCI_PRI_STATUS_STOPPED, 0);
	assert_int_equal(ops->vf_pri_abort(sim, 2), 0);
	assert_int_equal(ops->pri_read(sim, &ctrl, &status), 0);
	assert_true(status & PCI_PRI_STATUS_STOPPED);
	assert_int_equal(pvvf_pf_sim_stats(sim)->prq_aborted, 1);
	assert_int_equal(pvvf_pf_sim_violation_count(sim), 0);
}

static uint32_t generate(uint64_t seed, uint32_t *per_vf)
{
	struct pvvf_pf_sim_params p;
	struct pvvf_pf_sim *s;
	uint32_t n;

	h_sim_defaults(&p);
	p.seed = seed;
	s = pvvf_pf_sim_create(&p);
	ops->pri_alloc_write(s, 64);
	ops->pri_ctrl_write(s, PCI_PRI_CTRL_ENABLE);
	for (uint16_t v = 0; v < 8; v++)
		ops->vf_pri_gate(s, v, 8);
	n = pvvf_pf_sim_inject_random(s, 40, 0);
	for (uint16_t v = 0; v < 8; v++)
		per_vf[v] = pvvf_pf_sim_outstanding(s, v);
	pvvf_pf_sim_destroy(s);
	return n;
}

static void test_sim_generator_deterministic(void **st)
{
	uint32_t a[8], b[8], c[8];

	(void)st;
	assert_int_equal(generate(7, a), generate(7, b));
	assert_memory_equal(a, b, sizeof(a));
	generate(8, c);
	assert_memory_not_equal(a, c, sizeof(a));
}

static void test_sim_host_controls_notify(void **st)
{
	(void)st;
	pvvf_pf_sim_host_pasid(sim, true, PCI_PASID_CTRL_EXEC);
	pvvf_pf_sim_host_ats(sim, true);
	pvvf_pf_sim_host_pasid(sim, false, 0);
	assert_int_equal(notes[PVVF_PF_NOTE_PASID], 2);
	assert_int_equal(notes[PVVF_PF_NOTE_ATS], 1);
	/* the host broke the rule, not the core: counted apart */
	assert_int_equal(pvvf_pf_sim_stats(sim)->host_violations, 1);
	assert_int_equal(pvvf_pf_sim_violation_count(sim), 0);
	pvvf_pf_sim_request_reset(sim);
	assert_int_equal(notes[PVVF_PF_NOTE_RESET_REQ], 1);
	assert_int_equal(ops->reset(sim), 0);
	assert_false(ops->ats_any(sim));
	pvvf_pf_sim_remove(sim);
	assert_int_equal(notes[PVVF_PF_NOTE_REMOVED], 1);
	assert_int_equal(ops->pasid_ctrl_write(sim, 0), -ENODEV);
	assert_int_equal(violations(PVVF_SIM_AFTER_REMOVE), 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
	const struct CMUnitTest tests[] = {
		T(test_sim_capability_chain),
		T(test_sim_capability_values),
		T(test_sim_vf_image),
		T(test_sim_pasid_under_ats_recorded),
		T(test_sim_vf_ats_stu_recorded),
		T(test_sim_pri_rules_recorded),
		T(test_sim_page_requests_complete_after_delay),
		T(test_sim_generator_deterministic),
		T(test_sim_host_controls_notify),
	};
#undef T

	return cmocka_run_group_tests_name("pvvf_sim", tests, NULL, NULL);
}
