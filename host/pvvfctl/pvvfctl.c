// SPDX-License-Identifier: BSD-3-Clause
/*
 * pvvfctl: the operator's view of a running pvvfd, over its control
 * socket (host/pvvfd/ctl.c): PFs, guests and VFs as tables or JSON,
 * guests added and removed at run time, the journal as it is written.
 *
 * The daemon's replies are "KIND key=value..." records, then "ok" or
 * "error msg=...".  They are parsed strictly (a line that is not records
 * of that form is an error, not guessed at) and printed with anything
 * non-printable replaced, so a confused or hostile peer cannot drive the
 * terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#define PVVFCTL_VERSION		"0.1"
#define DEFAULT_SOCKET		"/run/pvvf/ctl"
#define LINE_MAX_LEN		4096	/* the daemon's lines are far shorter */
#define MAX_FIELDS		40
#define MAX_RECORDS		8192
#define REPLY_TIMEOUT_S		10

/* ---- reading the daemon ---- */

struct conn {
	int fd;
	size_t len;
	char buf[LINE_MAX_LEN];
};

struct record {
	char *line;			/* owned: the fields point into it */
	char *kind;
	int n;
	char *key[MAX_FIELDS];
	char *val[MAX_FIELDS];
};

struct reply {
	int n;
	struct record *rec;
	char *error;			/* the msg= of "error", or NULL */
	struct record err;
};

static const char *progname = "pvvfctl";
static volatile sig_atomic_t stop;	/* SIGINT/SIGTERM during watch */

static void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void conn_open(struct conn *c, const char *path, bool watch)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };

	if (strlen(path) >= sizeof(sa.sun_path))
		die(2, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	c->len = 0;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die(1, "socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
		die(1, "cannot connect to %s: %s (is pvvfd running with --control %s?)",
		    path, strerror(errno), path);
	/* a request is answered at once; a watch may be quiet for long */
	if (!watch)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void conn_send(struct conn *c, const char *line)
{
	size_t n = strlen(line);

	for (size_t done = 0; done < n;) {
		ssize_t w = send(c->fd, line + done, n - done, MSG_NOSIGNAL);

		if (w <= 0)
			die(1, "sending to pvvfd: %s", w < 0 ? strerror(errno) : "closed");
		done += w;
	}
}

/* The next line without its newline; NULL at end of file. */
static char *conn_line(struct conn *c, char *out)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;

		if (nl) {
			size_t used = nl - c->buf + 1;

			memcpy(out, c->buf, used - 1);
			out[used - 1] = '\0';
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			return out;
		}
		if (c->len == sizeof(c->buf))
			die(1, "pvvfd sent a line longer than %d bytes", LINE_MAX_LEN);
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0 && errno == EINTR && stop)
			return NULL;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(1, "reading from pvvfd: %s", errno == EAGAIN ?
			    "no answer (timed out)" : strerror(errno));
		if (n == 0) {
			if (c->len)
				die(1, "pvvfd closed the connection mid-line");
			return NULL;
		}
		c->len += n;
	}
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < ' ' || *s > '~')
			return false;
	return true;
}

/*
 * "KIND key=value..." or "key=value..." (KIND "" then); keys are
 * [a-z0-9_], values have no spaces.  Splits @line in place.
 */
static int parse_record(char *line, struct record *r)
{
	char *tok, *save;
	bool first = true;

	r->kind = "";
	r->n = 0;
	if (!printable(line))
		return -1;
	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (first && !eq) {
			r->kind = tok;
			first = false;
			continue;
		}
		first = false;
		if (!eq || eq == tok || r->n == MAX_FIELDS)
			return -1;
		*eq = '\0';
		for (const char *k = tok; *k; k++)
			if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_'))
				return -1;
		r->key[r->n] = tok;
		r->val[r->n++] = eq + 1;
	}
	return 0;
}

static const char *field(const struct record *r, const char *key)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->key[i], key))
			return r->val[i];
	return NULL;
}

static const char *field_or(const struct record *r, const char *key)
{
	const char *v = field(r, key);

	return v ? v : "-";
}

/* A copy of @line parsed into @r, which owns it. */
static void record_take(struct record *r, const char *line, const char *what)
{
	r->line = strdup(line);
	if (!r->line)
		die(1, "out of memory");
	if (parse_record(r->line, r))
		die(1, "malformed %s from pvvfd", what);
}

static void reply_free(struct reply *rep)
{
	for (int i = 0; i < rep->n; i++)
		free(rep->rec[i].line);
	free(rep->rec);
	free(rep->err.line);
	memset(rep, 0, sizeof(*rep));
}

/* One request; its records until "ok" or "error". */
static void request(struct conn *c, const char *cmd, struct reply *rep)
{
	char line[LINE_MAX_LEN];
	char req[LINE_MAX_LEN + 2];
	int cap = 0;

	if (strlen(cmd) > LINE_MAX_LEN - 2 || strchr(cmd, '\n'))
		die(2, "request too long or with a newline");
	snprintf(req, sizeof(req), "%s\n", cmd);
	conn_send(c, req);
	memset(rep, 0, sizeof(*rep));
	while (conn_line(c, line)) {
		if (!strcmp(line, "ok"))
			return;
		if (!strncmp(line, "error", 5) && (!line[5] || line[5] == ' ')) {
			record_take(&rep->err, line, "error reply");
			rep->error = (char *)field(&rep->err, "msg");
			if (!rep->error)
				die(1, "malformed error reply from pvvfd");
			return;
		}
		if (rep->n == MAX_RECORDS)
			die(1, "pvvfd sent more than %d records", MAX_RECORDS);
		if (rep->n == cap) {
			struct record *more;

			cap = cap ? cap * 2 : 64;
			more = realloc(rep->rec, cap * sizeof(*more));
			if (!more)
				die(1, "out of memory");
			rep->rec = more;
		}
		record_take(&rep->rec[rep->n], line, "reply line");
		rep->n++;
	}
	die(1, "pvvfd closed the connection before answering");
}

/* ---- JSON ---- */

static bool is_string_key(const char *key)
{
	static const char *const names[] = {
		"name", "pf", "guest", "socket", "link", "driver", "last_violation",
		"msg", "usage", "kind", NULL
	};

	for (int i = 0; names[i]; i++)
		if (!strcmp(key, names[i]))
			return true;
	return false;
}

/* Numbers (decimal or 0x hex) become JSON integers, the rest strings. */
static json_t *json_value(const char *key, const char *v)
{
	char *end;
	unsigned long long n;

	if (!is_string_key(key) && v[0] >= '0' && v[0] <= '9') {
		errno = 0;
		n = strtoull(v, &end, 0);
		if (!errno && !*end && n <= (unsigned long long)LLONG_MAX)
			return json_integer((json_int_t)n);
		if (!strcmp(key, "ts")) {
			double t = strtod(v, &end);

			if (!*end)
				return json_real(t);
		}
	}
	return json_string(v);
}

static json_t *record_json(const struct record *r, bool with_kind)
{
	json_t *o = json_object();

	if (with_kind && r->kind[0])
		json_object_set_new(o, "kind", json_string(r->kind));
	for (int i = 0; i < r->n; i++)
		json_object_set_new(o, r->key[i], json_value(r->key[i], r->val[i]));
	return o;
}

static void json_print(json_t *j, size_t flags)
{
	if (json_dumpf(j, stdout, flags | JSON_SORT_KEYS | JSON_REAL_PRECISION(12)) < 0)
		die(1, "writing JSON failed");
	fputc('\n', stdout);
	json_decref(j);
}

/* ---- tables ---- */

struct column {
	const char *title;
	const char *key;
};

static void table(const struct reply *rep, const char *kind,
		  const struct column *cols, int ncols)
{
	int width[16] = { 0 };

	for (int c = 0; c < ncols; c++)
		width[c] = strlen(cols[c].title);
	for (int i = 0; i < rep->n; i++) {
		if (strcmp(rep->rec[i].kind, kind))
			continue;
		for (int c = 0; c < ncols; c++) {
			int w = strlen(field_or(&rep->rec[i], cols[c].key));

			if (w > width[c])
				width[c] = w;
		}
	}
	for (int c = 0; c < ncols; c++)
		printf("%-*s%s", width[c], cols[c].title, c + 1 < ncols ? "  " : "\n");
	for (int i = 0; i < rep->n; i++) {
		if (strcmp(rep->rec[i].kind, kind))
			continue;
		for (int c = 0; c < ncols; c++)
			printf("%-*s%s", width[c], field_or(&rep->rec[i], cols[c].key),
			       c + 1 < ncols ? "  " : "\n");
	}
}

/* key: value, one per line */
static void vertical(const struct record *r)
{
	for (int i = 0; i < r->n; i++)
		printf("%-20s %s\n", r->key[i], r->val[i]);
}

static const struct column pf_cols[] = {
	{ "PF", "name" }, { "PF_ID", "pf_id" }, { "VFS", "num_vfs" },
	{ "GONE", "gone" }, { "RESET", "reset_pending" },
	{ "PASID", "pasid_enabled" }, { "OWNER", "pasid_owner" },
	{ "REFS", "pasid_refs" }, { "PRI", "pri_enabled" },
	{ "POOL", "pri_pool" }, { "FREE", "pri_free" }, { "USERS", "pri_users" },
	{ "ATS_VFS", "ats_vfs" },
};

static const struct column guest_cols[] = {
	{ "GUEST", "name" }, { "LINK", "link" }, { "DRIVER", "driver" },
	{ "VFS", "num_vfs" }, { "EVENTS", "events_pending" }, { "EPOCH", "epoch" },
	{ "FEATURES", "acked" }, { "SOCKET", "socket" },
};

static const struct column vf_cols[] = {
	{ "PF", "pf" }, { "VF", "index" }, { "GUEST", "guest" }, { "SLOT", "slot" },
	{ "ATS", "ats" }, { "PASID", "pasid" }, { "PRI", "pri_enabled" },
	{ "DRAIN", "pri_draining" }, { "STATUS", "pri_status" },
	{ "ALLOC", "pri_alloc" }, { "HELD", "pri_held" },
	{ "OUTSTANDING", "pri_outstanding" },
};

#define NCOLS(c) ((int)(sizeof(c) / sizeof((c)[0])))

/* ---- commands ---- */

struct opts {
	const char *socket;
	bool json;
};

static void check_error(const struct reply *rep, const struct opts *o)
{
	if (!rep->error)
		return;
	if (o->json) {
		json_t *j = json_object();

		json_object_set_new(j, "error", json_string(rep->error));
		json_print(j, JSON_COMPACT);
	}
	die(1, "pvvfd: %s", rep->error);
}

static void dump(const struct opts *o, struct reply *rep)
{
	struct conn c;

	conn_open(&c, o->socket, false);
	request(&c, "dump", rep);
	close(c.fd);
	check_error(rep, o);
}

/* A PF's back-end record: "sim" (simulated) or "sysfs" (a real PF). */
static bool is_backend(const struct record *r, const char *pf)
{
	return (!strcmp(r->kind, "sim") || !strcmp(r->kind, "sysfs")) &&
	       !strcmp(field_or(r, "pf"), pf);
}

/* The PF records with their back-end's record inside, under its kind. */
static json_t *pfs_json(const struct reply *rep, const char *only)
{
	json_t *a = json_array();

	for (int i = 0; i < rep->n; i++) {
		const struct record *r = &rep->rec[i];
		json_t *pf;

		if (strcmp(r->kind, "pf") || (only && strcmp(field_or(r, "name"), only)))
			continue;
		pf = record_json(r, false);
		for (int k = 0; k < rep->n; k++)
			if (is_backend(&rep->rec[k], field_or(r, "name")))
				json_object_set_new(pf, rep->rec[k].kind,
						    record_json(&rep->rec[k], false));
		json_array_append_new(a, pf);
	}
	return a;
}

static json_t *kind_json(const struct reply *rep, const char *kind)
{
	json_t *a = json_array();

	for (int i = 0; i < rep->n; i++)
		if (!strcmp(rep->rec[i].kind, kind))
			json_array_append_new(a, record_json(&rep->rec[i], false));
	return a;
}

static int cmd_list(const struct opts *o, int argc, char **argv)
{
	const char *what = argc ? argv[0] : "all";
	bool all = !strcmp(what, "all");
	struct reply rep;

	if (argc > 1 || (!all && strcmp(what, "pfs") && strcmp(what, "guests") &&
			 strcmp(what, "vfs")))
		die(2, "usage: list [pfs|guests|vfs]");
	dump(o, &rep);
	if (o->json) {
		json_t *j = json_object();

		if (all || !strcmp(what, "pfs"))
			json_object_set_new(j, "pfs", pfs_json(&rep, NULL));
		if (all || !strcmp(what, "guests"))
			json_object_set_new(j, "guests", kind_json(&rep, "guest"));
		if (all || !strcmp(what, "vfs"))
			json_object_set_new(j, "vfs", kind_json(&rep, "vf"));
		json_print(j, JSON_INDENT(2));
	} else {
		if (all || !strcmp(what, "pfs"))
			table(&rep, "pf", pf_cols, NCOLS(pf_cols));
		if (all)
			putchar('\n');
		if (all || !strcmp(what, "guests"))
			table(&rep, "guest", guest_cols, NCOLS(guest_cols));
		if (all)
			putchar('\n');
		if (all || !strcmp(what, "vfs"))
			table(&rep, "vf", vf_cols, NCOLS(vf_cols));
	}
	reply_free(&rep);
	return 0;
}

/* show pf NAME | show guest NAME | show vf PF:INDEX */
static int cmd_show(const struct opts *o, int argc, char **argv)
{
	struct reply rep;
	const struct record *found = NULL, *backend = NULL;
	char pf[64] = "";
	const char *index = NULL;

	if (argc != 2 || (strcmp(argv[0], "pf") && strcmp(argv[0], "guest") &&
			  strcmp(argv[0], "vf")))
		die(2, "usage: show pf NAME | show guest NAME | show vf PF:INDEX");
	if (!strcmp(argv[0], "vf")) {
		const char *colon = strchr(argv[1], ':');

		if (!colon || colon == argv[1] || (size_t)(colon - argv[1]) >= sizeof(pf) ||
		    !colon[1])
			die(2, "show vf: expected PF:INDEX, e.g. pf0:3");
		snprintf(pf, sizeof(pf), "%.*s", (int)(colon - argv[1]), argv[1]);
		index = colon + 1;
	}
	dump(o, &rep);
	for (int i = 0; i < rep.n && !found; i++) {
		const struct record *r = &rep.rec[i];

		if (strcmp(r->kind, argv[0]))
			continue;
		if (index ? !strcmp(field_or(r, "pf"), pf) && !strcmp(field_or(r, "index"), index)
			  : !strcmp(field_or(r, "name"), argv[1]))
			found = r;
	}
	if (!found)
		die(1, "no %s %s%s", argv[0], argv[1],
		    index ? " assigned to a guest" : "");
	if (!strcmp(argv[0], "pf"))
		for (int i = 0; i < rep.n; i++)
			if (is_backend(&rep.rec[i], argv[1]))
				backend = &rep.rec[i];
	if (o->json) {
		json_t *j = record_json(found, false);

		if (backend)
			json_object_set_new(j, backend->kind, record_json(backend, false));
		if (!strcmp(argv[0], "guest")) {
			json_t *vfs = json_array();

			for (int i = 0; i < rep.n; i++)
				if (!strcmp(rep.rec[i].kind, "vf") &&
				    !strcmp(field_or(&rep.rec[i], "guest"), argv[1]))
					json_array_append_new(vfs, record_json(&rep.rec[i], false));
			json_object_set_new(j, "vfs", vfs);
		}
		json_print(j, JSON_INDENT(2));
		reply_free(&rep);
		return 0;
	}
	vertical(found);
	if (backend) {
		printf("\n%s\n", !strcmp(backend->kind, "sim") ? "simulated PF" : "sysfs back-end");
		vertical(backend);
	}
	if (!strcmp(argv[0], "guest")) {
		struct reply only = { .n = 0, .rec = calloc(rep.n ? rep.n : 1, sizeof(*only.rec)) };

		if (!only.rec)
			die(1, "out of memory");
		for (int i = 0; i < rep.n; i++)
			if (!strcmp(rep.rec[i].kind, "vf") &&
			    !strcmp(field_or(&rep.rec[i], "guest"), argv[1]))
				only.rec[only.n++] = rep.rec[i];
		putchar('\n');
		table(&only, "vf", vf_cols, NCOLS(vf_cols));
		free(only.rec);
	}
	reply_free(&rep);
	return 0;
}

/* Arguments go to the daemon as words of one line: no spaces in them. */
static void append_args(char *line, size_t len, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!argv[i][0] || strpbrk(argv[i], " \t\r\n") || !printable(argv[i]))
			die(2, "argument '%s': empty, or has spaces or non-printable bytes",
			    argv[i]);
		if (strlen(line) + strlen(argv[i]) + 2 > len)
			die(2, "request too long");
		strcat(line, " ");
		strcat(line, argv[i]);
	}
}

static int simple(const struct opts *o, const char *line)
{
	struct conn c;
	struct reply rep;

	conn_open(&c, o->socket, false);
	request(&c, line, &rep);
	close(c.fd);
	check_error(&rep, o);
	if (o->json) {
		json_t *j = json_object();
		json_t *a = json_array();

		for (int i = 0; i < rep.n; i++)
			json_array_append_new(a, record_json(&rep.rec[i], true));
		json_object_set_new(j, "ok", json_true());
		json_object_set_new(j, "records", a);
		json_print(j, JSON_INDENT(2));
	} else {
		for (int i = 0; i < rep.n; i++) {
			const struct record *r = &rep.rec[i];

			if (r->kind[0])
				printf("%s", r->kind);
			for (int k = 0; k < r->n; k++)
				printf("%s%s=%s", k || r->kind[0] ? " " : "", r->key[k],
				       r->val[k]);
			putchar('\n');
		}
	}
	reply_free(&rep);
	return 0;
}

/* guest add KEY=VALUE... | guest remove NAME [--force] */
static int cmd_guest(const struct opts *o, int argc, char **argv)
{
	char line[LINE_MAX_LEN];

	if (argc >= 2 && !strcmp(argv[0], "add")) {
		snprintf(line, sizeof(line), "guest-add");
		append_args(line, sizeof(line), argc - 1, argv + 1);
		return simple(o, line);
	}
	if ((argc == 2 || (argc == 3 && !strcmp(argv[2], "--force"))) &&
	    !strcmp(argv[0], "remove")) {
		const char *name = argv[1];

		if (!name[0] || strlen(name) > 64 || strpbrk(name, " \t\r\n=") || !printable(name))
			die(2, "guest remove: NAME is the guest's name= (no spaces or '=')");
		snprintf(line, sizeof(line), "guest-remove guest=%s%s", name,
			 argc == 3 ? " force=on" : "");
		return simple(o, line);
	}
	die(2, "usage: guest add name=N socket=PATH vf=PF:INDEX@LOCATOR... | guest remove NAME [--force]");
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* watch [KINDS] [--count N]: journal lines as they are written */
static int cmd_watch(const struct opts *o, int argc, char **argv)
{
	char line[LINE_MAX_LEN];
	char req[256] = "watch";
	long count = -1, seen = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	struct conn c;
	struct reply rep;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			char *end;

			count = strtol(argv[++i], &end, 10);
			if (*end || count <= 0)
				die(2, "watch: --count takes a positive number");
		} else if (argv[i][0] != '-' && !strchr(req, '=')) {
			if (strlen(argv[i]) > 128 || strpbrk(argv[i], " \t\r\n=") ||
			    !printable(argv[i]))
				die(2, "watch: KINDS is kind+kind..., e.g. event+decision");
			snprintf(req, sizeof(req), "watch kinds=%s", argv[i]);
		} else {
			die(2, "usage: watch [KIND+KIND...] [--count N]");
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	conn_open(&c, o->socket, false);
	request(&c, req, &rep);
	check_error(&rep, o);
	reply_free(&rep);
	/* the stream may be quiet for as long as nothing happens */
	{
		struct timeval none = { 0 };

		setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	}
	while (!stop && (count < 0 || seen < count)) {
		struct record r;
		char raw[LINE_MAX_LEN];
		char *rest, *ts;

		if (!conn_line(&c, line))
			break;
		snprintf(raw, sizeof(raw), "%s", line);
		/* "ts=SECONDS KIND key=value..." or "lost n=N" */
		rest = line;
		ts = NULL;
		if (!strncmp(line, "ts=", 3)) {
			char *sp = strchr(line, ' ');

			if (!sp)
				die(1, "malformed watch line from pvvfd");
			*sp = '\0';
			ts = line + 3;
			rest = sp + 1;
		}
		if (parse_record(rest, &r) || !r.kind[0])
			die(1, "malformed watch line from pvvfd");
		if (o->json) {
			json_t *j = record_json(&r, true);

			if (ts)
				json_object_set_new(j, "ts", json_value("ts", ts));
			if (json_dumpf(j, stdout, JSON_COMPACT | JSON_SORT_KEYS |
				       JSON_REAL_PRECISION(12)) < 0)
				die(1, "writing JSON failed");
			json_decref(j);
			putchar('\n');
		} else {
			puts(raw);
		}
		if (fflush(stdout))
			break;		/* reader gone (e.g. | head) */
		seen++;
	}
	close(c.fd);
	return 0;
}

/* send COMMAND [KEY=VALUE...]: any control command, e.g. inject, pf-reset */
static int cmd_send(const struct opts *o, int argc, char **argv)
{
	char line[LINE_MAX_LEN] = "";

	if (argc < 1 || !strcmp(argv[0], "watch"))
		die(2, "usage: send COMMAND [KEY=VALUE...] (watch has its own command)");
	append_args(line, sizeof(line), argc, argv);
	return simple(o, line + 1);
}

static void usage(FILE *f)
{
	fputs(
"usage: pvvfctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
"\n"
"Inspect and drive a running pvvfd through its control socket.\n"
"\n"
"  list [pfs|guests|vfs]          tables of PFs (PASID references, PRI pool),\n"
"                                 guests and assigned VFs (default: all)\n"
"  show pf NAME | guest NAME | vf PF:INDEX\n"
"                                 every field of one of them\n"
"  guest add name=N socket=PATH vf=PF:INDEX@LOCATOR... [features=F]\n"
"            [evq-depth=N] [socket-owner=UID:GID]\n"
"                                 serve a new guest (keys as pvvfd --guest)\n"
"  guest remove NAME [--force]    stop serving it; refused while its QEMU is\n"
"                                 connected, --force disconnects it first\n"
"  watch [KIND+KIND...] [--count N]\n"
"                                 journal lines as they are written; kinds:\n"
"                                 decision event host guest conn daemon ctl\n"
"  send COMMAND [KEY=VALUE...]    any control command (see: send help)\n"
"\n"
"  -s, --socket PATH   the control socket (default " DEFAULT_SOCKET ")\n"
"  -j, --json          JSON output (watch: one object per line)\n"
"  -h, --help, -V, --version\n"
"\n"
"Exit status: 0 done, 1 pvvfd refused or is unreachable, 2 bad usage.\n", f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .socket = DEFAULT_SOCKET };
	int c;

	/* "+": options stop at the command (watch has its own) */
	while ((c = getopt_long(argc, argv, "+s:jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.socket = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("pvvfctl %s\n", PVVFCTL_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (!argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[0], "list"))
		return cmd_list(&o, argc - 1, argv + 1);
	if (!strcmp(argv[0], "show"))
		return cmd_show(&o, argc - 1, argv + 1);
	if (!strcmp(argv[0], "guest"))
		return cmd_guest(&o, argc - 1, argv + 1);
	if (!strcmp(argv[0], "watch"))
		return cmd_watch(&o, argc - 1, argv + 1);
	if (!strcmp(argv[0], "send"))
		return cmd_send(&o, argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", progname, argv[0]);
	usage(stderr);
	return 2;
}
