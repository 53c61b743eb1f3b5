// SPDX-License-Identifier: BSD-3-Clause
/*
 * The journal: one line per decision (from the core), event and
 * connection, each "ts=SECONDS.MICROS KIND key=value...", where ts counts
 * from the daemon's start (monotonic) and KIND is a bare word: decision,
 * host, event (from the core), conn, daemon, ctl (from pvvfd).  Values
 * never contain spaces, so `for w in $line` or awk splits them.
 *
 * A guest decides how many refusals it provokes, so their decision lines
 * are rate-limited per guest (PVVFD_REFUSAL_BURST per window); every
 * suppressed line is still counted and reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvvfd.h"

static FILE *journal_f;
static uint64_t journal_t0;

int pvvfd_journal_open(const char *path)
{
	journal_t0 = pvvfd_now_ns();
	if (!path[0] || !strcmp(path, "-")) {
		journal_f = stderr;
		return 0;
	}
	journal_f = fopen(path, "ae");
	if (!journal_f) {
		int err = errno;

		journal_f = stderr;
		return -err;
	}
	return 0;
}

static void journal_line(const char *line)
{
	uint64_t t = pvvfd_now_ns() - journal_t0;
	char full[640];

	snprintf(full, sizeof(full), "ts=%llu.%06llu %s",
		 (unsigned long long)(t / 1000000000),
		 (unsigned long long)(t % 1000000000 / 1000), line);
	fprintf(journal_f, "%s\n", full);
	fflush(journal_f);
	/* and to every control client that watches */
	pvvfd_ctl_watch_line(full);
}

void pvvfd_journal(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	journal_line(line);
}

/* "decision ... status=N ..." with N not 0 */
static bool is_refusal(const char *line)
{
	const char *st;

	if (strncmp(line, "decision ", 9))
		return false;
	st = strstr(line, " status=");
	return st && st[8] != '0';
}

void pvvfd_journal_refusals_flush(struct pvvfd_guest *g)
{
	if (!g->refusals_suppressed)
		return;
	pvvfd_journal("conn guest=%s event=refusals-suppressed count=%u",
		      g->opt->name, g->refusals_suppressed);
	g->refusals_suppressed = 0;
}

uint64_t pvvfd_journal_refusals_tick(struct pvvfd_guest *g, uint64_t now)
{
	if (!g->refusals_suppressed)
		return PVVF_NO_DEADLINE;
	if (now - g->refusal_window >= PVVFD_REFUSAL_WINDOW_NS) {
		pvvfd_journal_refusals_flush(g);
		return PVVF_NO_DEADLINE;
	}
	return g->refusal_window + PVVFD_REFUSAL_WINDOW_NS;
}

static bool refusal_allowed(struct pvvfd_guest *g)
{
	uint64_t now = pvvfd_now_ns();

	if (now - g->refusal_window >= PVVFD_REFUSAL_WINDOW_NS) {
		pvvfd_journal_refusals_flush(g);
		g->refusal_window = now;
		g->refusals_logged = 0;
	}
	if (g->refusals_logged < PVVFD_REFUSAL_BURST) {
		g->refusals_logged++;
		return true;
	}
	g->refusals_suppressed++;
	return false;
}

void pvvfd_journal_core(void *opaque, const char *line)
{
	struct pvvfd *d = opaque;

	if (d->serving && is_refusal(line) && !refusal_allowed(d->serving))
		return;
	journal_line(line);
}

void pvvfd_journal_close(void)
{
	if (journal_f && journal_f != stderr)
		fclose(journal_f);
	journal_f = stderr;
}
