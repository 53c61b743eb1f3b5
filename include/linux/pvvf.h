/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvvf: paravirtual SR-IOV VF awareness - the consumer API.
 *
 * A guest PCI function that pvvf attached is an SR-IOV Virtual Function of a
 * Physical Function the guest cannot see.  Its PASID and PRI live in the PF
 * and are shared with other VFs, possibly of other guests; the host
 * arbitrates them.  These calls are how a driver of such a VF uses them, the
 * way pci_enable_pasid() and pci_enable_pri() are used on bare metal.
 *
 * Lifetime: every call takes the VF's pci_dev, which the caller holds a
 * reference to.  pvvf never dereferences a VF it has detached; once a VF is
 * detached (its pvvf device went away, the VF was removed, or its PF was
 * removed) every call on it fails with -ENODEV and PVVF_EVENT_DETACHED is
 * sent.  A driver bound to the VF is unbound before its pvvf device goes
 * (a device link), so it never sees the pvvf device disappear under it.
 * Calling an export pins the pvvf module; a consumer module that links to
 * these symbols keeps pvvf loaded until it unloads.
 */
#ifndef _LINUX_PVVF_H
#define _LINUX_PVVF_H

#include <linux/notifier.h>
#include <linux/types.h>

struct pci_dev;

/**
 * struct pvvf_vf_info - what pvvf knows about a VF
 * @pf_id: opaque identity of the PF; equal values mean the same PF
 * @vf_index: the VF's number within its PF, from 0
 * @slot: pvvf's handle for the VF (the device's VF slot)
 * @pasid_supported: the PF has a PASID capability the host lets it use
 * @pasid_max_width: the PF's Max PASID Width
 * @pasid_features_supported: PCI_PASID_CAP_EXEC / PCI_PASID_CAP_PRIV
 * @pri_supported: the PF has a PRI capability the host lets it use
 * @pri_capacity: the PF's outstanding page request capacity
 * @pri_pasid_required: PRG responses need a PASID
 * @ats_supported: the VF has its own ATS capability
 * @pf_ats_stu: the PF's ATS STU as a page shift; 0 if PF ATS is disabled
 * @ats_enabled: the VF's ATS is enabled (as reported to the host)
 * @pasid_enabled: PASID is enabled for the VF
 * @pasid_features: the enabled PASID features
 * @pri_enabled: PRI is enabled for the VF
 * @pri_alloc: the VF's outstanding page request allocation
 * @pri_stopped: PRI is disabled and no page request is outstanding
 * @pasid_revoked: the host took PASID away; disable to acknowledge
 * @pri_revoked: the host took PRI away; disable to acknowledge
 * @reset_pending: a PF or VF reset is in progress
 */
struct pvvf_vf_info {
	u64 pf_id;
	u16 vf_index;
	u16 slot;
	bool pasid_supported;
	u8 pasid_max_width;
	u8 pasid_features_supported;
	bool pri_supported;
	u32 pri_capacity;
	bool pri_pasid_required;
	bool ats_supported;
	u8 pf_ats_stu;
	bool ats_enabled;
	bool pasid_enabled;
	u8 pasid_features;
	bool pri_enabled;
	u32 pri_alloc;
	bool pri_stopped;
	bool pasid_revoked;
	bool pri_revoked;
	bool reset_pending;
};

/*
 * Notifier actions.  The notifier data is the VF's struct pci_dev, valid for
 * the duration of the call.  Callbacks may sleep; they run in process
 * context with no pvvf lock held, so they may call the API below and may
 * remove the VF.  A VF's events arrive one at a time and in order: ATTACHED
 * first, DETACHED last.  When the VF itself is being removed, DETACHED comes
 * from within its device_del().
 */
enum pvvf_event_type {
	PVVF_EVENT_ATTACHED,		/* pvvf knows the function is a VF */
	PVVF_EVENT_DETACHED,		/* every later call returns -ENODEV */
	PVVF_EVENT_PASID_REVOKED,	/* the host disabled PASID for the VF */
	PVVF_EVENT_PRI_REVOKED,		/* the host disabled PRI for the VF */
	PVVF_EVENT_PF_RESET_BEGIN,	/* quiesce now; the reset waits */
	PVVF_EVENT_PF_RESET_DONE,
	PVVF_EVENT_VF_RESET_BEGIN,	/* quiesce now; the reset waits */
	PVVF_EVENT_VF_RESET_DONE,
	PVVF_EVENT_PRI_STOPPED,		/* no page request outstanding */
	PVVF_EVENT_PF_REMOVED,		/* the PF is gone: detached next */
};

bool pvvf_is_vf(struct pci_dev *pdev);
int pvvf_get_info(struct pci_dev *pdev, struct pvvf_vf_info *info);
int pvvf_ping(struct pci_dev *pdev);

int pvvf_ats_enable(struct pci_dev *pdev, int ps);
int pvvf_ats_disable(struct pci_dev *pdev);

int pvvf_pasid_enable(struct pci_dev *pdev, int features);
int pvvf_pasid_disable(struct pci_dev *pdev);

int pvvf_pri_enable(struct pci_dev *pdev, u32 reqs);
int pvvf_pri_disable(struct pci_dev *pdev);
int pvvf_pri_reset(struct pci_dev *pdev);
int pvvf_pri_wait_stopped(struct pci_dev *pdev, unsigned int timeout_ms);

int pvvf_register_notifier(struct notifier_block *nb);
int pvvf_unregister_notifier(struct notifier_block *nb);

#endif /* _LINUX_PVVF_H */
