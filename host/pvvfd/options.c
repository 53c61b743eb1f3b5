// SPDX-License-Identifier: BSD-3-Clause
/*
 * pvvfd command line and configuration file.
 *
 * Every option is "--name value" or "--name=value"; a configuration file
 * (--config FILE) holds the same options one per line without the dashes
 * ("guest name=a,socket=..."), with blank lines and # comments.  Nothing
 * is opened or started here: the result is plain data, checked as a whole
 * (names resolved, duplicates refused) before pvvfd acts on it.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define PCI_PASID_CAP_EXEC	0x0002
#define PCI_PASID_CAP_PRIV	0x0004

struct parser {
	struct pvvfd_options *opts;
	char *err;
	size_t err_len;
	int depth;			/* config file nesting */
};

static int fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->err_len, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- scalars ---- */

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_hex(const char *s, size_t max_digits, uint64_t max,
		     uint64_t *out)
{
	size_t n = strlen(s);
	char *end;

	if (n == 0 || n > max_digits)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -1;
	*out = strtoull(s, &end, 16);
	return *out <= max ? 0 : -1;
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "0")) {
		*out = false;
		return 0;
	}
	return -1;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PVVFD_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

/* "a+b+c" against a table of names and bits, or a number. */
struct flag_name {
	const char *name;
	uint64_t bit;
};

static int parse_flags(const char *s, const struct flag_name *tab,
		       uint64_t max, uint64_t *out)
{
	char buf[128];
	char *tok, *save;

	if (isdigit((unsigned char)s[0]))
		return parse_u64(s, max, out);
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*out = 0;
	if (!strcmp(buf, "none"))
		return 0;
	for (tok = strtok_r(buf, "+", &save); tok;
	     tok = strtok_r(NULL, "+", &save)) {
		const struct flag_name *f;

		for (f = tab; f->name && strcmp(f->name, tok); f++)
			;
		if (!f->name)
			return -1;
		*out |= f->bit;
	}
	return 0;
}

static const struct flag_name pasid_feature_names[] = {
	{ "exec", PCI_PASID_CAP_EXEC },
	{ "priv", PCI_PASID_CAP_PRIV },
	{ NULL, 0 },
};

static const struct flag_name feature_names[] = {
	{ "pasid", 1ULL << VIRTIO_PVVF_F_PASID },
	{ "pri", 1ULL << VIRTIO_PVVF_F_PRI },
	{ "cap-offset", 1ULL << VIRTIO_PVVF_F_CAP_OFFSET },
	{ NULL, 0 },
};

/*
 * "A:B": copy @s to @buf, cut it at its first colon, and return B (A is
 * @buf); NULL if @s does not fit or has no colon.
 */
static char *split_colon(const char *s, char *buf, size_t len)
{
	char *colon;

	if (strlen(s) >= len)
		return NULL;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (!colon)
		return NULL;
	*colon = '\0';
	return colon + 1;
}

/* "VVVV:DDDD" */
static int parse_pci_id(const char *s, uint16_t *vendor, uint16_t *device)
{
	char buf[16];
	char *rest = split_colon(s, buf, sizeof(buf));
	uint64_t v, d;

	if (!rest || parse_hex(buf, 4, 0xffff, &v) || parse_hex(rest, 4, 0xffff, &d))
		return -1;
	*vendor = v;
	*device = d;
	return 0;
}

/* ---- locators ---- */

/* "DD.F" -> devfn */
static int parse_devfn(const char *s, uint8_t *devfn)
{
	char buf[8];
	char *dot;
	uint64_t dev, fn;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	dot = strchr(buf, '.');
	if (!dot)
		return -1;
	*dot = '\0';
	if (parse_hex(buf, 2, 0x1f, &dev) || parse_hex(dot + 1, 1, 7, &fn))
		return -1;
	*devfn = (uint8_t)(dev << 3 | fn);
	return 0;
}

/*
 * SEG:BUS:DD.F[/DD.F]... or BUS:DD.F[/DD.F]... (segment 0): the root bus
 * as firmware numbers it, then the device/function of every hop down to
 * the VF, as in the VF descriptor (docs/spec.md 6.4.1).
 */
int pvvfd_parse_locator(const char *s, struct pvvfd_vf_opt *vf)
{
	char buf[128];
	char *fields[3], *hop, *save, *path;
	int nf = 0;
	uint64_t seg = 0, bus;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	fields[nf++] = buf;
	for (char *c = buf; *c && *c != '/'; c++) {
		if (*c != ':')
			continue;
		if (nf == 3)
			return -1;
		*c = '\0';
		fields[nf++] = c + 1;
	}
	if (nf < 2)
		return -1;
	if (nf == 3 && parse_hex(fields[0], 4, 0xffff, &seg))
		return -1;
	if (parse_hex(fields[nf - 2], 2, 0xff, &bus))
		return -1;
	vf->segment = seg;
	vf->root_bus = bus;
	vf->path_len = 0;
	path = fields[nf - 1];
	if (*path == '\0' || path[strlen(path) - 1] == '/' || strstr(path, "//"))
		return -1;
	for (hop = strtok_r(path, "/", &save); hop;
	     hop = strtok_r(NULL, "/", &save)) {
		if (vf->path_len == VIRTIO_PVVF_PATH_MAX ||
		    parse_devfn(hop, &vf->path[vf->path_len]))
			return -1;
		vf->path_len++;
	}
	return vf->path_len ? 0 : -1;
}

void pvvfd_format_locator(const struct pvvfd_vf_opt *vf, char *buf,
			  size_t len)
{
	int n = snprintf(buf, len, "%04x:%02x:", vf->segment, vf->root_bus);

	for (unsigned int i = 0; i < vf->path_len && n > 0 && (size_t)n < len;
	     i++)
		n += snprintf(buf + n, len - n, "%s%02x.%x", i ? "/" : "",
			      vf->path[i] >> 3, vf->path[i] & 7);
}

/* ---- key=value lists ---- */

/*
 * Split "k=v,k=v" in place; calls @fn for each pair.  Values may hold
 * anything but a comma.
 */
static int for_each_kv(struct parser *p, const char *what, char *list,
		       int (*fn)(struct parser *p, void *obj, const char *k,
				 const char *v),
		       void *obj)
{
	char *item, *save;

	for (item = strtok_r(list, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (!eq || eq == item)
			return fail(p, "%s: '%s' is not key=value", what, item);
		*eq = '\0';
		if (fn(p, obj, item, eq + 1))
			return -1;
	}
	return 0;
}

/* ---- --pf ---- */

/* "SSSS:BB:DD.F", lower-case hex, as sysfs names PCI functions */
static bool valid_bdf(const char *s)
{
	static const char shape[] = "xxxx:xx:xx.x";
	char dev[3];

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'x' ? !strchr("0123456789abcdef", s[i]) : s[i] != shape[i])
			return false;
	memcpy(dev, s + 8, 2);
	dev[2] = '\0';
	return strtoul(dev, NULL, 16) <= 0x1f && s[11] <= '7';
}

static int path_kv(struct parser *p, const char *k, const char *v, char *dst,
		   size_t len)
{
	if (!v[0] || strlen(v) >= len)
		return fail(p, "--pf sysfs: %s= must be a path of 1-%zu bytes", k, len - 1);
	strcpy(dst, v);
	return 0;
}

/*
 * Keys of a real PF: 0 if handled, 1 for the keys every back-end takes,
 * -1 (with a message) for the simulated PF's keys.
 */
static int sysfs_kv(struct parser *p, struct pvvfd_pf_opt *pf, const char *k,
		    const char *v)
{
	struct pvvfd_sysfs_opt *so = &pf->sysfs;
	uint64_t ms;

	if (!strcmp(k, "bdf")) {
		if (!valid_bdf(v))
			return fail(p, "--pf sysfs: bdf=%s: expected SSSS:BB:DD.F, lower-case hex as in /sys/bus/pci/devices",
				    v);
		strcpy(so->bdf, v);
		return 0;
	}
	if (!strcmp(k, "root"))
		return path_kv(p, k, v, so->root, sizeof(so->root));
	if (!strcmp(k, "run-dir"))
		return path_kv(p, k, v, so->run_dir, sizeof(so->run_dir));
	if (!strcmp(k, "poll-ms")) {
		if (parse_u64(v, 60000, &ms) || ms == 0)
			return fail(p, "--pf sysfs: poll-ms= must be 1..60000");
		so->poll_ns = ms * 1000000;
		return 0;
	}
	if (!strcmp(k, "id") || !strcmp(k, "pf-id") || !strcmp(k, "vf-id"))
		return 1;
	return fail(p, "--pf sysfs: unknown key '%s' (a real PF's capabilities and VFs come from its config space; see --help)",
		    k);
}

static int pf_kv(struct parser *p, void *obj, const char *k, const char *v)
{
	struct pvvfd_pf_opt *pf = obj;
	struct pvvf_pf_sim_params *sim = &pf->sim;
	uint64_t n;
	int bad = 0;

	if (pf->backend == PVVFD_PF_SYSFS) {
		int ret = sysfs_kv(p, pf, k, v);

		if (ret <= 0)
			return ret;
	}
	if (!strcmp(k, "id")) {
		if (!valid_name(v))
			return fail(p, "--pf: id=%s: use 1-%d letters, digits, '_', '.', '-'",
				    v, PVVFD_NAME_MAX - 1);
		strcpy(pf->name, v);
	} else if (!strcmp(k, "pf-id")) {
		bad = parse_u64(v, UINT64_MAX, &pf->pf_id) || pf->pf_id == 0;
	} else if (!strcmp(k, "vfs")) {
		bad = parse_u64(v, VIRTIO_PVVF_MAX_VFS, &n) || n == 0;
		sim->num_vfs = n;
	} else if (!strcmp(k, "pasid")) {
		bad = parse_bool(v, &sim->pasid);
	} else if (!strcmp(k, "pasid-width")) {
		bad = parse_u64(v, VIRTIO_PVVF_PASID_WIDTH_MAX, &n);
		sim->pasid_max_width = n;
	} else if (!strcmp(k, "pasid-features")) {
		bad = parse_flags(v, pasid_feature_names,
				  PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV, &n) ||
		      (n & ~(uint64_t)(PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV));
		sim->pasid_features = n;
	} else if (!strcmp(k, "pri")) {
		bad = parse_bool(v, &sim->pri);
	} else if (!strcmp(k, "pri-capacity")) {
		bad = parse_u64(v, UINT32_MAX, &n);
		sim->pri_capacity = n;
	} else if (!strcmp(k, "pri-pasid-required")) {
		bad = parse_bool(v, &sim->pri_pasid_required);
	} else if (!strcmp(k, "ats-stu")) {
		/* a page shift: 12 (4 KiB) .. 63 */
		bad = parse_u64(v, 63, &n) || n < 12;
		sim->ats_stu = n;
	} else if (!strcmp(k, "prq-delay-us")) {
		bad = parse_u64(v, UINT64_MAX / 1000, &n);
		sim->prq_delay_ns = n * 1000;
	} else if (!strcmp(k, "seed")) {
		bad = parse_u64(v, UINT64_MAX, &sim->seed);
	} else if (!strcmp(k, "state")) {
		bad = !v[0] || strlen(v) >= sizeof(pf->state);
		if (!bad)
			strcpy(pf->state, v);
	} else if (!strcmp(k, "vf-id")) {
		bad = parse_pci_id(v, &pf->vf_vendor_id, &pf->vf_device_id);
		pf->has_vf_id = true;
	} else {
		return fail(p, "--pf: unknown key '%s' (see --help)", k);
	}
	if (bad)
		return fail(p, "--pf: bad value for %s: '%s'", k, v);
	return 0;
}

static int opt_pf(struct parser *p, char *arg)
{
	struct pvvfd_options *o = p->opts;
	struct pvvfd_pf_opt *pf;
	char *colon = strchr(arg, ':');
	char *eq = strchr(arg, '=');

	enum pvvfd_pf_backend backend = PVVFD_PF_SIM;

	/* An optional "BACKEND:" prefix; the simulated PF is the default. */
	if (colon && (!eq || colon < eq)) {
		*colon = '\0';
		if (!strcmp(arg, "sysfs"))
			backend = PVVFD_PF_SYSFS;
		else if (strcmp(arg, "sim"))
			return fail(p, "--pf: unknown PF back-end '%s' (known: sim, sysfs)", arg);
		arg = colon + 1;
	}
	if (o->num_pfs == PVVFD_MAX_PFS)
		return fail(p, "--pf: at most %d PFs", PVVFD_MAX_PFS);
	pf = &o->pfs[o->num_pfs];
	memset(pf, 0, sizeof(*pf));
	pf->backend = backend;
	pvvf_pf_sim_params_default(&pf->sim);
	if (for_each_kv(p, "--pf", arg, pf_kv, pf))
		return -1;
	if (!pf->name[0])
		return fail(p, "--pf: id= is required");
	if (backend == PVVFD_PF_SYSFS && !pf->sysfs.bdf[0])
		return fail(p, "--pf sysfs:id=%s: bdf= is required", pf->name);
	for (unsigned int i = 0; i < o->num_pfs; i++)
		if (backend == PVVFD_PF_SYSFS && o->pfs[i].backend == PVVFD_PF_SYSFS &&
		    !strcmp(o->pfs[i].sysfs.bdf, pf->sysfs.bdf) &&
		    !strcmp(o->pfs[i].sysfs.root, pf->sysfs.root))
			return fail(p, "--pf %s and %s are both bdf=%s", o->pfs[i].name,
				    pf->name, pf->sysfs.bdf);
	for (unsigned int i = 0; i < o->num_pfs; i++)
		if (!strcmp(o->pfs[i].name, pf->name))
			return fail(p, "--pf: id=%s given twice", pf->name);
	o->num_pfs++;
	return 0;
}

/* ---- --guest ---- */

/* PF:INDEX@LOCATOR[+cap=OFF][+id=VVVV:DDDD] */
static int parse_vf(struct parser *p, const char *guest, const char *s,
		    struct pvvfd_vf_opt *vf)
{
	char buf[256];
	char *at, *colon, *plus, *opt, *save;
	uint64_t n;

	memset(vf, 0, sizeof(*vf));
	if (strlen(s) >= sizeof(buf))
		return fail(p, "--guest %s: vf=%s: too long", guest, s);
	strcpy(buf, s);
	at = strchr(buf, '@');
	colon = strchr(buf, ':');
	if (!at || !colon || colon > at)
		return fail(p, "--guest %s: vf=%s: expected PF:INDEX@LOCATOR", guest, s);
	*at = '\0';
	*colon = '\0';
	if (!valid_name(buf) || parse_u64(colon + 1, VIRTIO_PVVF_MAX_VFS - 1, &n))
		return fail(p, "--guest %s: vf=%s: bad PF name or VF index", guest, s);
	strcpy(vf->pf_name, buf);
	vf->vf_index = n;
	plus = strchr(at + 1, '+');
	if (plus)
		*plus = '\0';
	if (pvvfd_parse_locator(at + 1, vf))
		return fail(p, "--guest %s: vf=%s: bad locator '%s' (SEG:BUS:DD.F[/DD.F]..., at most %d hops)",
			    guest, s, at + 1, VIRTIO_PVVF_PATH_MAX);
	for (opt = plus ? strtok_r(plus + 1, "+", &save) : NULL; opt;
	     opt = strtok_r(NULL, "+", &save)) {
		if (!strncmp(opt, "cap=", 4)) {
			/* docs/spec.md 6.4.2: 0, or dword aligned in 0x100..0xfe8 */
			if (parse_u64(opt + 4, 0xfe8, &n) ||
			    (n && (n < 0x100 || n % 4)))
				return fail(p, "--guest %s: vf=%s: cap= must be 0 or a dword offset in 0x100..0xfe8",
					    guest, s);
			vf->has_cap = true;
			vf->cap_offset = n;
		} else if (!strncmp(opt, "id=", 3)) {
			if (parse_pci_id(opt + 3, &vf->vendor_id, &vf->device_id))
				return fail(p, "--guest %s: vf=%s: id= must be VVVV:DDDD (hex)",
					    guest, s);
			vf->has_id = true;
		} else {
			return fail(p, "--guest %s: vf=%s: unknown option '+%s'", guest, s, opt);
		}
	}
	return 0;
}

/* UID:GID, both numeric: no name lookups in a pure parser */
static int parse_owner(const char *s, uint32_t *uid, uint32_t *gid)
{
	char buf[32];
	char *rest = split_colon(s, buf, sizeof(buf));
	uint64_t u, g;

	/* (uid_t)-1 means "unchanged" to chown(): refuse it */
	if (!rest || parse_u64(buf, UINT32_MAX - 1, &u) || parse_u64(rest, UINT32_MAX - 1, &g))
		return -1;
	*uid = u;
	*gid = g;
	return 0;
}

static int guest_kv(struct parser *p, void *obj, const char *k, const char *v)
{
	struct pvvfd_guest_opt *g = obj;
	const char *who = g->name[0] ? g->name : "";
	uint64_t n;

	if (!strcmp(k, "name")) {
		if (!valid_name(v))
			return fail(p, "--guest: name=%s: use 1-%d letters, digits, '_', '.', '-'",
				    v, PVVFD_NAME_MAX - 1);
		strcpy(g->name, v);
	} else if (!strcmp(k, "socket")) {
		if (!v[0] || strlen(v) >= PVVFD_PATH_MAX)
			return fail(p, "--guest %s: socket= must be a path of 1-%d bytes",
				    who, PVVFD_PATH_MAX - 1);
		strcpy(g->socket, v);
	} else if (!strcmp(k, "vf")) {
		if (g->num_vfs == PVVFD_MAX_GUEST_VFS)
			return fail(p, "--guest %s: at most %d vf=", who, PVVFD_MAX_GUEST_VFS);
		if (parse_vf(p, who, v, &g->vfs[g->num_vfs]))
			return -1;
		g->num_vfs++;
	} else if (!strcmp(k, "features")) {
		if (parse_flags(v, feature_names, 0x7, &n) || n == 0)
			return fail(p, "--guest %s: features= takes pasid+pri+cap-offset (at least one)",
				    who);
		g->features = n;
	} else if (!strcmp(k, "evq-depth")) {
		if (parse_u64(v, 4096, &n) || n == 0)
			return fail(p, "--guest %s: evq-depth= must be 1..4096", who);
		g->evq_depth = n;
	} else if (!strcmp(k, "socket-owner")) {
		if (parse_owner(v, &g->socket_uid, &g->socket_gid))
			return fail(p, "--guest %s: socket-owner= must be UID:GID (numbers)", who);
		g->has_socket_owner = true;
	} else {
		return fail(p, "--guest %s: unknown key '%s' (see --help)", who, k);
	}
	return 0;
}

static int opt_guest(struct parser *p, char *arg)
{
	struct pvvfd_options *o = p->opts;
	struct pvvfd_guest_opt *g;

	if (o->num_guests == PVVFD_MAX_GUESTS)
		return fail(p, "--guest: at most %d guests", PVVFD_MAX_GUESTS);
	g = &o->guests[o->num_guests];
	memset(g, 0, sizeof(*g));
	if (for_each_kv(p, "--guest", arg, guest_kv, g))
		return -1;
	if (!g->name[0])
		return fail(p, "--guest: name= is required");
	if (!g->socket[0])
		return fail(p, "--guest %s: socket= is required", g->name);
	for (unsigned int i = 0; i < o->num_guests; i++) {
		if (!strcmp(o->guests[i].name, g->name))
			return fail(p, "--guest: name=%s given twice", g->name);
		if (!strcmp(o->guests[i].socket, g->socket))
			return fail(p, "--guest %s: socket %s is also guest %s's",
				    g->name, g->socket, o->guests[i].name);
	}
	o->num_guests++;
	return 0;
}

/* ---- global options ---- */

static int opt_ms(struct parser *p, const char *name, const char *v,
		  uint64_t *ns)
{
	uint64_t ms;

	if (parse_u64(v, 3600 * 1000, &ms) || ms == 0)
		return fail(p, "--%s: expected milliseconds, 1..3600000", name);
	*ns = ms * 1000000;
	return 0;
}

static int parse_file(struct parser *p, const char *path);

static int opt_crash(struct parser *p, char *arg)
{
	static const char *const names[] = {
		[PVVFD_CRASH_PASID_WRITE] = "pasid-write",
		[PVVFD_CRASH_PRI_WRITE] = "pri-write",
		[PVVFD_CRASH_GATE_WRITE] = "gate-write",
	};
	char *colon = strchr(arg, ':');
	uint64_t n;

	if (colon) {
		*colon = '\0';
		for (int w = PVVFD_CRASH_PASID_WRITE; w <= PVVFD_CRASH_GATE_WRITE; w++) {
			if (strcmp(arg, names[w]) || parse_u64(colon + 1, 1000000, &n) || !n)
				continue;
			p->opts->crash_what = w;
			p->opts->crash_n = n;
			return 0;
		}
	}
	return fail(p, "--crash-after: expected pasid-write|pri-write|gate-write:N");
}

/* One option; @arg is writable and NULL for options without one. */
static int apply(struct parser *p, const char *name, char *arg)
{
	struct pvvfd_options *o = p->opts;

	if (!strcmp(name, "pf"))
		return opt_pf(p, arg);
	if (!strcmp(name, "guest"))
		return opt_guest(p, arg);
	if (!strcmp(name, "log")) {
		if (!arg[0] || strlen(arg) >= sizeof(o->log_path))
			return fail(p, "--log: bad path");
		strcpy(o->log_path, arg);
		return 0;
	}
	if (!strcmp(name, "control")) {
		if (!arg[0] || strlen(arg) >= sizeof(o->control))
			return fail(p, "--control: path must be 1-%d bytes", PVVFD_PATH_MAX - 1);
		strcpy(o->control, arg);
		return 0;
	}
	if (!strcmp(name, "drain-timeout-ms"))
		return opt_ms(p, name, arg, &o->drain_timeout_ns);
	if (!strcmp(name, "reset-ack-timeout-ms"))
		return opt_ms(p, name, arg, &o->reset_ack_timeout_ns);
	if (!strcmp(name, "reconnect-grace-ms"))
		return opt_ms(p, name, arg, &o->reconnect_grace_ns);
	if (!strcmp(name, "crash-after"))
		return opt_crash(p, arg);
	if (!strcmp(name, "state")) {
		if (!arg[0] || strlen(arg) >= sizeof(o->state_path) - 8)
			return fail(p, "--state: bad path");
		strcpy(o->state_path, arg);
		return 0;
	}
	if (!strcmp(name, "config")) {
		if (p->depth)
			return fail(p, "config files cannot name other config files");
		return parse_file(p, arg);
	}
	return fail(p, "unknown option --%s (see --help)", name);
}

static bool takes_arg(const char *name)
{
	return strcmp(name, "help") && strcmp(name, "version");
}

static int parse_file(struct parser *p, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	unsigned int lineno = 0;
	int ret = 0;

	if (!f)
		return fail(p, "--config %s: %s", path, strerror(errno));
	p->depth++;
	while (!ret && fgets(line, sizeof(line), f)) {
		char *s = line, *arg, *end;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			ret = fail(p, "%s:%u: line too long", path, lineno);
			break;
		}
		while (isspace((unsigned char)*s))
			s++;
		end = s + strlen(s);
		while (end > s && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (!*s || *s == '#')
			continue;
		arg = s + strcspn(s, " \t");
		if (*arg)
			*arg++ = '\0';
		while (isspace((unsigned char)*arg))
			arg++;
		if (!takes_arg(s) || !*arg) {
			ret = fail(p, "%s:%u: '%s' needs a value", path, lineno, s);
			break;
		}
		if (apply(p, s, arg)) {
			/* prefix the message with where it came from */
			char msg[512];

			snprintf(msg, sizeof(msg), "%s", p->err);
			snprintf(p->err, p->err_len, "%s:%u: %s", path, lineno, msg);
			ret = -1;
		}
	}
	if (!ret && ferror(f))
		ret = fail(p, "--config %s: read error", path);
	fclose(f);
	p->depth--;
	return ret;
}

/* PF names of @g's VFs to indexes, and their VF numbers checked. */
static int resolve_vfs(struct parser *p, struct pvvfd_guest_opt *g)
{
	struct pvvfd_options *o = p->opts;

	for (unsigned int v = 0; v < g->num_vfs; v++) {
		struct pvvfd_vf_opt *vf = &g->vfs[v];
		unsigned int k;

		for (k = 0; k < o->num_pfs && strcmp(o->pfs[k].name, vf->pf_name); k++)
			;
		if (k == o->num_pfs)
			return fail(p, "--guest %s: vf=%s:%u: no --pf with id=%s",
				    g->name, vf->pf_name, vf->vf_index, vf->pf_name);
		/* a real PF's VFs are counted when it is opened */
		if (o->pfs[k].backend == PVVFD_PF_SIM && vf->vf_index >= o->pfs[k].sim.num_vfs)
			return fail(p, "--guest %s: vf=%s:%u: %s has %u VFs (0..%u)",
				    g->name, vf->pf_name, vf->vf_index, vf->pf_name,
				    o->pfs[k].sim.num_vfs, o->pfs[k].sim.num_vfs - 1);
		vf->pf = k;
	}
	return 0;
}

/* Names to indexes, and rules that need every option. */
static int resolve(struct parser *p)
{
	struct pvvfd_options *o = p->opts;

	if (o->help || o->version)
		return 0;
	if (!o->num_pfs)
		return fail(p, "no PF: give at least one --pf (see --help)");
	if (!o->num_guests)
		return fail(p, "no guest: give at least one --guest (see --help)");
	for (unsigned int i = 0; i < o->num_guests; i++)
		if (!strcmp(o->guests[i].socket, o->control))
			return fail(p, "--control %s is also guest %s's socket", o->control,
				    o->guests[i].name);
	for (unsigned int i = 0; i < o->num_pfs; i++)
		if (!o->pfs[i].pf_id)
			o->pfs[i].pf_id = i + 1;
	for (unsigned int i = 0; i < o->num_pfs; i++)
		for (unsigned int j = 0; j < i; j++)
			if (o->pfs[i].pf_id == o->pfs[j].pf_id)
				return fail(p, "--pf %s and %s have the same pf-id",
					    o->pfs[j].name, o->pfs[i].name);
	for (unsigned int i = 0; i < o->num_guests; i++)
		if (resolve_vfs(p, &o->guests[i]))
			return -1;
	/* A VF belongs to one guest. */
	for (unsigned int i = 0; i < o->num_guests; i++)
		for (unsigned int v = 0; v < o->guests[i].num_vfs; v++)
			for (unsigned int j = 0; j <= i; j++)
				for (unsigned int w = 0; w < (j == i ? v : o->guests[j].num_vfs); w++) {
					const struct pvvfd_vf_opt *a = &o->guests[i].vfs[v];
					const struct pvvfd_vf_opt *b = &o->guests[j].vfs[w];

					if (a->pf == b->pf && a->vf_index == b->vf_index)
						return fail(p, "VF %s:%u is given to guest %s and to guest %s",
							    a->pf_name, a->vf_index,
							    o->guests[j].name, o->guests[i].name);
				}
	return 0;
}

int pvvfd_options_parse(struct pvvfd_options *opts, int argc, char **argv,
			char *err, size_t err_len)
{
	struct parser p = { .opts = opts, .err = err, .err_len = err_len };

	memset(opts, 0, sizeof(*opts));
	err[0] = '\0';
	for (int i = 1; i < argc; i++) {
		char name[64];
		char *arg = NULL, *eq;
		const char *a = argv[i];

		if (!strcmp(a, "-h")) {
			opts->help = true;
			continue;
		}
		if (strncmp(a, "--", 2) || !a[2])
			return fail(&p, "unexpected argument '%s' (see --help)", a);
		a += 2;
		eq = strchr(a, '=');
		if ((eq ? (size_t)(eq - a) : strlen(a)) >= sizeof(name))
			return fail(&p, "unknown option --%s (see --help)", a);
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
		if (!takes_arg(name)) {
			if (eq)
				return fail(&p, "--%s takes no value", name);
			if (!strcmp(name, "help"))
				opts->help = true;
			else
				opts->version = true;
			continue;
		}
		if (eq) {
			arg = eq + 1;
		} else {
			if (i + 1 == argc)
				return fail(&p, "--%s needs a value", name);
			arg = argv[++i];
		}
		if (apply(&p, name, arg))
			return -1;
	}
	return resolve(&p);
}

int pvvfd_options_guest_add(struct pvvfd_options *o, unsigned int idx,
			     const char *spec, char *err, size_t err_len)
{
	struct parser p = { .opts = o, .err = err, .err_len = err_len };
	struct pvvfd_guest_opt g;
	char buf[PVVFD_GUEST_SPEC_MAX];

	err[0] = '\0';
	if (idx >= PVVFD_MAX_GUESTS || o->guests[idx].name[0])
		return fail(&p, "no free guest entry (at most %d guests)", PVVFD_MAX_GUESTS);
	if (strlen(spec) >= sizeof(buf))
		return fail(&p, "guest specification too long");
	strcpy(buf, spec);
	memset(&g, 0, sizeof(g));
	if (for_each_kv(&p, "--guest", buf, guest_kv, &g))
		return -1;
	if (!g.name[0])
		return fail(&p, "--guest: name= is required");
	if (!g.socket[0])
		return fail(&p, "--guest %s: socket= is required", g.name);
	if (!strcmp(g.socket, o->control))
		return fail(&p, "--guest %s: socket %s is the control socket", g.name, g.socket);
	if (resolve_vfs(&p, &g))
		return -1;
	for (unsigned int v = 0; v < g.num_vfs; v++)
		for (unsigned int w = 0; w < v; w++)
			if (g.vfs[v].pf == g.vfs[w].pf && g.vfs[v].vf_index == g.vfs[w].vf_index)
				return fail(&p, "--guest %s: VF %s:%u given twice", g.name,
					    g.vfs[v].pf_name, g.vfs[v].vf_index);
	for (unsigned int i = 0; i < o->num_guests; i++) {
		const struct pvvfd_guest_opt *h = &o->guests[i];

		if (!h->name[0])
			continue;
		if (!strcmp(h->name, g.name))
			return fail(&p, "--guest: name=%s is taken", g.name);
		if (!strcmp(h->socket, g.socket))
			return fail(&p, "--guest %s: socket %s is also guest %s's",
				    g.name, g.socket, h->name);
		for (unsigned int v = 0; v < g.num_vfs; v++)
			for (unsigned int w = 0; w < h->num_vfs; w++)
				if (g.vfs[v].pf == h->vfs[w].pf &&
				    g.vfs[v].vf_index == h->vfs[w].vf_index)
					return fail(&p, "VF %s:%u is given to guest %s",
						    g.vfs[v].pf_name, g.vfs[v].vf_index, h->name);
	}
	o->guests[idx] = g;
	if (idx >= o->num_guests)
		o->num_guests = idx + 1;
	return 0;
}

void pvvfd_options_guest_remove(struct pvvfd_options *o, unsigned int idx)
{
	if (idx < PVVFD_MAX_GUESTS)
		memset(&o->guests[idx], 0, sizeof(o->guests[idx]));
}

void pvvfd_usage(FILE *f)
{
	fputs(
"usage: pvvfd --pf SPEC... --guest SPEC... [OPTIONS]\n"
"\n"
"vhost-user back-end of the virtio_pvvf device: one socket per guest, PF\n"
"state arbitrated by the pvvf core.\n"
"\n"
"  --pf [sim:]id=NAME,vfs=N[,KEY=VALUE...]\n"
"        a simulated PF (the default back-end).  Keys:\n"
"          pf-id=N              identity reported to guests (default: ordinal)\n"
"          pasid=on|off  pasid-width=0..20  pasid-features=exec+priv|none\n"
"          pri=on|off    pri-capacity=N     pri-pasid-required=on|off\n"
"          ats-stu=12..63 (page shift)      prq-delay-us=N  seed=N\n"
"          vf-id=VVVV:DDDD      vendor:device IDs guests see for its VFs\n"
"                               (default: the PF's VF Device ID)\n"
"          state=FILE           keep the PF's registers in FILE, so they\n"
"                               outlive pvvfd as hardware would\n"
"  --pf sysfs:id=NAME,bdf=SSSS:BB:DD.F[,KEY=VALUE...]\n"
"        a real SR-IOV PF, through ROOT/bus/pci/devices/BDF (root: config\n"
"        space beyond 64 bytes needs CAP_SYS_ADMIN).  Its capabilities and\n"
"        VFs (virtfnN; VF Enable must be set) come from the hardware; a PF\n"
"        a host driver owns (other than pci-pf-stub) is never written.\n"
"        Keys: pf-id=N, vf-id=VVVV:DDDD as above, and\n"
"          root=DIR             sysfs mount (default /sys; a fake tree in tests)\n"
"          run-dir=DIR          lock files serializing writers of the PF\n"
"                               across processes (default /run/pvvf)\n"
"          poll-ms=N            re-read the PF for changes made behind\n"
"                               pvvf's back and removal (default 100)\n"
"  --guest name=NAME,socket=PATH,vf=VF[,vf=VF...][,features=F][,evq-depth=N]\n"
"          [,socket-owner=UID:GID]\n"
"        one guest, served on its own vhost-user socket (pvvfd listens;\n"
"        mode 0600, owned by UID:GID if given: the user QEMU runs as).\n"
"        VF is PF:INDEX@LOCATOR[+cap=OFFSET][+id=VVVV:DDDD]:\n"
"          PF:INDEX    a --pf id and the 0-based VF number in it\n"
"          LOCATOR     SEG:BUS:DD.F[/DD.F]... where the guest sees the VF:\n"
"                      PCI segment and root bus number (hex, as firmware\n"
"                      numbers them), then device.function (hex) of every\n"
"                      hop from the root bus down, the VF last (1-8 hops);\n"
"                      BUS:DD.F... means segment 0000\n"
"          +cap=OFF    free extended config offset (0: none; default: the\n"
"                      PF's VF layout)\n"
"          +id=V:D     vendor:device IDs of this VF in the guest\n"
"        F is pasid+pri+cap-offset (default: all)\n"
"  --config FILE       read options from FILE, one per line without the\n"
"                      dashes (\"guest name=a,socket=...\"); # comments\n"
"  --log FILE          journal (default: stderr); one key=value line per\n"
"                      decision, event and connection\n"
"  --control PATH      control socket for pvvfctl (mode 0600; only this\n"
"                      daemon's user may connect)\n"
"  --drain-timeout-ms N, --reset-ack-timeout-ms N   core deadlines\n"
"  --state FILE        crash-safe journal of what pvvfd holds on the PFs;\n"
"                      a restarted pvvfd reconciles it with the PFs\n"
"  --crash-after WHAT:N   test hook: SIGKILL itself right after the Nth\n"
"                      PF write of WHAT (pasid-write, pri-write, gate-write)\n"
"  --reconnect-grace-ms N   after a restart, how long a guest whose driver\n"
"                      was up may take to reconnect before its references\n"
"                      are released (default 10000)\n"
"  --help, --version\n"
"\n"
"Example: two guests sharing one simulated PF:\n"
"  pvvfd --pf sim:id=pf0,vfs=8 \\\n"
"        --guest name=a,socket=/run/pvvf/a.sock,vf=pf0:0@0000:00:1c.0/00.0 \\\n"
"        --guest name=b,socket=/run/pvvf/b.sock,vf=pf0:1@0000:00:02.0+cap=0x100\n"
"and one guest with VF 2 of the real PF at 0000:3b:00.0:\n"
"  pvvfd --pf sysfs:id=nic0,bdf=0000:3b:00.0 \\\n"
"        --guest name=a,socket=/run/pvvf/a.sock,vf=nic0:2@0000:00:1c.0/00.0\n"
"\n"
"Exit status: 0 after SIGTERM/SIGINT, 1 on a runtime failure, 2 on bad\n"
"arguments.\n", f);
}
