// SPDX-License-Identifier: BSD-3-Clause
/*
 * Crash consistency: the state file format (persist.c), the simulated PF's
 * state file, and a core restarted over the PF a dead one left
 * (restore.c).  A "daemon" here is a core and a simulated PF on a state
 * file; a crash is modelled by starting the next one on a copy of that
 * file, taken while the first still holds everything, and by handing it
 * what the first one's *_get_saved() said.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "harness.h"
#include "persist.h"

#define EVT(x) VIRTIO_PVVF_EVT_##x
#define GRACE_NS 5000000000ULL

static char dir[64];

struct daemon {
	struct pvvf_pf_sim *sim;
	struct pvvf_core *core;
	struct pvvf_pf *pf;
	struct pvvf_guest *g[2];
	uint64_t now;
};

/* What a journal would hold. */
struct saved {
	struct pvvf_pf_saved pf;
	struct pvvf_guest_saved g[2];
	struct pvvf_vf_saved vf[2];
};

static char *path(const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int r_setup(void **st)
{
	const char *tmp = getenv("TMPDIR");

	(void)st;
	snprintf(dir, sizeof(dir), "%s/pvvf-restore-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int r_teardown(void **st)
{
	char cmd[128];

	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void copy_file(const char *from, const char *to)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "cp %s %s", from, to);
	assert_int_equal(system(cmd), 0);
}

/* Guest i owns VF i (slot 0). */
static void d_start(struct daemon *d, const char *file, const struct saved *s,
		    bool restore)
{
	struct pvvf_pf_sim_params p;
	int restored;
	char why[128];

	memset(d, 0, sizeof(*d));
	h_sim_defaults(&p);
	d->sim = pvvf_pf_sim_open(&p, path(file), &restored, why, sizeof(why));
	assert_non_null(d->sim);
	d->core = pvvf_core_create(NULL, NULL);
	d->now = 1000;
	pvvf_core_tick(d->core, d->now);
	assert_int_equal(pvvf_core_add_pf_saved(d->core, &pvvf_pf_sim_ops, d->sim, 1,
						s ? &s->pf : NULL, &d->pf), 0);
	for (int i = 0; i < 2; i++) {
		struct pvvf_guest_params gp = { .name = i ? "b" : "a" };
		struct pvvf_vf_spec vs = { .pf = d->pf, .vf_index = (uint16_t)i,
					   .path_len = 1 };

		d->g[i] = pvvf_guest_create(d->core, &gp);
		assert_int_equal(pvvf_guest_add_vf(d->g[i], &vs), 0);
		if (restore && s && s->g[i].connected) {
			assert_int_equal(pvvf_guest_restore(d->g[i], &s->g[i], GRACE_NS), 0);
			assert_int_equal(pvvf_guest_restore_vf(d->g[i], 0, &s->vf[i]), 0);
		} else if (!restore) {
			pvvf_guest_ack_features(d->g[i], pvvf_guest_offered_features(d->g[i]));
			pvvf_guest_connect(d->g[i]);
		}
	}
	if (restore)
		pvvf_core_restore_done(d->core);
}

static void d_save(const struct daemon *d, struct saved *s)
{
	pvvf_pf_get_saved(d->pf, &s->pf);
	for (int i = 0; i < 2; i++) {
		pvvf_guest_get_saved(d->g[i], &s->g[i]);
		assert_int_equal(pvvf_guest_get_vf_saved(d->g[i], 0, &s->vf[i]), 0);
	}
}

static void d_stop(struct daemon *d)
{
	assert_int_equal(pvvf_pf_sim_violation_count(d->sim), 0);
	pvvf_core_destroy(d->core);
	pvvf_pf_sim_destroy(d->sim);
}

static void d_tick(struct daemon *d, uint64_t dt)
{
	d->now += dt;
	pvvf_core_tick(d->core, d->now);
}

static uint16_t pasid_ctrl(const struct daemon *d)
{
	uint16_t off = pvvf_pf_sim_cap(d->sim, PCI_EXT_CAP_ID_PASID);

	return (uint16_t)pvvf_pf_sim_cfg_read(d->sim, -1, off + PCI_PASID_CTRL, 2);
}

static uint16_t pri_ctrl(const struct daemon *d)
{
	uint16_t off = pvvf_pf_sim_cap(d->sim, PCI_EXT_CAP_ID_PRI);

	return (uint16_t)pvvf_pf_sim_cfg_read(d->sim, -1, off + PCI_PRI_CTRL, 2);
}

/* ---- persist.c ---- */

static void test_persist_round_trip_and_damage(void **st)
{
	static const char magic[8] = "PVVFTEST";
	const char body[] = "some state";
	char why[128];
	void *got;
	size_t len;
	int fd;

	(void)st;
	assert_int_equal(pvvf_persist_read(path("p"), magic, 1, &got, &len, why, sizeof(why)),
			 -ENOENT);
	assert_int_equal(pvvf_persist_write(path("p"), magic, 1, body, sizeof(body), true), 0);
	assert_int_equal(access(path("p.new"), F_OK), -1);
	assert_int_equal(pvvf_persist_read(path("p"), magic, 1, &got, &len, why, sizeof(why)), 0);
	assert_int_equal(len, sizeof(body));
	assert_memory_equal(got, body, len);
	free(got);
	assert_int_equal(pvvf_persist_read(path("p"), magic, 2, &got, &len, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "version"));
	assert_int_equal(pvvf_persist_read(path("p"), "PVVFXXXX", 1, &got, &len, why,
					   sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "magic"));
	/* one flipped bit */
	fd = open(path("p"), O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "S", 1, 16), 1);
	close(fd);
	assert_int_equal(pvvf_persist_read(path("p"), magic, 1, &got, &len, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "checksum"));
	/* torn: cut short */
	assert_int_equal(pvvf_persist_write(path("p"), magic, 1, body, sizeof(body), false), 0);
	assert_int_equal(truncate(path("p"), 20), 0);
	assert_int_equal(pvvf_persist_read(path("p"), magic, 1, &got, &len, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "torn"));
}

static void test_persist_rbuf_overrun(void **st)
{
	const uint8_t b[3] = { 1, 2, 3 };
	struct pvvf_rbuf r = { .p = b, .len = sizeof(b) };

	(void)st;
	assert_int_equal(pvvf_rbuf_u16(&r), 0x0201);
	assert_int_equal(pvvf_rbuf_u32(&r), 0);
	assert_true(r.bad);
	assert_false(pvvf_rbuf_done(&r));
}

/* ---- the simulated PF's state file ---- */

static void test_sim_state_outlives_the_process(void **st)
{
	struct pvvf_pf_sim_params p;
	struct pvvf_pf_sim *s, *again;
	const struct pvvf_pf_ops *ops = &pvvf_pf_sim_ops;
	int restored = -1;
	char why[128];
	uint16_t ctrl;

	(void)st;
	h_sim_defaults(&p);
	s = pvvf_pf_sim_open(&p, path("sim"), &restored, why, sizeof(why));
	assert_non_null(s);
	assert_int_equal(restored, 0);
	assert_int_equal(ops->pasid_ctrl_write(s, PCI_PASID_CTRL_ENABLE), 0);
	assert_int_equal(ops->pri_alloc_write(s, 64), 0);
	assert_int_equal(ops->pri_ctrl_write(s, PCI_PRI_CTRL_ENABLE), 0);
	assert_int_equal(ops->vf_pri_gate(s, 3, 8), 0);
	assert_int_equal(pvvf_pf_sim_inject(s, 3, 5, 100), 5);
	/* one device, one driver */
	assert_null(pvvf_pf_sim_open(&p, path("sim"), &restored, why, sizeof(why)));
	assert_non_null(strstr(why, "another process"));
	copy_file(path("sim"), path("sim2"));
	pvvf_pf_sim_destroy(s);

	s = pvvf_pf_sim_open(&p, path("sim2"), &restored, why, sizeof(why));
	assert_non_null(s);
	assert_int_equal(restored, 1);
	assert_int_equal(ops->pasid_ctrl_read(s, &ctrl), 0);
	assert_int_equal(ctrl, PCI_PASID_CTRL_ENABLE);
	assert_int_equal(pvvf_pf_sim_outstanding(s, 3), 5);
	/* the gate came back too: 3 more fit, not 4 */
	assert_int_equal(pvvf_pf_sim_inject(s, 3, 4, 100), 3);
	assert_int_equal(pvvf_pf_sim_violation_count(s), 0);
	pvvf_pf_sim_destroy(s);

	/* other parameters: refused, powers on afresh */
	p.num_vfs = 4;
	again = pvvf_pf_sim_open(&p, path("sim2"), &restored, why, sizeof(why));
	assert_non_null(again);
	assert_int_equal(restored, 0);
	assert_non_null(strstr(why, "differs"));
	assert_int_equal(pvvf_pf_sim_outstanding(again, 3), 0);
	pvvf_pf_sim_destroy(again);
}

static void test_sim_state_damaged_image_refused(void **st)
{
	struct pvvf_pf_sim_params p;
	struct pvvf_pf_sim *s;
	int restored, fd;
	char why[128];

	(void)st;
	h_sim_defaults(&p);
	s = pvvf_pf_sim_open(&p, path("simd"), &restored, why, sizeof(why));
	assert_non_null(s);
	pvvf_pf_sim_destroy(s);
	/* the PF's Vendor ID is read-only: a file that says otherwise lies */
	fd = open(path("simd"), O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\x42", 1, 48), 1);
	close(fd);
	s = pvvf_pf_sim_open(&p, path("simd"), &restored, why, sizeof(why));
	assert_non_null(s);
	assert_int_equal(restored, 0);
	assert_non_null(strstr(why, "PF configuration space"));
	assert_int_equal(pvvf_pf_sim_cfg_read(s, -1, PCI_VENDOR_ID, 2), 0x1b36);
	pvvf_pf_sim_destroy(s);
}

/* ---- restart of the core ---- */

static void test_restore_takes_over_references(void **st)
{
	struct daemon d1, d2;
	struct saved s;
	struct virtio_pvvf_event ev[8];
	struct virtio_pvvf_config cfg;
	struct pvvf_pf_info pi;
	uint32_t epoch;
	int n;

	(void)st;
	d_start(&d1, "t1", NULL, false);
	h_assert_ok(h_pasid_enable(d1.g[0], 0, 0));
	h_assert_ok(h_pri_enable(d1.g[0], 0, 16));
	h_assert_ok(h_pasid_enable(d1.g[1], 0, 0));
	h_events(d1.g[0], ev, 8);
	h_events(d1.g[0], ev, 8);
	d_save(&d1, &s);
	pvvf_guest_get_config(d1.g[0], &cfg);
	epoch = le32toh(cfg.epoch);
	copy_file(path("t1"), path("t1c"));

	d_start(&d2, "t1c", &s, true);
	pvvf_pf_get_info(d2.pf, &pi);
	assert_int_equal(pi.pasid_refs, 2);
	assert_int_equal(pi.pasid_owner, PVVF_OWNER_PVVF);
	assert_int_equal(pi.pri_users, 1);
	assert_int_equal(pi.pri_free, pi.pri_pool - 16);
	assert_true(pvvf_guest_awaiting(d2.g[0]));
	/* the link is back: a new epoch, RESYNC, seq carried on */
	pvvf_guest_resume(d2.g[0]);
	assert_false(pvvf_guest_awaiting(d2.g[0]));
	pvvf_guest_get_config(d2.g[0], &cfg);
	assert_true(le32toh(cfg.epoch) != epoch);
	n = h_events(d2.g[0], ev, 8);
	assert_int_equal(n, 1);
	assert_int_equal(le16toh(ev[0].type), EVT(RESYNC));
	assert_int_equal(le32toh(ev[0].seq), s.g[0].next_seq);
	/* the gate was reprogrammed: page requests flow */
	assert_int_equal(pvvf_pf_sim_inject(d2.sim, 0, 2, d2.now), 2);
	/* each reference counted once: releasing them turns pvvf's bits off */
	pvvf_guest_resume(d2.g[1]);
	pvvf_guest_disconnect(d2.g[0]);
	pvvf_guest_disconnect(d2.g[1]);
	pvvf_pf_get_info(d2.pf, &pi);
	assert_int_equal(pi.pasid_refs, 0);
	assert_int_equal(pi.pri_users, 0);
	assert_int_equal(pi.pri_free, pi.pri_pool);
	assert_int_equal(pasid_ctrl(&d2) & PCI_PASID_CTRL_ENABLE, 0);
	assert_int_equal(pri_ctrl(&d2) & PCI_PRI_CTRL_ENABLE, 0);
	d_stop(&d2);
	d_stop(&d1);
}

/* Killed between writing PASID Enable and recording the reference. */
static void test_restore_half_done_pasid_enable(void **st)
{
	struct daemon d1, d2;
	struct saved s;
	struct pvvf_pf_info pi;

	(void)st;
	d_start(&d1, "t2", NULL, false);
	d_save(&d1, &s);	/* the journal, before the request */
	h_assert_ok(h_pasid_enable(d1.g[0], 0, 0));
	copy_file(path("t2"), path("t2c"));
	d_start(&d2, "t2c", &s, true);
	pvvf_pf_get_info(d2.pf, &pi);
	/* not the host's (the journal says so), held by nobody: off */
	assert_int_equal(pi.pasid_refs, 0);
	assert_int_equal(pi.pasid_owner, 0);
	assert_int_equal(pasid_ctrl(&d2) & PCI_PASID_CTRL_ENABLE, 0);
	d_stop(&d2);
	d_stop(&d1);
}

/* Killed after the PF bit went off, before the journal dropped the ref. */
static void test_restore_half_done_pasid_disable(void **st)
{
	struct daemon d1, d2;
	struct saved s;
	struct virtio_pvvf_event ev[8];
	struct pvvf_pf_info pi;
	struct pvvf_vf_info vi;
	int n;

	(void)st;
	d_start(&d1, "t3", NULL, false);
	h_assert_ok(h_pasid_enable(d1.g[0], 0, 0));
	d_save(&d1, &s);
	h_assert_ok(h_pasid_disable(d1.g[0], 0));
	copy_file(path("t3"), path("t3c"));
	d_start(&d2, "t3c", &s, true);
	pvvf_pf_get_info(d2.pf, &pi);
	assert_int_equal(pi.pasid_refs, 0);
	pvvf_pf_get_vf_info(d2.pf, 0, &vi);
	assert_false(vi.pasid);
	n = h_events(d2.g[0], ev, 8);
	assert_true(n >= 1);
	assert_int_equal(le16toh(ev[0].type), EVT(PF_STATE));
	assert_int_equal(le32toh(ev[0].detail), VIRTIO_PVVF_DETAIL_PASID_REVOKED);
	d_stop(&d2);
	d_stop(&d1);
}

/* Killed in the middle of a PRI drain with page requests outstanding. */
static void test_restore_drain_in_progress(void **st)
{
	struct daemon d1, d2;
	struct saved s;
	struct virtio_pvvf_event ev[8];
	struct pvvf_pf_info pi;
	struct pvvf_vf_info vi;
	int n;

	(void)st;
	d_start(&d1, "t4", NULL, false);
	h_assert_ok(h_pri_enable(d1.g[0], 0, 8));
	h_assert_ok(h_pri_enable(d1.g[1], 0, 8));
	assert_int_equal(pvvf_pf_sim_inject(d1.sim, 0, 3, d1.now), 3);
	h_assert_ok(h_pri_disable(d1.g[0], 0));
	d_save(&d1, &s);
	assert_true(s.vf[0].pri_draining);
	copy_file(path("t4"), path("t4c"));
	d_start(&d2, "t4c", &s, true);
	pvvf_pf_get_vf_info(d2.pf, 0, &vi);
	assert_true(vi.pri_draining);
	assert_int_equal(vi.pri_outstanding, 3);
	pvvf_guest_resume(d2.g[0]);
	h_events(d2.g[0], ev, 8);
	/* the requests complete: stopped, the pool is whole but for VF 1 */
	pvvf_pf_sim_complete(d2.sim, 0, 3);
	pvvf_pf_get_info(d2.pf, &pi);
	assert_int_equal(pi.pri_users, 1);
	assert_int_equal(pi.pri_free, pi.pri_pool - 8);
	n = h_events(d2.g[0], ev, 8);
	assert_int_equal(h_find_event(ev, n, EVT(PRI_STOPPED), 0) >= 0, 1);
	pvvf_guest_resume(d2.g[1]);
	d_stop(&d2);
	d_stop(&d1);
}

/* No journal: what is found set is the host's; stale gates are closed. */
static void test_restore_without_journal(void **st)
{
	struct daemon d1, d2;
	struct pvvf_pf_info pi;

	(void)st;
	d_start(&d1, "t5", NULL, false);
	h_assert_ok(h_pasid_enable(d1.g[0], 0, 0));
	h_assert_ok(h_pri_enable(d1.g[0], 0, 8));
	assert_int_equal(pvvf_pf_sim_inject(d1.sim, 0, 2, d1.now), 2);
	copy_file(path("t5"), path("t5c"));
	d_start(&d2, "t5c", NULL, true);
	pvvf_pf_get_info(d2.pf, &pi);
	assert_int_equal(pi.pasid_owner, PVVF_OWNER_HOST);
	assert_int_equal(pi.pasid_refs, 0);
	assert_int_equal(pasid_ctrl(&d2) & PCI_PASID_CTRL_ENABLE, PCI_PASID_CTRL_ENABLE);
	/* gate closed, requests answered */
	assert_int_equal(pvvf_pf_sim_outstanding(d2.sim, 0), 0);
	assert_int_equal(pvvf_pf_sim_inject(d2.sim, 0, 1, d2.now), 0);
	d_stop(&d2);
	d_stop(&d1);
}

/* A guest that does not come back within the grace period lets go. */
static void test_restore_grace_expires(void **st)
{
	struct daemon d1, d2;
	struct saved s;
	struct pvvf_pf_info pi;

	(void)st;
	d_start(&d1, "t6", NULL, false);
	h_assert_ok(h_pasid_enable(d1.g[0], 0, 0));
	h_assert_ok(h_pri_enable(d1.g[0], 0, 8));
	d_save(&d1, &s);
	copy_file(path("t6"), path("t6c"));
	d_start(&d2, "t6c", &s, true);
	d_tick(&d2, GRACE_NS - 1);
	assert_true(pvvf_guest_awaiting(d2.g[0]));
	d_tick(&d2, 1);
	assert_false(pvvf_guest_awaiting(d2.g[0]));
	assert_false(pvvf_guest_connected(d2.g[0]));
	pvvf_pf_get_info(d2.pf, &pi);
	assert_int_equal(pi.pasid_refs, 0);
	assert_int_equal(pi.pri_users, 0);
	assert_int_equal(pasid_ctrl(&d2) & PCI_PASID_CTRL_ENABLE, 0);
	assert_int_equal(pri_ctrl(&d2) & PCI_PRI_CTRL_ENABLE, 0);
	d_stop(&d2);
	d_stop(&d1);
}

/* A saved state no request could produce changes nothing. */
static void test_restore_refuses_impossible_state(void **st)
{
	struct daemon d1;
	struct pvvf_guest_saved gs = { .connected = true };
	struct pvvf_vf_saved bad[] = {
		{ .pri_enabled = true, .pri_alloc = 0 },
		{ .pri_enabled = true, .pri_alloc = 8, .pri_held = 4 },
		{ .pri_enabled = true, .pri_draining = true, .pri_alloc = 8, .pri_held = 8 },
		{ .pri_held = 3 },
		{ .pasid_features = 1 },
		{ .pasid = true, .pasid_features = 0x80 },
		{ .ats_stu = 1 },
		{ .pri_faults = 0x100 },
		{ .pri_draining = true, .pri_held = 100000 },
	};
	struct pvvf_pf_info pi;

	(void)st;
	memset(&d1, 0, sizeof(d1));
	d_start(&d1, "t7", NULL, true);
	assert_int_equal(pvvf_guest_restore(d1.g[0], &gs, GRACE_NS), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pvvf_guest_restore_vf(d1.g[0], 0, &bad[i]) != -EINVAL)
			fail_msg("bad saved state %zu accepted", i);
	pvvf_pf_get_info(d1.pf, &pi);
	assert_int_equal(pi.pri_users, 0);
	assert_int_equal(pi.pri_free, pi.pri_pool);
	d_stop(&d1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_persist_round_trip_and_damage),
		cmocka_unit_test(test_persist_rbuf_overrun),
		cmocka_unit_test(test_sim_state_outlives_the_process),
		cmocka_unit_test(test_sim_state_damaged_image_refused),
		cmocka_unit_test(test_restore_takes_over_references),
		cmocka_unit_test(test_restore_half_done_pasid_enable),
		cmocka_unit_test(test_restore_half_done_pasid_disable),
		cmocka_unit_test(test_restore_drain_in_progress),
		cmocka_unit_test(test_restore_without_journal),
		cmocka_unit_test(test_restore_grace_expires),
		cmocka_unit_test(test_restore_refuses_impossible_state),
	};

	return cmocka_run_group_tests(tests, r_setup, r_teardown);
}
