/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pvvfd: the vhost-user back-end of virtio_pvvf.
 *
 * One process serves every guest: a single thread runs one epoll loop
 * over each guest's listening and connected vhost-user sockets, the
 * virtqueue kick eventfds libvhost-user asks it to watch, a timerfd for
 * the core's next deadline, a signalfd and the control socket.  The core
 * (host/lib) decides everything; this program only moves bytes between it
 * and the virtqueues and never trusts a descriptor chain's shape.
 */
#ifndef PVVFD_H
#define PVVFD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "libvhost-user.h"
#include "chain.h"
#include "pvvf_core.h"
#include "pf_sim.h"
#include "pf_sysfs.h"
#include "options.h"

/*
 * Every fd in the epoll set is a source; epoll carries its table index
 * and a generation, so an event that was already queued when its source
 * went away (same epoll_wait batch) is recognised and dropped.
 */
enum pvvfd_src_kind {
	PVVFD_SRC_FREE,
	PVVFD_SRC_LISTEN,	/* a guest's listening socket */
	PVVFD_SRC_CONN,		/* a guest's vhost-user connection */
	PVVFD_SRC_WATCH,	/* an fd libvhost-user watches (vring kick) */
	PVVFD_SRC_TIMER,
	PVVFD_SRC_SIGNAL,
	PVVFD_SRC_CTL_LISTEN,
	PVVFD_SRC_CTL_CONN,
};

struct pvvfd_guest;
struct pvvfd_ctl_conn;

struct pvvfd_src {
	enum pvvfd_src_kind kind;
	uint32_t gen;
	int fd;
	struct pvvfd_guest *guest;
	struct pvvfd_ctl_conn *ctl;
	vu_watch_cb cb;			/* PVVFD_SRC_WATCH */
	void *cb_data;
};

struct pvvfd_pf {
	const struct pvvfd_pf_opt *opt;
	struct pvvf_pf_sim *sim;		/* PVVFD_PF_SIM */
	struct pvvf_pf_sysfs *sysfs;		/* PVVFD_PF_SYSFS */
	uint32_t sysfs_msg_seq;			/* its last message journaled */
	struct pvvf_pf *pf;
};

/*
 * Faults the control socket injects into one guest's link, for tests of
 * the guest driver against a hostile or broken device (ctl.c).  Never set
 * unless a test asks; each is journaled as it bites ("fault guest=...").
 */
enum pvvfd_corrupt {
	PVVFD_CORRUPT_NONE,
	PVVFD_CORRUPT_SHORT,	/* used length below a reply header */
	PVVFD_CORRUPT_LONG,	/* used length 8 bytes past the reply */
	PVVFD_CORRUPT_ZERO,	/* used length 0 */
	PVVFD_CORRUPT_TAG,	/* the reply carries another tag */
	PVVFD_CORRUPT_STATUS,	/* a status no spec version defines */
};

struct pvvfd_fault {
	bool stall;			/* leave requests in the ring */
	enum pvvfd_corrupt corrupt;	/* for the next corrupt_n replies */
	uint32_t corrupt_n;
	int corrupt_op;			/* to this opcode only; -1: any */
	bool num_vfs_set;		/* config reports num_vfs instead */
	uint16_t num_vfs;
};

struct pvvfd_guest {
	VuDev vu;			/* first: libvhost-user hands it back */
	struct pvvfd *d;
	const struct pvvfd_guest_opt *opt;
	struct pvvf_guest *core;	/* NULL: a free entry */
	int listen_src;			/* source index */
	int conn_src;			/* -1 when no frontend is connected */
	bool vu_ready;			/* vu_init succeeded, vu_deinit pending */
	bool broken;			/* drop the link after this callback */
	const char *broken_reason;	/* journaled with the disconnect */
	uint64_t features;		/* as set by the frontend */
	uint32_t started;		/* bit per started virtqueue */
	bool events_dirty;		/* the core has events to deliver */
	bool config_dirty;		/* config change notification owed */
	struct pvvfd_fault fault;	/* test-only fault injection */
	bool req_pending;		/* kicked, or requests left after a pass */
	/* journal.c: refusal lines are rate-limited per guest */
	uint64_t refusal_window;	/* start of the current window (ns) */
	uint32_t refusals_logged;	/* journaled in the current window */
	uint32_t refusals_suppressed;	/* not journaled, not yet reported */
};

/*
 * Requests served per guest in one pass of the loop: a guest that keeps
 * its request queue full delays another guest's request by at most this
 * many of its own per guest ahead of it in the pass.
 */
#define PVVFD_REQ_BUDGET		16
/*
 * At most this many refusal decision lines per guest and window; the rest
 * are counted and reported in one "event=refusals-suppressed count=N"
 * line once the window ends (or the guest disconnects).
 */
#define PVVFD_REFUSAL_BURST		20
#define PVVFD_REFUSAL_WINDOW_NS		5000000000ULL

#define PVVFD_MAX_SRCS	(PVVFD_MAX_GUESTS * 8 + 32)

struct pvvfd {
	struct pvvfd_options opts;
	struct pvvf_core *core;
	struct pvvfd_pf pfs[PVVFD_MAX_PFS];
	struct pvvfd_guest guests[PVVFD_MAX_GUESTS];
	unsigned int num_guests;	/* entries in use are below this */
	int epfd;
	int timer_src;
	int signal_src;
	int ctl_listen_src;
	uint64_t armed_deadline;
	bool stopping;
	struct pvvfd_guest *serving;	/* whose request the core is deciding */
	struct pvvfd_src srcs[PVVFD_MAX_SRCS];
};

/* journal.c: the log, one line per decision, event and connection */
int pvvfd_journal_open(const char *path);
void pvvfd_journal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pvvfd_journal_core(void *opaque, const char *line);
void pvvfd_journal_close(void);
/* Report the guest's suppressed refusal lines now, if any. */
void pvvfd_journal_refusals_flush(struct pvvfd_guest *g);
/* Report them if the window ended; returns when the next report is due. */
uint64_t pvvfd_journal_refusals_tick(struct pvvfd_guest *g, uint64_t now);

/* state.c: the crash-safe state journal (--state) */
int pvvfd_state_load(struct pvvfd *d);
const struct pvvf_pf_saved *pvvfd_state_pf(unsigned int i);
void pvvfd_state_restore_guest(struct pvvfd *d, struct pvvfd_guest *g,
			       unsigned int i);
void pvvfd_state_done(struct pvvfd *d);
/* Before the guest can see a change: a reply, an event, a settle. */
void pvvfd_state_commit(struct pvvfd *d);
void pvvfd_state_close(void);

/* crash.c: the --crash-after test hook; the PF ops to use */
const struct pvvf_pf_ops *pvvfd_crash_ops(const struct pvvfd_options *o);

/* main.c: guests (at start-up and at run time), sources and time */
int pvvfd_guest_add(struct pvvfd *d, unsigned int i, char *err, size_t err_len);
void pvvfd_guest_remove(struct pvvfd *d, struct pvvfd_guest *g,
			const char *reason);
int pvvfd_src_add(struct pvvfd *d, enum pvvfd_src_kind kind, int fd,
		  uint32_t events);
int pvvfd_src_mod(struct pvvfd *d, int idx, uint32_t events);
void pvvfd_src_del(struct pvvfd *d, int idx);
int pvvfd_src_find_watch(struct pvvfd *d, struct pvvfd_guest *g, int fd);
uint64_t pvvfd_now_ns(void);
/* After any call into the core: deliver what it queued, re-arm the timer. */
void pvvfd_settle(struct pvvfd *d);

/* vhost.c: one guest's vhost-user link */
int pvvfd_guest_listen(struct pvvfd *d, struct pvvfd_guest *g);
void pvvfd_guest_accept(struct pvvfd *d, struct pvvfd_guest *g);
void pvvfd_guest_dispatch(struct pvvfd *d, struct pvvfd_guest *g,
			  uint32_t events);
void pvvfd_guest_watch(struct pvvfd *d, struct pvvfd_src *src,
		       uint32_t events);
void pvvfd_guest_drop(struct pvvfd *d, struct pvvfd_guest *g,
		      const char *reason);
void pvvfd_guest_flush(struct pvvfd_guest *g);
bool pvvfd_guest_serve(struct pvvfd_guest *g, unsigned int budget);
/* fault injection (ctl.c): serve requests left in the ring by a stall */
void pvvfd_guest_serve_requests(struct pvvfd_guest *g);
/* write @len raw bytes into the next event buffer, used length @used */
int pvvfd_guest_raw_event(struct pvvfd_guest *g, const void *buf, size_t len,
			  uint32_t used);
void pvvfd_guest_close(struct pvvfd *d, struct pvvfd_guest *g,
		       const char *reason);

/* ctl.c: the control socket */
int pvvfd_ctl_listen(struct pvvfd *d, const char *path);
void pvvfd_ctl_accept(struct pvvfd *d);
void pvvfd_ctl_input(struct pvvfd *d, struct pvvfd_src *src, uint32_t events);
/* A journal line (with its ts=) for every watching control client. */
void pvvfd_ctl_watch_line(const char *line);
void pvvfd_ctl_close_all(struct pvvfd *d);

/*
 * A listening unix socket at @path, mode 0600, given to @uid:@gid unless
 * those are -1; refuses one that is in use.
 */
int pvvfd_unix_listen(const char *path, uid_t uid, gid_t gid);
uid_t pvvfd_peer_uid(int fd);

#endif /* PVVFD_H */
