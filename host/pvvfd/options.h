/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pvvfd command line and configuration file: parsed into plain data, with
 * no side effect, so every syntax rule is checked before anything starts.
 */
#ifndef PVVFD_OPTIONS_H
#define PVVFD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/virtio_pvvf.h>

#include "pf_sim.h"

#define PVVFD_MAX_PFS		16
#define PVVFD_MAX_GUESTS	64
#define PVVFD_MAX_GUEST_VFS	64	/* VFs given to one guest at start */
#define PVVFD_NAME_MAX		32
#define PVVFD_PATH_MAX		108	/* sun_path */

enum pvvfd_pf_backend {
	PVVFD_PF_SIM,			/* --pf [sim:]: a simulated PF */
	PVVFD_PF_SYSFS,			/* --pf sysfs: a real PF (pf_sysfs.h) */
};

/* --pf sysfs:id=NAME,bdf=SSSS:BB:DD.F[,root=DIR][,run-dir=DIR][,poll-ms=N] */
struct pvvfd_sysfs_opt {
	char bdf[16];			/* SSSS:BB:DD.F, lower-case hex */
	char root[256];			/* "": /sys */
	char run_dir[256];		/* lock files; "": /run/pvvf */
	uint64_t poll_ns;		/* 0: the back-end's default */
};

/* --pf [sim:]id=NAME,vfs=N,... or --pf sysfs:id=NAME,bdf=...: one PF */
struct pvvfd_pf_opt {
	char name[PVVFD_NAME_MAX];
	uint64_t pf_id;			/* reported to guests; default: ordinal */
	enum pvvfd_pf_backend backend;
	struct pvvf_pf_sim_params sim;	/* PVVFD_PF_SIM */
	struct pvvfd_sysfs_opt sysfs;	/* PVVFD_PF_SYSFS */
	char state[4096];		/* state= (sim): the PF's state file, "" none */
	bool has_vf_id;			/* vf-id= given; else the PF's own */
	uint16_t vf_vendor_id;
	uint16_t vf_device_id;
};

/* One vf= of a --guest: PF:INDEX@LOCATOR[+cap=OFF][+id=VVVV:DDDD] */
struct pvvfd_vf_opt {
	char pf_name[PVVFD_NAME_MAX];
	unsigned int pf;		/* index into pvvfd_options.pfs */
	uint16_t vf_index;
	uint16_t segment;
	uint8_t root_bus;
	uint8_t path_len;
	uint8_t path[VIRTIO_PVVF_PATH_MAX];
	bool has_cap;			/* +cap= given; else the PF's free offset */
	uint16_t cap_offset;
	bool has_id;			/* +id= given; else the PF's VF IDs */
	uint16_t vendor_id;
	uint16_t device_id;
};

/*
 * --guest name=NAME,socket=PATH,vf=...[,vf=...][,features=...]
 * [,socket-owner=UID:GID]; an entry whose name is "" is free (a guest
 * removed at run time).
 */
struct pvvfd_guest_opt {
	char name[PVVFD_NAME_MAX];
	char socket[PVVFD_PATH_MAX];
	uint64_t features;		/* VIRTIO_PVVF_F_* to offer; 0: all */
	uint32_t evq_depth;		/* 0: the core's default */
	bool has_socket_owner;		/* socket-owner=UID:GID given */
	uint32_t socket_uid;
	uint32_t socket_gid;
	unsigned int num_vfs;
	struct pvvfd_vf_opt vfs[PVVFD_MAX_GUEST_VFS];
};

/* --crash-after WHAT:N, a test hook (crash.c) */
enum pvvfd_crash_what {
	PVVFD_CRASH_NONE,
	PVVFD_CRASH_PASID_WRITE,	/* pasid-write: PF PASID Control */
	PVVFD_CRASH_PRI_WRITE,		/* pri-write: PF PRI Control */
	PVVFD_CRASH_GATE_WRITE,		/* gate-write: a VF's page request gate */
};

struct pvvfd_options {
	unsigned int num_pfs;
	struct pvvfd_pf_opt pfs[PVVFD_MAX_PFS];
	unsigned int num_guests;
	struct pvvfd_guest_opt guests[PVVFD_MAX_GUESTS];
	char log_path[4096];		/* "" or "-": stderr */
	char control[PVVFD_PATH_MAX];	/* "" : no control socket */
	uint64_t drain_timeout_ns;	/* 0: the core's default */
	uint64_t reset_ack_timeout_ns;
	char state_path[4096];		/* --state: the journal, "" none */
	uint64_t reconnect_grace_ns;	/* a restored guest's link may return */
	enum pvvfd_crash_what crash_what;
	unsigned long crash_n;
	bool help;
	bool version;
};

/*
 * Parse argv (and any --config file it names) into @opts.  On error
 * returns -1 with a one-line message in @err; nothing was started.
 */
int pvvfd_options_parse(struct pvvfd_options *opts, int argc, char **argv,
			char *err, size_t err_len);

#define PVVFD_GUEST_SPEC_MAX	2048

/*
 * Parse @spec, the value of a --guest, into the free entry @idx of @opts,
 * checked against everything already there (names, sockets, VF owners):
 * a guest added at run time.  On error returns -1 with a message in @err
 * and changes nothing.
 */
int pvvfd_options_guest_add(struct pvvfd_options *opts, unsigned int idx,
			    const char *spec, char *err, size_t err_len);
/* Free the entry @idx (the guest was removed). */
void pvvfd_options_guest_remove(struct pvvfd_options *opts, unsigned int idx);

/* Parse one locator, SEG:BUS:DD.F[/DD.F]...  (0 or -1). */
int pvvfd_parse_locator(const char *s, struct pvvfd_vf_opt *vf);

/* Write the locator of @vf as the syntax above. */
void pvvfd_format_locator(const struct pvvfd_vf_opt *vf, char *buf,
			  size_t len);

void pvvfd_usage(FILE *f);

#endif /* PVVFD_OPTIONS_H */
