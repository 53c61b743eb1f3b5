/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PF access interface of the pvvf arbitration core.
 *
 * The core never touches a device itself: everything it reads from or
 * writes to a Physical Function (and the VFs of it) goes through one of
 * these ops.  Two back-ends implement them: the simulated PF (pf_sim.h), the
 * default, and real PFs through sysfs config space.
 *
 * Register values use the layouts of <linux/pci_regs.h>: a PASID Control
 * value is PCI_PASID_CTRL_*, a PRI Control value PCI_PRI_CTRL_*.  A VF index
 * is the 0-based VF number within its PF (PCIe calls it VF n+1).
 *
 * Every op returns 0 or a negative errno; -EIO means the PF's configuration
 * space could not be accessed.  Ops are called from the core's single
 * thread only, never after the back-end reported PVVF_PF_NOTE_REMOVED.
 */
#ifndef PVVF_HOST_PF_H
#define PVVF_HOST_PF_H

#include <stdbool.h>
#include <stdint.h>

/* What the PF offers, read once when the PF is registered. */
struct pvvf_pf_caps {
	uint16_t num_vfs;		/* SR-IOV NumVFs */
	bool pasid;			/* PASID Extended Capability (7.8.9) */
	uint8_t pasid_max_width;	/* Max PASID Width, 0..20 */
	uint8_t pasid_features;		/* PCI_PASID_CAP_EXEC|PRIV supported */
	bool pri;			/* Page Request Extended Capability (10.5.2) */
	uint32_t pri_capacity;		/* Outstanding Page Request Capacity */
	bool pri_pasid_required;	/* PRG Response PASID Required */
	uint8_t ats_stu;		/* PF's STU as a page shift (12 + field), 0: no ATS */
	bool vf_ats;			/* every VF has its own ATS capability */
};

/*
 * Things the back-end tells the core, through the function given to
 * pvvf_pf_ops.bind.  @vf_index is meaningful for the VF notes only.
 */
enum pvvf_pf_note {
	PVVF_PF_NOTE_PRQ_DONE,	/* page requests of @vf_index completed */
	PVVF_PF_NOTE_PRI_FAULT,	/* @vf_index got RF/UPRGI: read vf_pri_faults */
	PVVF_PF_NOTE_PASID,	/* PF PASID Control changed by someone else */
	PVVF_PF_NOTE_PRI,	/* PF PRI Control changed by someone else */
	PVVF_PF_NOTE_ATS,	/* ATS Enable of the PF or a VF changed by someone else */
	PVVF_PF_NOTE_RESET_REQ,	/* the host asks for a PF reset */
	PVVF_PF_NOTE_REMOVED,	/* the PF is gone; no op may be called again */
	PVVF_PF_NOTE_VF_RESET_REQ, /* the host asks for a reset of @vf_index */
};

typedef void pvvf_pf_notify_fn(void *cookie, enum pvvf_pf_note note,
			       uint16_t vf_index);

struct pvvf_pf_ops {
	int (*caps)(void *ctx, struct pvvf_pf_caps *caps);
	/* Register (fn, cookie) for notes; fn == NULL unbinds. */
	void (*bind)(void *ctx, pvvf_pf_notify_fn *fn, void *cookie);

	/* PASID Control of the PF (PCIe 7.8.9.3) */
	int (*pasid_ctrl_read)(void *ctx, uint16_t *ctrl);
	int (*pasid_ctrl_write)(void *ctx, uint16_t ctrl);

	/* true if the PF or any of its VFs has ATS Enable set (10.5.1.3) */
	bool (*ats_any)(void *ctx);
	/*
	 * A guest reported its VF's ATS Control (virtio ATS_SET).  The
	 * simulated PF models the guest's write; a real back-end cross-checks
	 * the VF's register and returns -EINVAL on a mismatch.  @stu is the
	 * STU field (0..31), as the guest wrote it.
	 */
	int (*vf_ats_sync)(void *ctx, uint16_t vf_index, bool enable, uint8_t stu);

	/* PRI of the PF (PCIe 10.5.2): Control, Status, Allocation registers */
	int (*pri_ctrl_write)(void *ctx, uint16_t ctrl);
	int (*pri_read)(void *ctx, uint16_t *ctrl, uint16_t *status);
	int (*pri_alloc_write)(void *ctx, uint32_t alloc);

	/*
	 * Per-VF page request gate (what VT-d does in the VF's context entry):
	 * the VF may have at most @alloc page requests outstanding; 0 closes
	 * the gate, outstanding requests still complete.
	 */
	int (*vf_pri_gate)(void *ctx, uint16_t vf_index, uint32_t alloc);
	uint32_t (*vf_pri_outstanding)(void *ctx, uint16_t vf_index);
	/* Answer every outstanding page request of the VF (drain deadline). */
	int (*vf_pri_abort)(void *ctx, uint16_t vf_index);
	/* Read and clear the VF's PCI_PRI_STATUS_RF|UPRGI events. */
	uint16_t (*vf_pri_faults)(void *ctx, uint16_t vf_index);

	/* Reset the PF (and with it every VF), as a Function Level Reset. */
	int (*reset)(void *ctx);

	/*
	 * Advance the back-end's own time (page request completions); notes
	 * may be delivered from here.  Returns its next deadline in ns,
	 * UINT64_MAX for none.
	 */
	uint64_t (*poll)(void *ctx, uint64_t now_ns);
};

#endif /* PVVF_HOST_PF_H */
