// SPDX-License-Identifier: BSD-3-Clause
/*
 * The control socket (--control PATH): a line protocol for tests and
 * operators.  Each request is one line, "COMMAND key=value...", and gets
 * zero or more key=value record lines followed by "ok" or
 * "error msg=WORDS_WITHOUT_SPACES".  Commands act on a simulated PF the
 * way the host would behind pvvf's back (docs in host/pvvfd/README.md);
 * a real PF (--pf sysfs:) takes dump and pf-reset only, the hardware
 * itself changes behind pvvf's back:
 *
 *   dump                              state of every PF, VF and guest
 *   inject pf=P vf=N [n=K]            VF N issues K page requests
 *   inject-random pf=P n=K            K page requests from random VFs
 *   complete pf=P vf=N [n=K]          answer VF N's K oldest requests
 *   fault pf=P vf=N bits=rf+uprgi     VF N got a PRG Response failure
 *   host-pasid pf=P enable=on|off [features=exec+priv]
 *   host-pri-disable pf=P
 *   host-ats pf=P enable=on|off
 *   pf-reset pf=P                     host asks for a PF reset
 *   pf-remove pf=P                    surprise removal
 *   guest-add name=N socket=PATH vf=... [KEY=VALUE...]
 *                                     a guest at run time (as --guest)
 *   guest-remove guest=G [force=on]    refused while a frontend is
 *                                     connected, unless force=on
 *   watch [kinds=K+K...]              "ok", then every journal line
 *   help
 *
 * and, for tests only, faults of a hostile device on one guest's link:
 *
 *   stall guest=G enable=on|off       leave G's requests unanswered
 *   corrupt-reply guest=G how=H [op=OPCODE] [n=K]
 *   inject-event guest=G raw=HEX [used=N]
 *   fake-config guest=G num_vfs=N|off
 *
 * Every command that changes something is journaled ("ctl cmd=...
 * result=...").  The socket is the daemon user's alone (mode 0600, peer
 * uid checked); requests are still parsed as hostile input: printable
 * ASCII, bounded lines and arguments, every value checked.
 *
 * A watching client gets each journal line as it is written, through a
 * bounded buffer of its own: the daemon never waits for it.  Lines that do
 * not fit are dropped and counted, and "lost n=N" is sent in their place
 * once there is room again.  Replies to commands are written in full, with
 * a send timeout of 1 s: a client that leaves them unread holds the daemon
 * that long once, and is then disconnected, with whatever it queued.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "pvvfd.h"

#define CTL_MAX_CONNS	4
#define CTL_LINE_MAX	2048
#define CTL_MAX_ARGS	24
#define CTL_WATCH_BUF	16384	/* per watching client */

struct pvvfd_ctl_conn {
	bool used;
	int src;
	size_t len;
	char buf[CTL_LINE_MAX];
	/* watch */
	bool watching;
	bool write_failed;		/* peer gone: drop output until EOF */
	bool reply_failed;		/* a reply could not be written */
	bool want_out;			/* EPOLLOUT armed */
	uint32_t kinds;			/* WATCH_* bits */
	uint64_t lost;
	size_t wlen;
	char wbuf[CTL_WATCH_BUF];
};

static struct pvvfd_ctl_conn ctl_conns[CTL_MAX_CONNS];
static char ctl_path[PVVFD_PATH_MAX];
static struct pvvfd *ctl_daemon;	/* for journal lines to watchers */

/* The journal's kinds (journal.c), as watch filters. */
static const char *const watch_kind_names[] = {
	"decision", "event", "host", "guest", "conn", "daemon", "ctl", NULL
};
#define WATCH_ALL	((1u << 7) - 1)

struct ctl_args {
	int n;
	char *key[CTL_MAX_ARGS];
	char *val[CTL_MAX_ARGS];
};

/* ---- output ---- */

struct ctl_out {
	int fd;
	bool failed;
	struct pvvfd_ctl_conn *conn;
	char err[256];			/* set by a command: its error message */
};

static int out_error(struct ctl_out *o, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Returns @err; the message of the "error msg=..." line: printable, no spaces. */
static int out_error(struct ctl_out *o, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->err, sizeof(o->err), fmt, ap);
	va_end(ap);
	for (char *c = o->err; *c; c++)
		if (*c <= ' ' || *c > '~')
			*c = '_';
	return err;
}

static void out(struct ctl_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out(struct ctl_out *o, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (o->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* SO_SNDTIMEO bounds a client that does not read */
	for (int done = 0; done < n;) {
		ssize_t w = send(o->fd, line + done, n - done, MSG_NOSIGNAL);

		if (w <= 0) {
			o->failed = true;
			if (o->conn)
				o->conn->reply_failed = true;
			return;
		}
		done += w;
	}
}

/* ---- arguments ---- */

static const char *arg(const struct ctl_args *a, const char *key)
{
	for (int i = 0; i < a->n; i++)
		if (!strcmp(a->key[i], key))
			return a->val[i];
	return NULL;
}

static int arg_u32(const struct ctl_args *a, const char *key, uint32_t def,
		   uint32_t max, uint32_t *v)
{
	const char *s = arg(a, key);
	char *end;
	unsigned long long n;

	if (!s) {
		*v = def;
		return def == UINT32_MAX ? -1 : 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno || *end || n > max)
		return -1;
	*v = n;
	return 0;
}

static int arg_bool(const struct ctl_args *a, const char *key, bool *v)
{
	const char *s = arg(a, key);

	if (!s)
		return -1;
	if (!strcmp(s, "on") || !strcmp(s, "1"))
		*v = true;
	else if (!strcmp(s, "off") || !strcmp(s, "0"))
		*v = false;
	else
		return -1;
	return 0;
}

static int arg_bits(const struct ctl_args *a, const char *key,
		    const char *const names[], const uint32_t bits[],
		    uint32_t *v)
{
	const char *s = arg(a, key);
	char buf[64];
	char *tok, *save;

	*v = 0;
	if (!s)
		return 0;
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		int i;

		for (i = 0; names[i] && strcmp(names[i], tok); i++)
			;
		if (!names[i])
			return -1;
		*v |= bits[i];
	}
	return 0;
}

static struct pvvfd_pf *arg_pf(struct pvvfd *d, const struct ctl_args *a)
{
	const char *name = arg(a, "pf");

	for (unsigned int i = 0; name && i < d->opts.num_pfs; i++)
		if (!strcmp(d->pfs[i].opt->name, name))
			return &d->pfs[i];
	return NULL;
}

/* pf=P naming a simulated PF: the commands that drive its model */
static struct pvvfd_pf *arg_sim_pf(struct pvvfd *d, const struct ctl_args *a,
				   struct ctl_out *o)
{
	struct pvvfd_pf *pf = arg_pf(d, a);

	if (pf && !pf->sim) {
		out_error(o, -EOPNOTSUPP, "pf_%s_is_a_real_PF:_only_simulated_PFs_take_this_command",
			  pf->opt->name);
		return NULL;
	}
	return pf;
}

static int arg_vf(const struct pvvfd_pf *pf, const struct ctl_args *a,
		  uint16_t *vf)
{
	struct pvvf_pf_info pi;
	uint32_t v;

	if (pvvf_pf_get_info(pf->pf, &pi) || pi.num_vfs == 0 ||
	    arg_u32(a, "vf", UINT32_MAX, pi.num_vfs - 1, &v))
		return -1;
	*vf = v;
	return 0;
}

/* ---- dump ---- */

/* What the sysfs back-end reads of a real PF now. */
static void dump_sysfs(struct ctl_out *o, const struct pvvfd_pf *pf)
{
	struct pvvf_pf_sysfs_state st;
	char msg[256];

	pvvf_pf_sysfs_get_state(pf->sysfs, &st);
	snprintf(msg, sizeof(msg), "%s", pvvf_pf_sysfs_last_message(pf->sysfs));
	for (char *c = msg; *c; c++)
		if (*c == ' ')
			*c = '_';
	out(o, "sysfs pf=%s bdf=%s driver=%s driver_owns=%d removed=%d pasid_ctrl=0x%04x "
	    "pri_ctrl=0x%04x pri_status=0x%04x pri_alloc=%u pf_ats=%d vfs_ats=%u "
	    "vfs_draining=%u last_message=%s",
	    pf->opt->name, pf->opt->sysfs.bdf, st.driver[0] ? st.driver : "none",
	    st.driver_owns, st.removed, st.pasid_ctrl, st.pri_ctrl, st.pri_status,
	    st.pri_alloc, st.pf_ats, st.vfs_ats, st.vfs_draining, msg[0] ? msg : "none");
}

static void dump_pf(struct ctl_out *o, const struct pvvfd_pf *pf)
{
	const struct pvvf_pf_sim_stats *st;
	struct pvvf_pf_info pi;
	char last[128];

	if (pvvf_pf_get_info(pf->pf, &pi) == 0)
		out(o, "pf name=%s pf_id=0x%llx num_vfs=%u gone=%d reset_pending=%d reset_acks_pending=%u "
		    "pasid_cap=%d pasid_enabled=%d pasid_features=0x%x pasid_owner=0x%x pasid_refs=%u "
		    "pasid_off_deferred=%d pasid_revoked=%d pri_cap=%d pri_enabled=%d pri_pool=%u "
		    "pri_free=%u pri_users=%u pri_revoked=%d ats_stu=%u ats_vfs=%u",
		    pf->opt->name, (unsigned long long)pi.pf_id, pi.num_vfs, pi.gone,
		    pi.reset_pending, pi.reset_acks_pending, pi.pasid_cap,
		    pi.pasid_enabled, pi.pasid_ctrl_features, pi.pasid_owner,
		    pi.pasid_refs, pi.pasid_off_deferred, pi.pasid_revoked,
		    pi.pri_cap, pi.pri_enabled, pi.pri_pool, pi.pri_free,
		    pi.pri_users, pi.pri_revoked, pi.ats_stu, pi.ats_vfs);
	if (pf->sysfs) {
		dump_sysfs(o, pf);
		return;
	}
	st = pvvf_pf_sim_stats(pf->sim);
	snprintf(last, sizeof(last), "%s", pvvf_pf_sim_last_violation(pf->sim));
	for (char *c = last; *c; c++)
		if (*c == ' ')
			*c = '_';
	out(o, "sim pf=%s violations=%u host_violations=%u prq_issued=%llu prq_completed=%llu "
	    "prq_aborted=%llu prq_refused=%llu resets=%llu last_violation=%s",
	    pf->opt->name, pvvf_pf_sim_violation_count(pf->sim), st->host_violations,
	    (unsigned long long)st->prq_issued, (unsigned long long)st->prq_completed,
	    (unsigned long long)st->prq_aborted, (unsigned long long)st->prq_refused,
	    (unsigned long long)st->resets, last[0] ? last : "none");
}

static void dump_vf(struct ctl_out *o, const char *pf, const char *guest,
		    const struct pvvf_vf_info *vi)
{
	out(o, "vf pf=%s index=%u guest=%s slot=%u ats=%d ats_stu=%u pasid=%d pasid_features=0x%x "
	    "pri_enabled=%d pri_draining=%d pri_status=0x%04x pri_alloc=%u pri_held=%u "
	    "pri_outstanding=%u",
	    pf, vi->vf_index, guest, vi->slot, vi->ats, vi->ats_stu, vi->pasid,
	    vi->pasid_features, vi->pri_enabled, vi->pri_draining, vi->pri_status,
	    vi->pri_alloc, vi->pri_held, vi->pri_outstanding);
}

static void dump_guest(struct ctl_out *o, struct pvvfd *d,
		       const struct pvvfd_guest *g)
{
	struct virtio_pvvf_config cfg;

	pvvf_guest_get_config(g->core, &cfg);
	out(o, "guest name=%s socket=%s link=%s driver=%s features=0x%llx acked=0x%llx "
	    "events_pending=%u epoch=%u num_vfs=%u",
	    g->opt->name, g->opt->socket, g->conn_src >= 0 ? "up" : "down",
	    pvvf_guest_connected(g->core) ? "up" : "down",
	    (unsigned long long)pvvf_guest_offered_features(g->core),
	    (unsigned long long)pvvf_guest_acked_features(g->core),
	    pvvf_guest_events_pending(g->core), le32toh(cfg.epoch),
	    le16toh(cfg.num_vfs));
	for (uint32_t slot = 0; slot < le16toh(cfg.num_vfs); slot++) {
		struct pvvf_vf_info vi;

		if (pvvf_guest_get_vf_info(g->core, slot, &vi))
			continue;
		/* pvvfd adds the vf= of a guest in order: slot n is vfs[n] */
		dump_vf(o, slot < g->opt->num_vfs ?
			d->opts.pfs[g->opt->vfs[slot].pf].name : "?",
			g->opt->name, &vi);
	}
}

static int cmd_dump(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a)
{
	(void)a;
	for (unsigned int i = 0; i < d->opts.num_pfs; i++)
		dump_pf(o, &d->pfs[i]);
	for (unsigned int i = 0; i < d->num_guests; i++)
		if (d->guests[i].core)
			dump_guest(o, d, &d->guests[i]);
	return 0;
}

/* ---- simulated PF actions ---- */

static int cmd_inject(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a)
{
	struct pvvfd_pf *pf = arg_sim_pf(d, a, o);
	uint16_t vf;
	uint32_t n;

	if (!pf || arg_vf(pf, a, &vf) || arg_u32(a, "n", 1, 1 << 20, &n))
		return -EINVAL;
	out(o, "issued=%u", pvvf_pf_sim_inject(pf->sim, vf, n, pvvfd_now_ns()));
	return 0;
}

static int cmd_inject_random(struct pvvfd *d, struct ctl_out *o,
			     const struct ctl_args *a)
{
	struct pvvfd_pf *pf = arg_sim_pf(d, a, o);
	uint32_t n;

	if (!pf || arg_u32(a, "n", UINT32_MAX, 1 << 20, &n))
		return -EINVAL;
	out(o, "issued=%u", pvvf_pf_sim_inject_random(pf->sim, n, pvvfd_now_ns()));
	return 0;
}

static int cmd_complete(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a)
{
	struct pvvfd_pf *pf = arg_sim_pf(d, a, o);
	uint16_t vf;
	uint32_t n;

	if (!pf || arg_vf(pf, a, &vf) || arg_u32(a, "n", 1, 1 << 20, &n))
		return -EINVAL;
	out(o, "completed=%u", pvvf_pf_sim_complete(pf->sim, vf, n));
	return 0;
}

static int cmd_fault(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a)
{
	static const char *const names[] = { "rf", "uprgi", NULL };
	static const uint32_t bits[] = { PCI_PRI_STATUS_RF, PCI_PRI_STATUS_UPRGI };
	struct pvvfd_pf *pf = arg_sim_pf(d, a, o);
	uint16_t vf;
	uint32_t b;

	(void)o;
	if (!pf || arg_vf(pf, a, &vf) || arg_bits(a, "bits", names, bits, &b) || !b)
		return -EINVAL;
	pvvf_pf_sim_vf_pri_fault(pf->sim, vf, b);
	return 0;
}

static int cmd_host_pasid(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a)
{
	static const char *const names[] = { "exec", "priv", NULL };
	static const uint32_t bits[] = { PCI_PASID_CAP_EXEC, PCI_PASID_CAP_PRIV };
	struct pvvfd_pf *pf = arg_sim_pf(d, a, o);
	bool enable;
	uint32_t f;

	(void)o;
	if (!pf || arg_bool(a, "enable", &enable) ||
	    arg_bits(a, "features", names, bits, &f))
		return -EINVAL;
	pvvf_pf_sim_host_pasid(pf->sim, enable, f);
	return 0;
}

static int cmd_host_pri_disable(struct pvvfd *d, struct ctl_out *o,
				const struct ctl_args *a)
{
	struct pvvfd_pf *pf = arg_sim_pf(d, a, o);

	(void)o;
	if (!pf)
		return -EINVAL;
	pvvf_pf_sim_host_pri_disable(pf->sim);
	return 0;
}

static int cmd_host_ats(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a)
{
	struct pvvfd_pf *pf = arg_sim_pf(d, a, o);
	bool enable;

	(void)o;
	if (!pf || arg_bool(a, "enable", &enable))
		return -EINVAL;
	pvvf_pf_sim_host_ats(pf->sim, enable);
	return 0;
}

static int cmd_pf_reset(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a)
{
	struct pvvfd_pf *pf = arg_pf(d, a);

	(void)o;
	if (!pf)
		return -EINVAL;
	if (pf->sysfs)
		pvvf_pf_sysfs_request_reset(pf->sysfs);
	else
		pvvf_pf_sim_request_reset(pf->sim);
	return 0;
}

static int cmd_pf_remove(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a)
{
	struct pvvfd_pf *pf = arg_sim_pf(d, a, o);
	struct pvvf_pf_info pi;

	(void)o;
	if (!pf)
		return -EINVAL;
	/* The sim refuses nothing, but its ops must not run after removal. */
	if (pvvf_pf_get_info(pf->pf, &pi) == 0 && pi.gone)
		return -EALREADY;
	pvvf_pf_sim_remove(pf->sim);
	return 0;
}

/* guest=G: a guest being served */
static struct pvvfd_guest *arg_guest(struct pvvfd *d, const struct ctl_args *a)
{
	const char *name = arg(a, "guest");

	for (unsigned int i = 0; name && i < d->num_guests; i++)
		if (d->guests[i].core && !strcmp(d->guests[i].opt->name, name))
			return &d->guests[i];
	return NULL;
}

/*
 * ---- test-only fault injection ----
 *
 * A hostile or broken device, on demand, for end-to-end tests of the guest
 * driver (tests/e2e/faults.sh).  These act on one guest's link, not on a
 * PF; the core never learns of them.  A fault ends with its command's
 * "off" form or when the guest's link drops.
 */

/* stall guest=G enable=on|off: stop (resume) answering G's requests */
static int cmd_stall(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a)
{
	struct pvvfd_guest *g = arg_guest(d, a);
	bool on;

	(void)o;
	if (!g || arg_bool(a, "enable", &on))
		return -EINVAL;
	g->fault.stall = on;
	if (!on)
		pvvfd_guest_serve_requests(g);
	return 0;
}

/* corrupt-reply guest=G how=H [op=OPCODE] [n=K]: spoil G's next K replies */
static int cmd_corrupt_reply(struct pvvfd *d, struct ctl_out *o,
			     const struct ctl_args *a)
{
	static const char *const names[] = {
		"off", "short", "long", "zero", "tag", "status", NULL,
	};
	struct pvvfd_guest *g = arg_guest(d, a);
	const char *how = arg(a, "how");
	uint32_t n, op = 0;
	int i;

	(void)o;
	if (!g || !how || arg_u32(a, "n", 1, 1 << 20, &n) ||
	    (arg(a, "op") && arg_u32(a, "op", 0, UINT16_MAX, &op)))
		return -EINVAL;
	for (i = 0; names[i] && strcmp(names[i], how); i++)
		;
	if (!names[i])
		return -EINVAL;
	g->fault.corrupt = (enum pvvfd_corrupt)i;
	g->fault.corrupt_n = i == PVVFD_CORRUPT_NONE ? 0 : n;
	g->fault.corrupt_op = arg(a, "op") ? (int)op : -1;
	return 0;
}

/* inject-event guest=G raw=HEX [used=N]: raw bytes in G's next event buffer */
static int cmd_inject_event(struct pvvfd *d, struct ctl_out *o,
			    const struct ctl_args *a)
{
	struct pvvfd_guest *g = arg_guest(d, a);
	const char *hex = arg(a, "raw");
	uint8_t buf[64];
	size_t len;
	uint32_t used;

	(void)o;
	if (!g || !hex || !*hex || strlen(hex) % 2 ||
	    strlen(hex) > 2 * sizeof(buf) ||
	    strspn(hex, "0123456789abcdefABCDEF") != strlen(hex))
		return -EINVAL;
	len = strlen(hex) / 2;
	for (size_t i = 0; i < len; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], '\0' };

		buf[i] = (uint8_t)strtoul(byte, NULL, 16);
	}
	if (arg_u32(a, "used", len, UINT32_MAX, &used))
		return -EINVAL;
	return pvvfd_guest_raw_event(g, buf, len, used);
}

/* fake-config guest=G num_vfs=N|off: G's config reports num_vfs N */
static int cmd_fake_config(struct pvvfd *d, struct ctl_out *o,
			   const struct ctl_args *a)
{
	struct pvvfd_guest *g = arg_guest(d, a);
	const char *s = arg(a, "num_vfs");
	uint32_t n;

	(void)o;
	if (!g || !s)
		return -EINVAL;
	if (!strcmp(s, "off")) {
		g->fault.num_vfs_set = false;
	} else {
		if (arg_u32(a, "num_vfs", 0, UINT16_MAX, &n))
			return -EINVAL;
		g->fault.num_vfs_set = true;
		g->fault.num_vfs = n;
	}
	g->config_dirty = true;		/* pvvfd_settle() sends the change */
	return 0;
}

/* ---- guests at run time ---- */

/*
 * The arguments are --guest's keys, one per argument (vf= may repeat):
 * joined with commas, they are parsed and checked like a --guest of the
 * command line, against every guest already there.
 */
static int cmd_guest_add(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a)
{
	char spec[PVVFD_GUEST_SPEC_MAX];
	char err[512];
	size_t len = 0;
	unsigned int i;

	for (int k = 0; k < a->n; k++) {
		int n;

		/* a comma would smuggle in another key */
		if (strchr(a->val[k], ','))
			return out_error(o, -EINVAL, "no_commas_in_values");
		n = snprintf(spec + len, sizeof(spec) - len, "%s%s=%s", k ? "," : "",
			     a->key[k], a->val[k]);
		if (n < 0 || (size_t)n >= sizeof(spec) - len)
			return out_error(o, -EINVAL, "guest_specification_too_long");
		len += n;
	}
	for (i = 0; i < PVVFD_MAX_GUESTS && d->guests[i].core; i++)
		;
	if (pvvfd_options_guest_add(&d->opts, i, spec, err, sizeof(err)))
		return out_error(o, -EINVAL, "%s", err);
	if (pvvfd_guest_add(d, i, err, sizeof(err))) {
		pvvfd_options_guest_remove(&d->opts, i);
		return out_error(o, -EIO, "%s", err);
	}
	pvvfd_journal("daemon event=guest-add guest=%s vfs=%u", d->opts.guests[i].name,
		      d->opts.guests[i].num_vfs);
	out(o, "guest name=%s socket=%s num_vfs=%u", d->opts.guests[i].name,
	    d->opts.guests[i].socket, d->opts.guests[i].num_vfs);
	return 0;
}

/*
 * A guest whose frontend is connected keeps its device: removing it would
 * pull the VFs' shared state from under a running driver.  force=on drops
 * the link first, which releases every reference the guest held in
 * teardown order (as when QEMU dies), then removes it.
 */
static int cmd_guest_remove(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a)
{
	struct pvvfd_guest *g = arg_guest(d, a);
	bool force = false;
	char name[PVVFD_NAME_MAX];

	if (!g)
		return out_error(o, -ENOENT, "no_guest_named_%s",
				 arg(a, "guest") ? arg(a, "guest") : "(none)");
	if (arg(a, "force") && arg_bool(a, "force", &force))
		return -EINVAL;
	if (g->conn_src >= 0 && !force)
		return out_error(o, -EBUSY, "guest_%s_has_a_frontend_connected_(force=on_disconnects_it)",
				 g->opt->name);
	snprintf(name, sizeof(name), "%s", g->opt->name);
	pvvfd_guest_remove(d, g, "removed");
	pvvfd_options_guest_remove(&d->opts, g - d->guests);
	pvvfd_journal("daemon event=guest-remove guest=%s forced=%d", name, force);
	return 0;
}

/* ---- watch ---- */

static int cmd_watch(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a)
{
	static const uint32_t bits[] = { 1, 2, 4, 8, 16, 32, 64 };
	uint32_t kinds;

	(void)d;
	if (arg_bits(a, "kinds", watch_kind_names, bits, &kinds))
		return -EINVAL;
	for (int k = 0; k < a->n; k++)
		if (strcmp(a->key[k], "kinds"))
			return -EINVAL;
	/* ctl_line starts the stream once "ok" is out */
	o->conn->kinds = kinds ? kinds : WATCH_ALL;
	return 0;
}

static void watch_arm(struct pvvfd_ctl_conn *c, bool want)
{
	if (c->want_out == want || !ctl_daemon)
		return;
	if (pvvfd_src_mod(ctl_daemon, c->src, EPOLLIN | (want ? EPOLLOUT : 0)) == 0)
		c->want_out = want;
}

/* Send what the buffer holds without waiting; the rest on EPOLLOUT. */
static void watch_flush(struct pvvfd_ctl_conn *c)
{
	while (c->wlen && !c->write_failed) {
		ssize_t w = send(ctl_daemon->srcs[c->src].fd, c->wbuf, c->wlen,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w <= 0) {
			/* the peer is going away; its EOF closes the connection */
			c->write_failed = true;
			c->wlen = 0;
			break;
		}
		memmove(c->wbuf, c->wbuf + w, c->wlen - w);
		c->wlen -= w;
	}
	watch_arm(c, c->wlen > 0);
}

static bool watch_put(struct pvvfd_ctl_conn *c, const char *line, size_t n)
{
	if (n + 1 > sizeof(c->wbuf) - c->wlen)
		return false;
	memcpy(c->wbuf + c->wlen, line, n);
	c->wbuf[c->wlen + n] = '\n';
	c->wlen += n + 1;
	return true;
}

static uint32_t line_kind(const char *line)
{
	const char *k = strchr(line, ' ');
	size_t n;

	if (!k)
		return 0;
	k++;
	n = strcspn(k, " ");
	for (int i = 0; watch_kind_names[i]; i++)
		if (strlen(watch_kind_names[i]) == n && !strncmp(watch_kind_names[i], k, n))
			return 1u << i;
	return 0;
}

/* "lost n=N" for the lines dropped so far, once there is room for it. */
static void watch_put_lost(struct pvvfd_ctl_conn *c)
{
	char lost[48];
	int m;

	if (!c->lost)
		return;
	m = snprintf(lost, sizeof(lost), "lost n=%llu", (unsigned long long)c->lost);
	if (watch_put(c, lost, m))
		c->lost = 0;
}

void pvvfd_ctl_watch_line(const char *line)
{
	uint32_t kind = line_kind(line);
	size_t n = strlen(line);

	for (int i = 0; i < CTL_MAX_CONNS; i++) {
		struct pvvfd_ctl_conn *c = &ctl_conns[i];

		if (!c->used || !c->watching || c->write_failed || !(c->kinds & kind))
			continue;
		watch_put_lost(c);
		if (c->lost || !watch_put(c, line, n))
			c->lost++;
		watch_flush(c);
	}
}

static int cmd_help(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a);

static const struct {
	const char *name;
	int (*fn)(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a);
	const char *usage;
} ctl_cmds[] = {
	{ "dump", cmd_dump, "dump" },
	{ "inject", cmd_inject, "inject pf=P vf=N [n=K]" },
	{ "inject-random", cmd_inject_random, "inject-random pf=P n=K" },
	{ "complete", cmd_complete, "complete pf=P vf=N [n=K]" },
	{ "fault", cmd_fault, "fault pf=P vf=N bits=rf+uprgi" },
	{ "host-pasid", cmd_host_pasid, "host-pasid pf=P enable=on|off [features=exec+priv]" },
	{ "host-pri-disable", cmd_host_pri_disable, "host-pri-disable pf=P" },
	{ "host-ats", cmd_host_ats, "host-ats pf=P enable=on|off" },
	{ "pf-reset", cmd_pf_reset, "pf-reset pf=P" },
	{ "pf-remove", cmd_pf_remove, "pf-remove pf=P" },
	/* test-only fault injection (above) */
	{ "stall", cmd_stall, "stall guest=G enable=on|off" },
	{ "corrupt-reply", cmd_corrupt_reply,
	  "corrupt-reply guest=G how=off|short|long|zero|tag|status [op=OPCODE] [n=K]" },
	{ "inject-event", cmd_inject_event, "inject-event guest=G raw=HEX [used=N]" },
	{ "fake-config", cmd_fake_config, "fake-config guest=G num_vfs=N|off" },
	{ "guest-add", cmd_guest_add,
	  "guest-add name=N socket=PATH vf=PF:INDEX@LOCATOR... [features=F] "
	  "[evq-depth=N] [socket-owner=UID:GID]" },
	{ "guest-remove", cmd_guest_remove, "guest-remove guest=G [force=on]" },
	{ "watch", cmd_watch, "watch [kinds=decision+event+host+guest+conn+daemon+ctl]" },
	{ "help", cmd_help, "help" },
};

static int cmd_help(struct pvvfd *d, struct ctl_out *o, const struct ctl_args *a)
{
	(void)d;
	(void)a;
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		out(o, "usage=%s", ctl_cmds[i].usage);
	return 0;
}

/* ---- line handling ---- */

/* Commands that change nothing are not journaled. */
static bool ctl_read_only(const char *cmd)
{
	return !strcmp(cmd, "dump") || !strcmp(cmd, "help") || !strcmp(cmd, "watch");
}

static void ctl_line(struct pvvfd *d, struct pvvfd_ctl_conn *c, char *line)
{
	struct ctl_out o = { .fd = d->srcs[c->src].fd, .conn = c };
	struct ctl_args a = { 0 };
	char *tok, *save, *cmd;
	const char *guest;
	size_t i;
	int ret;

	for (const char *p = line; *p; p++)
		if ((*p < ' ' || *p > '~') && *p != '\t' && *p != '\r') {
			out(&o, "error msg=non-printable_bytes_in_request");
			return;
		}
	cmd = strtok_r(line, " \t\r", &save);
	if (!cmd)
		return;
	while ((tok = strtok_r(NULL, " \t\r", &save))) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok || a.n == CTL_MAX_ARGS) {
			out(&o, "error msg=expected_key=value_arguments");
			return;
		}
		*eq = '\0';
		a.key[a.n] = tok;
		a.val[a.n++] = eq + 1;
	}
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (!strcmp(ctl_cmds[i].name, cmd))
			break;
	if (i == sizeof(ctl_cmds) / sizeof(ctl_cmds[0])) {
		out(&o, "error msg=unknown_command_(try_help)");
		return;
	}
	/* Requests are timed against the core's last tick. */
	pvvf_core_tick(d->core, pvvfd_now_ns());
	ret = ctl_cmds[i].fn(d, &o, &a);
	/* guest-add names its guest name=, the others guest= */
	guest = arg(&a, "guest") ? arg(&a, "guest") : arg(&a, "name");
	if (!ctl_read_only(cmd))
		pvvfd_journal("ctl cmd=%s%s%s%s%s%s%s result=%s", cmd,
			      arg(&a, "pf") ? " pf=" : "", arg(&a, "pf") ? arg(&a, "pf") : "",
			      arg(&a, "vf") ? " vf=" : "", arg(&a, "vf") ? arg(&a, "vf") : "",
			      guest ? " guest=" : "", guest ? guest : "",
			      ret ? "error" : "ok");
	if (ret == -EINVAL && !o.err[0])
		out_error(&o, ret, "bad_arguments_usage:_%s", ctl_cmds[i].usage);
	else if (ret && !o.err[0])
		out_error(&o, ret, "%s", ret == -EALREADY ? "already_done" :
			  ret == -ENOBUFS ? "no_event_buffer_posted" :
			  ret == -EMSGSIZE ? "event_buffer_too_small" :
			  ret == -ENOTCONN ? "guest_driver_not_up" : "failed");
	if (ret)
		out(&o, "error msg=%s", o.err);
	else
		out(&o, "ok");
	if (!ret && !strcmp(cmd, "watch") && !o.failed)
		c->watching = true;
}

static void ctl_conn_close(struct pvvfd *d, struct pvvfd_ctl_conn *c)
{
	int fd = d->srcs[c->src].fd;

	pvvfd_src_del(d, c->src);
	close(fd);
	c->used = false;
	c->watching = false;
}

void pvvfd_ctl_input(struct pvvfd *d, struct pvvfd_src *src, uint32_t events)
{
	struct pvvfd_ctl_conn *c = src->ctl;
	int fd = src->fd;
	ssize_t n;
	char *nl;

	if ((events & EPOLLOUT) && c->watching) {
		watch_flush(c);
		/* room again: say what was lost even if nothing new comes */
		if (c->lost && !c->write_failed) {
			watch_put_lost(c);
			watch_flush(c);
		}
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = recv(fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		ctl_conn_close(d, c);
		return;
	}
	/* A watching client only hangs up; anything it sends is dropped. */
	if (c->watching)
		return;
	c->len += n;
	while (!c->watching && (nl = memchr(c->buf, '\n', c->len))) {
		size_t used = nl - c->buf + 1;

		*nl = '\0';
		ctl_line(d, c, c->buf);
		pvvfd_settle(d);
		/*
		 * A client that leaves its replies unread held the daemon for
		 * one send timeout; it does not get to do it again with the
		 * next line it queued.
		 */
		if (c->reply_failed) {
			pvvfd_journal("ctl event=dropped reason=reply-not-read");
			ctl_conn_close(d, c);
			return;
		}
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
	if (c->watching) {
		c->len = 0;
		return;
	}
	if (c->len == sizeof(c->buf)) {
		struct ctl_out o = { .fd = fd };

		out(&o, "error msg=line_too_long");
		ctl_conn_close(d, c);
	}
}

void pvvfd_ctl_accept(struct pvvfd *d)
{
	struct timeval tv = { .tv_sec = 1 };
	/*
	 * Blocking, so that SO_SNDTIMEO below bounds a slow reader instead of
	 * a full buffer cutting a long reply short; reads use MSG_DONTWAIT.
	 */
	int fd = accept4(d->srcs[d->ctl_listen_src].fd, NULL, NULL,
			 SOCK_CLOEXEC);
	uid_t peer;
	int i;

	if (fd < 0)
		return;
	/* Mode 0600 keeps other users out; the credentials say so again. */
	peer = pvvfd_peer_uid(fd);
	if (peer != geteuid()) {
		struct ctl_out o = { .fd = fd };

		pvvfd_journal("ctl event=refused reason=uid uid=%ld",
			      peer == (uid_t)-1 ? -1L : (long)peer);
		out(&o, "error msg=permission_denied");
		close(fd);
		return;
	}
	for (i = 0; i < CTL_MAX_CONNS && ctl_conns[i].used; i++)
		;
	if (i == CTL_MAX_CONNS) {
		struct ctl_out o = { .fd = fd };

		out(&o, "error msg=too_many_control_connections");
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ctl_conns[i].src = pvvfd_src_add(d, PVVFD_SRC_CTL_CONN, fd, EPOLLIN);
	if (ctl_conns[i].src < 0) {
		close(fd);
		return;
	}
	ctl_conns[i].used = true;
	ctl_conns[i].len = 0;
	ctl_conns[i].watching = false;
	ctl_conns[i].write_failed = false;
	ctl_conns[i].reply_failed = false;
	ctl_conns[i].want_out = false;
	ctl_conns[i].lost = 0;
	ctl_conns[i].wlen = 0;
	d->srcs[ctl_conns[i].src].ctl = &ctl_conns[i];
}

int pvvfd_ctl_listen(struct pvvfd *d, const char *path)
{
	int fd = pvvfd_unix_listen(path, (uid_t)-1, (gid_t)-1);

	if (fd < 0) {
		fprintf(stderr, "pvvfd: error: --control %s: %s\n", path,
			fd == -EADDRINUSE ? "another process serves it" : strerror(-fd));
		return -1;
	}
	d->ctl_listen_src = pvvfd_src_add(d, PVVFD_SRC_CTL_LISTEN, fd, EPOLLIN);
	if (d->ctl_listen_src < 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	snprintf(ctl_path, sizeof(ctl_path), "%s", path);
	ctl_daemon = d;
	return 0;
}

void pvvfd_ctl_close_all(struct pvvfd *d)
{
	for (int i = 0; i < CTL_MAX_CONNS; i++)
		if (ctl_conns[i].used)
			ctl_conn_close(d, &ctl_conns[i]);
	if (d->ctl_listen_src >= 0) {
		int fd = d->srcs[d->ctl_listen_src].fd;

		pvvfd_src_del(d, d->ctl_listen_src);
		close(fd);
		unlink(ctl_path);
		d->ctl_listen_src = -1;
	}
}
