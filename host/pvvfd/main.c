// SPDX-License-Identifier: BSD-3-Clause
/*
 * pvvfd: start-up, the event loop and shutdown.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "pvvfd.h"

#define PVVFD_VERSION	"0.1"
#define PVVFD_RECONNECT_GRACE_NS	10000000000ULL

static struct pvvfd daemon_state;

/* ---- sources ---- */

static uint64_t src_key(const struct pvvfd *d, int idx)
{
	return (uint64_t)d->srcs[idx].gen << 32 | (uint32_t)idx;
}

int pvvfd_src_add(struct pvvfd *d, enum pvvfd_src_kind kind, int fd,
		  uint32_t events)
{
	struct epoll_event ev = { .events = events };

	for (int i = 0; i < PVVFD_MAX_SRCS; i++) {
		struct pvvfd_src *s = &d->srcs[i];

		if (s->kind != PVVFD_SRC_FREE)
			continue;
		s->gen++;
		ev.data.u64 = src_key(d, i);
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev))
			return -errno;
		s->kind = kind;
		s->fd = fd;
		s->guest = NULL;
		s->ctl = NULL;
		s->cb = NULL;
		s->cb_data = NULL;
		return i;
	}
	return -ENOSPC;
}

int pvvfd_src_mod(struct pvvfd *d, int idx, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = src_key(d, idx) };

	return epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->srcs[idx].fd, &ev) ? -errno : 0;
}

/* Stops watching; the owner closes the fd. */
void pvvfd_src_del(struct pvvfd *d, int idx)
{
	struct pvvfd_src *s = &d->srcs[idx];

	epoll_ctl(d->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	s->kind = PVVFD_SRC_FREE;
	s->gen++;
	s->fd = -1;
}

int pvvfd_src_find_watch(struct pvvfd *d, struct pvvfd_guest *g, int fd)
{
	for (int i = 0; i < PVVFD_MAX_SRCS; i++)
		if (d->srcs[i].kind == PVVFD_SRC_WATCH &&
		    d->srcs[i].guest == g && d->srcs[i].fd == fd)
			return i;
	return -1;
}

/* ---- time ---- */

uint64_t pvvfd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void arm_timer(struct pvvfd *d, uint64_t deadline)
{
	struct itimerspec its = { 0 };

	if (deadline == d->armed_deadline)
		return;
	if (deadline != PVVF_NO_DEADLINE) {
		/* 0 would disarm: a deadline that early is already due */
		if (deadline == 0)
			deadline = 1;
		its.it_value.tv_sec = deadline / 1000000000ULL;
		its.it_value.tv_nsec = deadline % 1000000000ULL;
	}
	if (timerfd_settime(d->srcs[d->timer_src].fd, TFD_TIMER_ABSTIME, &its, NULL))
		pvvfd_journal("daemon event=error what=timerfd errno=%d", errno);
	else
		d->armed_deadline = deadline;
}

/*
 * Called after every piece of work: advance the core's time, deliver the
 * events and config changes it queued (the core's callbacks only mark
 * guests, since they must not call back into it), re-arm the timer.
 */
/* What a real PF's back-end found (driver bound, removal, a failure). */
static void journal_pf_messages(struct pvvfd *d)
{
	for (unsigned int i = 0; i < d->opts.num_pfs; i++) {
		struct pvvfd_pf *pf = &d->pfs[i];
		char msg[256];

		if (!pf->sysfs || pvvf_pf_sysfs_message_seq(pf->sysfs) == pf->sysfs_msg_seq)
			continue;
		pf->sysfs_msg_seq = pvvf_pf_sysfs_message_seq(pf->sysfs);
		snprintf(msg, sizeof(msg), "%s", pvvf_pf_sysfs_last_message(pf->sysfs));
		for (char *c = msg; *c; c++)
			if (*c <= ' ' || *c > '~')
				*c = '_';
		pvvfd_journal("daemon event=pf-message pf=%s msg=%s", pf->opt->name, msg);
	}
}

void pvvfd_settle(struct pvvfd *d)
{
	uint64_t now = pvvfd_now_ns();
	uint64_t deadline = pvvf_core_tick(d->core, now);

	journal_pf_messages(d);

	/* Delivering pops events, which never queues new ones; twice is plenty. */
	for (int round = 0; round < 2; round++)
		for (unsigned int i = 0; i < d->num_guests; i++)
			if (d->guests[i].core)
				pvvfd_guest_flush(&d->guests[i]);
	for (unsigned int i = 0; i < d->num_guests; i++) {
		uint64_t due;

		if (!d->guests[i].core)
			continue;
		due = pvvfd_journal_refusals_tick(&d->guests[i], now);
		if (due < deadline)
			deadline = due;
	}
	pvvfd_state_commit(d);
	arm_timer(d, deadline);
}

/* ---- core callbacks ---- */

static void core_events_pending(void *opaque, struct pvvf_guest *cg)
{
	struct pvvfd_guest *g = pvvf_guest_opaque(cg);

	(void)opaque;
	g->events_dirty = true;
}

static void core_config_changed(void *opaque, struct pvvf_guest *cg)
{
	struct pvvfd_guest *g = pvvf_guest_opaque(cg);

	(void)opaque;
	g->config_dirty = true;
}

/* ---- start-up ---- */

/* A real PF: opened (and checked) through sysfs. */
static int setup_pf_sysfs(struct pvvfd_pf *pf)
{
	const struct pvvfd_sysfs_opt *so = &pf->opt->sysfs;
	struct pvvf_pf_sysfs_params p = {
		.bdf = so->bdf,
		.root = so->root[0] ? so->root : NULL,
		.run_dir = so->run_dir[0] ? so->run_dir : NULL,
		.poll_ns = so->poll_ns,
	};
	struct pvvf_pf_sysfs_state st;
	struct pvvf_pf_caps caps;
	char err[512];

	pf->sysfs = pvvf_pf_sysfs_open(&p, err, sizeof(err));
	if (!pf->sysfs) {
		fprintf(stderr, "pvvfd: error: --pf %s: %s\n", pf->opt->name, err);
		return -1;
	}
	pvvf_pf_sysfs_get_state(pf->sysfs, &st);
	pvvf_pf_sysfs_ops.caps(pf->sysfs, &caps);
	pf->sysfs_msg_seq = pvvf_pf_sysfs_message_seq(pf->sysfs);
	/* what the hardware offers: a missing capability is refused to guests */
	pvvfd_journal("daemon event=pf pf=%s backend=sysfs bdf=%s driver=%s driver_owns=%d "
		      "vfs=%u pasid=%d pasid_width=%u pasid_features=0x%x pri=%d "
		      "pri_capacity=%u ats_stu=%u vf_ats=%d",
		      pf->opt->name, so->bdf, st.driver[0] ? st.driver : "none",
		      st.driver_owns, caps.num_vfs, caps.pasid, caps.pasid_max_width,
		      caps.pasid_features, caps.pri, caps.pri_capacity,
		      caps.ats_stu, caps.vf_ats);
	return 0;
}

/* A simulated PF, on its state file if state= was given. */
static int setup_pf_sim(struct pvvfd *d, struct pvvfd_pf *pf)
{
	const char *state = pf->opt->state[0] ? pf->opt->state : NULL;
	char why[160];
	int restored = 0;

	(void)d;
	pf->sim = pvvf_pf_sim_open(&pf->opt->sim, state, &restored, why, sizeof(why));
	if (!pf->sim) {
		fprintf(stderr, "pvvfd: error: --pf %s: %s\n", pf->opt->name,
			why[0] ? why : "the simulated PF refused these parameters");
		return -1;
	}
	if (state && !restored && why[0]) {
		fprintf(stderr, "pvvfd: warning: --pf %s: state=%s refused (%s): the PF powers on afresh\n",
			pf->opt->name, state, why);
		for (char *c = why; *c; c++)
			if (*c == ' ')
				*c = '_';
		pvvfd_journal("daemon event=pf-state pf=%s status=refused why=%s",
			      pf->opt->name, why);
	} else if (state) {
		pvvfd_journal("daemon event=pf-state pf=%s status=%s", pf->opt->name,
			      restored ? "continued" : "power-on");
	}
	return 0;
}

static int setup_pf(struct pvvfd *d, unsigned int i)
{
	struct pvvfd_pf *pf = &d->pfs[i];
	int ret;

	pf->opt = &d->opts.pfs[i];
	if (pf->opt->backend == PVVFD_PF_SYSFS) {
		if (setup_pf_sysfs(pf))
			return -1;
		ret = pvvf_core_add_pf_saved(d->core, &pvvf_pf_sysfs_ops, pf->sysfs,
					     pf->opt->pf_id, pvvfd_state_pf(i), &pf->pf);
	} else {
		if (setup_pf_sim(d, pf))
			return -1;
		ret = pvvf_core_add_pf_saved(d->core, pvvfd_crash_ops(&d->opts), pf->sim,
					     pf->opt->pf_id, pvvfd_state_pf(i), &pf->pf);
	}
	if (ret) {
		fprintf(stderr, "pvvfd: error: --pf %s: the core refused it: %s\n",
			pf->opt->name, strerror(-ret));
		return -1;
	}
	return 0;
}

/* The IDs a guest reads from the VF: the PF's Vendor ID, the VF Device ID. */
static void pf_vf_ids(const struct pvvfd_pf *pf, uint16_t *vendor,
		       uint16_t *device)
{
	uint16_t sriov;

	if (pf->sysfs) {
		pvvf_pf_sysfs_vf_ids(pf->sysfs, vendor, device);
		return;
	}
	sriov = pvvf_pf_sim_cap(pf->sim, PCI_EXT_CAP_ID_SRIOV);

	*vendor = pvvf_pf_sim_cfg_read(pf->sim, -1, PCI_VENDOR_ID, 2);
	*device = sriov ? pvvf_pf_sim_cfg_read(pf->sim, -1, sriov + PCI_SRIOV_VF_DID, 2)
			: 0xffff;
}

static int setup_vf(struct pvvfd *d, struct pvvfd_guest *g,
		    const struct pvvfd_vf_opt *vo, char *err, size_t err_len)
{
	const struct pvvfd_pf *pf = &d->pfs[vo->pf];
	struct pvvf_vf_spec spec = {
		.pf = pf->pf,
		.vf_index = vo->vf_index,
		.segment = vo->segment,
		.root_bus = vo->root_bus,
		.path_len = vo->path_len,
	};
	struct pvvf_pf_info pi;
	char loc[64];
	int slot;

	memcpy(spec.path, vo->path, sizeof(spec.path));
	if (vo->has_id) {
		spec.vendor_id = vo->vendor_id;
		spec.device_id = vo->device_id;
	} else if (pf->opt->has_vf_id) {
		spec.vendor_id = pf->opt->vf_vendor_id;
		spec.device_id = pf->opt->vf_device_id;
	} else {
		pf_vf_ids(pf, &spec.vendor_id, &spec.device_id);
	}
	/*
	 * A real VF's free config space is where its VMM leaves room, which
	 * only the operator knows (+cap=): none by default.  A simulated VF
	 * has a known layout, so its free offset is the default there.
	 */
	if (vo->has_cap)
		spec.cap_offset = vo->cap_offset;
	else
		spec.cap_offset = pf->sim ? pvvf_pf_sim_vf_free_offset(pf->sim) : 0;
	pvvfd_format_locator(vo, loc, sizeof(loc));
	if (pvvf_pf_get_info(pf->pf, &pi) == 0 && vo->vf_index >= pi.num_vfs) {
		snprintf(err, err_len, "--guest %s: vf=%s:%u@%s: %s has %u VFs",
			 g->opt->name, pf->opt->name, vo->vf_index, loc, pf->opt->name,
			 pi.num_vfs);
		return -1;
	}
	slot = pvvf_guest_add_vf(g->core, &spec);
	if (slot < 0) {
		snprintf(err, err_len, "--guest %s: vf=%s:%u@%s: the core refused it: %s",
			 g->opt->name, pf->opt->name, vo->vf_index, loc, strerror(-slot));
		return -1;
	}
	pvvfd_journal("daemon event=vf guest=%s slot=%d pf=%s vf_index=%u locator=%s id=%04x:%04x cap=0x%x",
		      g->opt->name, slot, pf->opt->name, vo->vf_index, loc,
		      spec.vendor_id, spec.device_id, spec.cap_offset);
	return 0;
}

/*
 * Bring up the guest of options entry @i: the core's guest, its VFs and
 * its listening socket.  On failure everything done so far is undone (the
 * core releases the VFs it was given) and @err says why.
 */
int pvvfd_guest_add(struct pvvfd *d, unsigned int i, char *err, size_t err_len)
{
	struct pvvfd_guest *g = &d->guests[i];
	struct pvvf_guest_params params = { 0 };
	int ret;

	memset(g, 0, sizeof(*g));
	g->d = d;
	g->opt = &d->opts.guests[i];
	g->listen_src = -1;
	g->conn_src = -1;
	params.name = g->opt->name;
	params.features = g->opt->features;
	params.evq_depth = g->opt->evq_depth;
	params.opaque = g;
	g->core = pvvf_guest_create(d->core, &params);
	if (!g->core) {
		snprintf(err, err_len, "--guest %s: cannot create it", g->opt->name);
		return -1;
	}
	for (unsigned int v = 0; v < g->opt->num_vfs; v++)
		if (setup_vf(d, g, &g->opt->vfs[v], err, err_len))
			goto undo;
	ret = pvvfd_guest_listen(d, g);
	if (ret) {
		snprintf(err, err_len, "--guest %s: cannot listen on %s: %s",
			 g->opt->name, g->opt->socket,
			 ret == -EADDRINUSE ? "another process serves it" : strerror(-ret));
		goto undo;
	}
	if (i >= d->num_guests)
		d->num_guests = i + 1;
	/* after a restart, what the journal says it held (start-up only) */
	pvvfd_state_restore_guest(d, g, i);
	return 0;
undo:
	pvvf_guest_destroy(g->core);
	g->core = NULL;
	return -1;
}

/*
 * Take the guest down: drop its link (the core releases what it held, in
 * teardown order), stop listening, give its VFs back.  The entry is free
 * afterwards.
 */
void pvvfd_guest_remove(struct pvvfd *d, struct pvvfd_guest *g,
			const char *reason)
{
	if (!g->core)
		return;
	pvvfd_guest_close(d, g, reason);
	pvvf_guest_destroy(g->core);
	g->core = NULL;
}

static int setup_fds(struct pvvfd *d)
{
	sigset_t mask;
	int fd;

	for (int i = 0; i < PVVFD_MAX_SRCS; i++)
		d->srcs[i].fd = -1;
	d->timer_src = d->signal_src = d->ctl_listen_src = -1;
	d->armed_deadline = PVVF_NO_DEADLINE;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -1;
	/* A peer that closes its socket must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0 || (d->signal_src = pvvfd_src_add(d, PVVFD_SRC_SIGNAL, fd, EPOLLIN)) < 0)
		return -1;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0 || (d->timer_src = pvvfd_src_add(d, PVVFD_SRC_TIMER, fd, EPOLLIN)) < 0)
		return -1;
	return 0;
}

static int setup(struct pvvfd *d)
{
	struct pvvf_core_params params = {
		.drain_timeout_ns = d->opts.drain_timeout_ns,
		.reset_ack_timeout_ns = d->opts.reset_ack_timeout_ns,
	};
	struct pvvf_core_cb cb = {
		.log = pvvfd_journal_core,
		.events_pending = core_events_pending,
		.config_changed = core_config_changed,
		.opaque = d,
	};

	if (setup_fds(d)) {
		fprintf(stderr, "pvvfd: error: cannot set up epoll, signals or timer: %s\n",
			strerror(errno));
		return -1;
	}
	d->core = pvvf_core_create(&params, &cb);
	if (!d->core) {
		fprintf(stderr, "pvvfd: error: cannot create the core\n");
		return -1;
	}
	/* The clock starts before anything restored gets a deadline. */
	pvvf_core_tick(d->core, pvvfd_now_ns());
	if (!d->opts.reconnect_grace_ns)
		d->opts.reconnect_grace_ns = PVVFD_RECONNECT_GRACE_NS;
	if (pvvfd_state_load(d))
		return -1;
	for (unsigned int i = 0; i < d->opts.num_pfs; i++)
		if (setup_pf(d, i))
			return -1;
	for (unsigned int i = 0; i < d->opts.num_guests; i++) {
		char err[512];

		if (pvvfd_guest_add(d, i, err, sizeof(err))) {
			fprintf(stderr, "pvvfd: error: %s\n", err);
			return -1;
		}
	}
	pvvfd_state_done(d);
	if (d->opts.control[0] && pvvfd_ctl_listen(d, d->opts.control))
		return -1;
	return 0;
}

/* Everything is released in reverse, also after a failed setup. */
static void teardown(struct pvvfd *d)
{
	/* Disconnect first, so the core journals the orderly release. */
	for (unsigned int i = 0; i < d->num_guests; i++) {
		if (!d->guests[i].core)
			continue;
		pvvfd_guest_close(d, &d->guests[i], "shutdown");
		/* a restored guest whose link never came back */
		if (pvvf_guest_connected(d->guests[i].core))
			pvvf_guest_disconnect(d->guests[i].core);
	}
	/* An orderly stop leaves nothing held: the journal says so. */
	pvvfd_state_commit(d);
	for (unsigned int i = 0; i < d->num_guests; i++)
		pvvfd_guest_remove(d, &d->guests[i], "shutdown");
	pvvfd_ctl_close_all(d);
	if (d->core)
		pvvf_core_destroy(d->core);
	for (unsigned int i = 0; i < d->opts.num_pfs; i++)
		if (d->pfs[i].sim)
			pvvf_pf_sim_destroy(d->pfs[i].sim);
		else if (d->pfs[i].sysfs)
			pvvf_pf_sysfs_close(d->pfs[i].sysfs);
	for (int i = 0; i < PVVFD_MAX_SRCS; i++) {
		if (d->srcs[i].kind == PVVFD_SRC_TIMER ||
		    d->srcs[i].kind == PVVFD_SRC_SIGNAL) {
			int fd = d->srcs[i].fd;

			pvvfd_src_del(d, i);
			close(fd);
		}
	}
	if (d->epfd >= 0)
		close(d->epfd);
}

/* ---- the loop ---- */

static void on_signal(struct pvvfd *d, struct pvvfd_src *s)
{
	struct signalfd_siginfo si;

	while (read(s->fd, &si, sizeof(si)) == sizeof(si)) {
		pvvfd_journal("daemon event=signal signo=%u", si.ssi_signo);
		d->stopping = true;
	}
}

static void on_timer(struct pvvfd_src *s)
{
	uint64_t expirations;

	/* The tick in pvvfd_settle() does the work. */
	if (read(s->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		pvvfd_journal("daemon event=error what=timer-read errno=%d", errno);
}

static void handle(struct pvvfd *d, const struct epoll_event *ev)
{
	int idx = (int)(uint32_t)ev->data.u64;
	struct pvvfd_src *s = &d->srcs[idx];

	/* Gone since epoll_wait returned (same batch): drop the event. */
	if (s->kind == PVVFD_SRC_FREE || s->gen != (uint32_t)(ev->data.u64 >> 32))
		return;
	switch (s->kind) {
	case PVVFD_SRC_LISTEN:
		pvvfd_guest_accept(d, s->guest);
		break;
	case PVVFD_SRC_CONN:
		pvvfd_guest_dispatch(d, s->guest, ev->events);
		break;
	case PVVFD_SRC_WATCH:
		pvvfd_guest_watch(d, s, ev->events);
		break;
	case PVVFD_SRC_TIMER:
		on_timer(s);
		break;
	case PVVFD_SRC_SIGNAL:
		on_signal(d, s);
		break;
	case PVVFD_SRC_CTL_LISTEN:
		pvvfd_ctl_accept(d);
		break;
	case PVVFD_SRC_CTL_CONN:
		pvvfd_ctl_input(d, s, ev->events);
		break;
	case PVVFD_SRC_FREE:
		break;
	}
}

/*
 * One pass over the guests' request queues, at most PVVFD_REQ_BUDGET
 * requests each.  Returns true if a guest has requests left, for the next
 * pass, which comes after the loop looked at every fd again.
 */
static bool serve_requests(struct pvvfd *d)
{
	bool more = false;

	for (unsigned int i = 0; i < d->num_guests; i++) {
		struct pvvfd_guest *g = &d->guests[i];

		if (!g->core || !g->req_pending)
			continue;
		if (pvvfd_guest_serve(g, PVVFD_REQ_BUDGET))
			more = true;
		if (g->broken)
			pvvfd_guest_drop(d, g, g->broken_reason);
	}
	return more;
}

static int run(struct pvvfd *d)
{
	struct epoll_event evs[32];
	bool more = false;

	pvvfd_settle(d);
	while (!d->stopping) {
		/* With requests left, only look at the fds, do not sleep. */
		int n = epoll_wait(d->epfd, evs, 32, more ? 0 : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			pvvfd_journal("daemon event=error what=epoll errno=%d", errno);
			return -1;
		}
		/* Requests are timed against the last tick: make it now. */
		pvvf_core_tick(d->core, pvvfd_now_ns());
		for (int i = 0; i < n; i++) {
			handle(d, &evs[i]);
			pvvfd_settle(d);
		}
		more = serve_requests(d);
		pvvfd_settle(d);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct pvvfd *d = &daemon_state;
	char err[512];
	int ret, status;

	if (pvvfd_options_parse(&d->opts, argc, argv, err, sizeof(err))) {
		fprintf(stderr, "pvvfd: error: %s\n", err);
		return 2;
	}
	if (d->opts.help) {
		pvvfd_usage(stdout);
		return 0;
	}
	if (d->opts.version) {
		printf("pvvfd %s (virtio_pvvf device ID %d)\n", PVVFD_VERSION,
		       VIRTIO_ID_PVVF);
		return 0;
	}
	ret = pvvfd_journal_open(d->opts.log_path);
	if (ret) {
		fprintf(stderr, "pvvfd: error: --log %s: %s\n", d->opts.log_path,
			strerror(-ret));
		return 2;
	}
	d->epfd = -1;
	if (setup(d)) {
		teardown(d);
		pvvfd_state_close();
		pvvfd_journal_close();
		return 1;
	}
	pvvfd_journal("daemon event=start pid=%d pfs=%u guests=%u", (int)getpid(),
		      d->opts.num_pfs, d->opts.num_guests);
	status = run(d) ? 1 : 0;
	pvvfd_journal("daemon event=stop status=%d", status);
	teardown(d);
	pvvfd_state_close();
	pvvfd_journal_close();
	return status;
}
