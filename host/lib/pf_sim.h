/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Simulated PF: the default PF back-end of the pvvf core.
 *
 * A device model with a real configuration-space image (built with
 * <linux/pci_regs.h>): the PF has PCIe, SR-IOV, ATS, PRI and PASID
 * capabilities, each of its N VFs a PCIe and an ATS capability.  It
 * enforces the PCIe rules itself and records every violation, so a test
 * catches a core that breaks them.  It generates page requests per VF
 * (seeded, deterministic) that complete after a configurable delay or when
 * answered.
 *
 * Use it with pvvf_core_add_pf(core, &pvvf_pf_sim_ops, sim, id, &pf).
 * The controls below act as the host would, behind pvvf's back; they
 * notify the core through the bound function.
 */
#ifndef PVVF_HOST_PF_SIM_H
#define PVVF_HOST_PF_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pf.h"

struct pvvf_pf_sim;

struct pvvf_pf_sim_params {
	uint16_t num_vfs;		/* 1..4096 */
	bool pasid;
	uint8_t pasid_max_width;
	uint8_t pasid_features;		/* PCI_PASID_CAP_EXEC|PRIV */
	bool pri;
	uint32_t pri_capacity;
	bool pri_pasid_required;
	uint8_t ats_stu;		/* page shift, >= 12 */
	uint64_t prq_delay_ns;		/* page request completion delay */
	uint64_t seed;			/* page request generator */
};

/* Rules the simulated PF checks on every write (PCIe section in brackets). */
enum pvvf_pf_sim_rule {
	PVVF_SIM_PASID_UNDER_ATS,	/* PASID Control changed, ATS on (7.8.9.3) */
	PVVF_SIM_PRI_ALLOC_ENABLED,	/* allocation written while enabled (10.5.2.5) */
	PVVF_SIM_PRI_RESET_ENABLED,	/* PRI Reset while enabled (10.5.2.2) */
	PVVF_SIM_PRI_OVERCOMMIT,	/* VF gates sum above the PF allocation */
	PVVF_SIM_PRI_ENABLE_NO_ALLOC,	/* PRI enabled with allocation 0 */
	PVVF_SIM_VF_ATS_STU,		/* VF ATS enabled with STU != PF's (10.5.1.3) */
	PVVF_SIM_AFTER_REMOVE,		/* op called after removal */
	PVVF_SIM_RULE_COUNT,
};

struct pvvf_pf_sim_stats {
	uint32_t violations[PVVF_SIM_RULE_COUNT];	/* by the core (ops) */
	uint32_t host_violations;	/* by the host controls (expected) */
	uint64_t prq_issued;
	uint64_t prq_completed;		/* by delay or pvvf_pf_sim_complete */
	uint64_t prq_aborted;		/* answered by vf_pri_abort */
	uint64_t prq_refused;		/* gate closed or allocation full */
	uint64_t resets;
};

extern const struct pvvf_pf_ops pvvf_pf_sim_ops;

void pvvf_pf_sim_params_default(struct pvvf_pf_sim_params *p);
/* A PF at power-on whose state lives in memory; NULL for bad parameters. */
struct pvvf_pf_sim *pvvf_pf_sim_create(const struct pvvf_pf_sim_params *p);
/*
 * A PF whose state (registers, per-VF gates and faults, outstanding page
 * requests) lives in the file @state_path, mapped shared, so it outlives
 * the process as hardware outlives a crashed daemon.  An existing file is
 * checked like hostile input; if it is valid for these parameters the PF
 * continues from it (*@restored = 1), else it powers on afresh over it
 * (*@restored = 0, @why says why when a file was refused).  NULL on bad
 * parameters or an I/O error (@why says which).  @state_path NULL is
 * pvvf_pf_sim_create().
 */
struct pvvf_pf_sim *pvvf_pf_sim_open(const struct pvvf_pf_sim_params *p,
				     const char *state_path, int *restored,
				     char *why, size_t why_len);
void pvvf_pf_sim_destroy(struct pvvf_pf_sim *sim);

/* ---- Page requests ---- */

/* Issue up to @n page requests from VF @vf at @now_ns; returns how many. */
uint32_t pvvf_pf_sim_inject(struct pvvf_pf_sim *sim, uint16_t vf, uint32_t n,
			    uint64_t now_ns);
/* Issue @n page requests from seeded random VFs; returns how many. */
uint32_t pvvf_pf_sim_inject_random(struct pvvf_pf_sim *sim, uint32_t n,
				   uint64_t now_ns);
/* Answer the @n oldest outstanding requests of @vf; returns how many. */
uint32_t pvvf_pf_sim_complete(struct pvvf_pf_sim *sim, uint16_t vf, uint32_t n);
/* The VF received a PRG Response failure / unexpected index (10.5.2.3). */
void pvvf_pf_sim_vf_pri_fault(struct pvvf_pf_sim *sim, uint16_t vf, uint16_t bits);

/* ---- Host actions behind pvvf's back ---- */

/* Host writes the PF's PASID Control (Enable + EXEC/PRIV). */
void pvvf_pf_sim_host_pasid(struct pvvf_pf_sim *sim, bool enable, uint8_t features);
/* Host clears the PF's PRI Enable. */
void pvvf_pf_sim_host_pri_disable(struct pvvf_pf_sim *sim);
/* Host uses the PF's PRI itself: sets the allocation, then Enable. */
void pvvf_pf_sim_host_pri_enable(struct pvvf_pf_sim *sim, uint32_t alloc);
/* Host sets the PF's own ATS Enable. */
void pvvf_pf_sim_host_ats(struct pvvf_pf_sim *sim, bool enable);
/* Host asks for a PF reset (the core runs it after the guests acked). */
void pvvf_pf_sim_request_reset(struct pvvf_pf_sim *sim);
/* Host asks for a reset (FLR) of one VF (the core runs it after the ack). */
void pvvf_pf_sim_request_vf_reset(struct pvvf_pf_sim *sim, uint16_t vf);
/* Surprise removal of the PF. */
void pvvf_pf_sim_remove(struct pvvf_pf_sim *sim);

/* ---- Observation ---- */

const struct pvvf_pf_sim_stats *pvvf_pf_sim_stats(const struct pvvf_pf_sim *sim);
uint32_t pvvf_pf_sim_violation_count(const struct pvvf_pf_sim *sim);
/* The last violation, as text ("" if none). */
const char *pvvf_pf_sim_last_violation(const struct pvvf_pf_sim *sim);
/* Read @size (1, 2, 4) bytes of config space; @vf < 0 is the PF. */
uint32_t pvvf_pf_sim_cfg_read(const struct pvvf_pf_sim *sim, int vf,
			      uint16_t off, int size);
/* Offsets of the PF's capabilities, and the first free VF offset. */
uint16_t pvvf_pf_sim_cap(const struct pvvf_pf_sim *sim, uint16_t ext_cap_id);
uint16_t pvvf_pf_sim_vf_free_offset(const struct pvvf_pf_sim *sim);
uint32_t pvvf_pf_sim_outstanding(const struct pvvf_pf_sim *sim, uint16_t vf);

#endif /* PVVF_HOST_PF_SIM_H */
