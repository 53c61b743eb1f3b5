// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz target: pvvfd's command line and configuration file parsing
 * (host/pvvfd/options.c).
 *
 * The input is NUL-separated arguments; after an empty argument (two NULs
 * in a row) the rest is a configuration file, handed over as
 * "--config FILE" through a memfd.  Arguments naming a file of their own
 * (--config) are skipped: the fuzzer must not read /dev/stdin.
 *
 * A refusal must come with a message.  Whatever is accepted must hold
 * what the daemon relies on before it starts anything: terminated names
 * and paths, counts within their arrays, every VF on a PF that exists and
 * has it, no VF given twice, locators that print and parse back the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "options.h"

#define MAX_ARGS	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define require(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_options: %s:%d: accepted options break: %s\n", \
			__FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

static bool terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static void check_vf(const struct pvvfd_options *o, const struct pvvfd_vf_opt *vf)
{
	struct pvvfd_vf_opt back;
	char loc[128];

	require(vf->pf < o->num_pfs);
	require(!strcmp(vf->pf_name, o->pfs[vf->pf].name));
	/* a real PF's VFs are known once its config space is read */
	require(o->pfs[vf->pf].backend != PVVFD_PF_SIM ||
		vf->vf_index < o->pfs[vf->pf].sim.num_vfs);
	require(vf->path_len >= 1 && vf->path_len <= VIRTIO_PVVF_PATH_MAX);
	require(!vf->has_cap || !vf->cap_offset ||
		(vf->cap_offset >= 0x100 && vf->cap_offset <= 0xfe8 && !(vf->cap_offset & 3)));
	pvvfd_format_locator(vf, loc, sizeof(loc));
	require(terminated(loc, sizeof(loc)));
	memset(&back, 0, sizeof(back));
	require(pvvfd_parse_locator(loc, &back) == 0);
	require(back.segment == vf->segment && back.root_bus == vf->root_bus &&
		back.path_len == vf->path_len &&
		!memcmp(back.path, vf->path, vf->path_len));
}

static void check(const struct pvvfd_options *o)
{
	require(terminated(o->log_path, sizeof(o->log_path)));
	require(terminated(o->control, sizeof(o->control)));
	if (o->help || o->version)
		return;
	require(o->num_pfs >= 1 && o->num_pfs <= PVVFD_MAX_PFS);
	require(o->num_guests >= 1 && o->num_guests <= PVVFD_MAX_GUESTS);
	for (unsigned int i = 0; i < o->num_pfs; i++) {
		require(terminated(o->pfs[i].name, sizeof(o->pfs[i].name)));
		require(o->pfs[i].name[0]);
		if (o->pfs[i].backend == PVVFD_PF_SIM) {
			require(o->pfs[i].sim.num_vfs >= 1);
		} else {
			const struct pvvfd_sysfs_opt *so = &o->pfs[i].sysfs;

			require(o->pfs[i].backend == PVVFD_PF_SYSFS);
			require(terminated(so->bdf, sizeof(so->bdf)) && so->bdf[0]);
			require(terminated(so->root, sizeof(so->root)));
			require(terminated(so->run_dir, sizeof(so->run_dir)));
		}
		for (unsigned int j = 0; j < i; j++) {
			require(strcmp(o->pfs[i].name, o->pfs[j].name));
			require(o->pfs[i].pf_id != o->pfs[j].pf_id);
		}
	}
	for (unsigned int i = 0; i < o->num_guests; i++) {
		const struct pvvfd_guest_opt *g = &o->guests[i];

		require(terminated(g->name, sizeof(g->name)) && g->name[0]);
		require(terminated(g->socket, sizeof(g->socket)) && g->socket[0]);
		require(strcmp(g->socket, o->control));
		require(g->num_vfs <= PVVFD_MAX_GUEST_VFS);
		for (unsigned int j = 0; j < i; j++) {
			require(strcmp(g->name, o->guests[j].name));
			require(strcmp(g->socket, o->guests[j].socket));
		}
		for (unsigned int v = 0; v < g->num_vfs; v++) {
			check_vf(o, &g->vfs[v]);
			for (unsigned int j = 0; j <= i; j++)
				for (unsigned int w = 0; w < (j == i ? v : o->guests[j].num_vfs); w++)
					require(g->vfs[v].pf != o->guests[j].vfs[w].pf ||
						g->vfs[v].vf_index != o->guests[j].vfs[w].vf_index);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pvvfd_options opts;
	static int memfd = -1;
	char *argv[MAX_ARGS + 3], *copy, *p, *end, path[64], err[512];
	int argc = 0;
	size_t conf_len = 0;
	const char *conf = NULL;

	copy = malloc(size + 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	end = copy + size;
	argv[argc++] = "pvvfd";
	for (p = copy; p < end && argc < MAX_ARGS; p += strlen(p) + 1) {
		if (!*p) {
			conf = p + 1;
			conf_len = conf < end ? (size_t)(end - conf) : 0;
			break;
		}
		if (strstr(p, "config"))
			continue;
		argv[argc++] = p;
	}
	if (conf && conf_len) {
		if (memfd < 0)
			memfd = memfd_create("pvvfd-fuzz-config", MFD_CLOEXEC);
		if (memfd < 0 || ftruncate(memfd, 0) ||
		    pwrite(memfd, conf, conf_len, 0) != (ssize_t)conf_len)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
		argv[argc++] = "--config";
		argv[argc++] = path;
	}
	argv[argc] = NULL;
	memset(err, 0x5a, sizeof(err));
	if (pvvfd_options_parse(&opts, argc, argv, err, sizeof(err))) {
		require(terminated(err, sizeof(err)) && err[0]);
	} else {
		require(terminated(err, sizeof(err)));
		check(&opts);
	}
	free(copy);
	return 0;
}
