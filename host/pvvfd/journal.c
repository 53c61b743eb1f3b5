// SPDX-License-Identifier: BSD-3-Clause
/*
 * The journal: one line per decision (from the core), event and
 * connection, each "ts=SECONDS.MICROS KIND key=value...", where ts counts
 * from the daemon's start (monotonic) and KIND is a bare word: decision,
 * host, event (from the core), conn, daemon, ctl (from pvvfd).  Values
 * never contain spaces, so `for w in $line` or awk splits them.
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

	fprintf(journal_f, "ts=%llu.%06llu %s\n",
		(unsigned long long)(t / 1000000000),
		(unsigned long long)(t % 1000000000 / 1000), line);
	fflush(journal_f);
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

void pvvfd_journal_core(void *opaque, const char *line)
{
	(void)opaque;
	journal_line(line);
}

void pvvfd_journal_close(void)
{
	if (journal_f && journal_f != stderr)
		fclose(journal_f);
	journal_f = stderr;
}
