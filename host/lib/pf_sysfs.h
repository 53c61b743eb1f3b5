/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Real PFs through sysfs: the PF back-end of the pvvf core for hardware.
 *
 * It reads and writes the configuration space of an SR-IOV PF and of its
 * VFs through ROOT/bus/pci/devices/BDF/config (ROOT is /sys on a real
 * host, a fake tree built from config-space images in tests), finds the
 * capabilities by walking the lists (<linux/pci_regs.h>), the VFs through
 * the PF's virtfnN links, and whether a host driver owns the PF through
 * its driver link.
 *
 * What it does for each op, and the limits of config space, are described
 * in docs/design.md ("The sysfs back-end") and at each op in pf_sysfs.c.
 * In short: PASID, PRI and ATS registers are the hardware's; the per-VF
 * page request gate, outstanding count and faults have no config-space
 * equivalent and are virtualized; a PF a host driver owns is never
 * written; changes made behind pvvf's back, and the PF's disappearance,
 * are found by polling.
 *
 * Use it with pvvf_core_add_pf(core, &pvvf_pf_sysfs_ops, pf, id, &out).
 */
#ifndef PVVF_HOST_PF_SYSFS_H
#define PVVF_HOST_PF_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pf.h"

#define PVVF_PF_SYSFS_ROOT	"/sys"
#define PVVF_PF_SYSFS_RUN_DIR	"/run/pvvf"
#define PVVF_PF_SYSFS_POLL_NS	100000000ULL	/* 100 ms */
#define PVVF_PF_SYSFS_BDF_LEN	13		/* "SSSS:BB:DD.F" */

struct pvvf_pf_sysfs;

struct pvvf_pf_sysfs_params {
	const char *bdf;	/* SSSS:BB:DD.F, as in sysfs (lower case) */
	const char *root;	/* NULL: PVVF_PF_SYSFS_ROOT */
	const char *run_dir;	/* lock files; NULL: PVVF_PF_SYSFS_RUN_DIR */
	uint64_t poll_ns;	/* change detection period; 0: default */
};

/* What the back-end knows of the PF now (for dumps and tools). */
struct pvvf_pf_sysfs_state {
	char driver[64];	/* "" when no driver is bound */
	bool driver_owns;	/* a host driver owns PASID/PRI: never written */
	bool removed;
	uint16_t pasid_ctrl;	/* PASID Control, 0 without the capability */
	uint16_t pri_ctrl;	/* PRI Control and Status, 0 without it */
	uint16_t pri_status;
	uint32_t pri_alloc;
	bool pf_ats;		/* the PF's own ATS Enable */
	uint32_t vfs_ats;	/* VFs whose ATS Enable is set */
	uint32_t vfs_draining;	/* VFs whose page requests may be outstanding */
};

extern const struct pvvf_pf_ops pvvf_pf_sysfs_ops;

/*
 * Open the PF: validate its config space, walk its capabilities and
 * find its VFs.  On failure returns NULL with a one-line reason in @err
 * (permissions, a vanished device, a missing capability, a bogus chain).
 */
struct pvvf_pf_sysfs *pvvf_pf_sysfs_open(const struct pvvf_pf_sysfs_params *p,
					 char *err, size_t err_len);
void pvvf_pf_sysfs_close(struct pvvf_pf_sysfs *pf);

/* Offset of a capability of the PF, 0 if it has none. */
uint16_t pvvf_pf_sysfs_cap(const struct pvvf_pf_sysfs *pf, uint16_t ext_cap_id);
/* The PF's Vendor ID and the VF Device ID of its SR-IOV capability. */
void pvvf_pf_sysfs_vf_ids(const struct pvvf_pf_sysfs *pf, uint16_t *vendor,
			  uint16_t *device);
/* BDF of VF @vf ("" if out of range). */
const char *pvvf_pf_sysfs_vf_bdf(const struct pvvf_pf_sysfs *pf, uint16_t vf);
int pvvf_pf_sysfs_get_state(struct pvvf_pf_sysfs *pf,
			    struct pvvf_pf_sysfs_state *st);
/*
 * The last error or change of state, as text ("" if none), and a number
 * that changes with every new message (for a caller that logs them).
 */
const char *pvvf_pf_sysfs_last_message(const struct pvvf_pf_sysfs *pf);
uint32_t pvvf_pf_sysfs_message_seq(const struct pvvf_pf_sysfs *pf);

/* The host asks for a PF reset (the core runs it after the guests acked). */
void pvvf_pf_sysfs_request_reset(struct pvvf_pf_sysfs *pf);

/*
 * Raw config space access, as the ops do it.  @vf < 0 is the PF.  @size
 * is 2 or 4 and @off a multiple of it.  cfg_update replaces the bits in
 * @mask with @val under the PF's lock (read, modify, write) and writes
 * the PF only (-EPERM for a VF); it does not ask who owns the PF, the
 * ops do.  @old gets the value before, if not NULL.  Both return 0 or a
 * negative errno.
 */
int pvvf_pf_sysfs_cfg_read(struct pvvf_pf_sysfs *pf, int vf, uint16_t off,
			   int size, uint32_t *val);
int pvvf_pf_sysfs_cfg_update(struct pvvf_pf_sysfs *pf, int vf, uint16_t off,
			     int size, uint32_t mask, uint32_t val,
			     uint32_t *old);

/*
 * The lock that serializes writers of one PF across processes: flock() on
 * RUN_DIR/pf-SSSS:BB:DD.F.lock.  Held around every read-modify-write;
 * a tool that changes several registers as one step takes it itself.
 */
int pvvf_pf_sysfs_lock(struct pvvf_pf_sysfs *pf);
void pvvf_pf_sysfs_unlock(struct pvvf_pf_sysfs *pf);

#endif /* PVVF_HOST_PF_SYSFS_H */
