/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvvf: shared state of the guest driver's files.
 *
 * Lock order, outermost first:
 *   pci_lock_rescan_remove() > pvvf_devs_lock > pvvf_dev.table_lock
 *   > pvvf_vf.op_lock > pvvf_vf.lock > pvvf_req_pool.lock
 *   pvvf_notice_lock nests inside none of them and takes nothing else.
 * The PCI core holds the rescan lock around device_add()/device_del() when
 * it calls the bus notifier; the attach work takes it before table_lock so
 * that no VF is attached between a device_del()'s BUS_NOTIFY_DEL_DEVICE and
 * its removal from the bus.  Work that pvvf_quiesce() waits for never takes
 * the rescan lock: the virtio device may be removed under it.
 *
 * Consumer notifiers run with no pvvf lock held: what is found under a lock
 * is collected in a notice batch (pvvf_notice_add()) and delivered after
 * unlocking (pvvf_notice_flush()), in order per VF.  A notifier may call the
 * API, and may remove the VF.
 */
#ifndef _PVVF_INTERNAL_H
#define _PVVF_INTERNAL_H

#include <linux/bits.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pvvf.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "order.h"
#include "proto.h"
#include "req.h"

struct pci_dev;
struct virtio_device;
struct virtqueue;
struct pvvf_dev;
struct pvvf_cfg_view;

#define PVVF_REQ_POOL_MAX	64	/* request slots per device */
#define PVVF_EVT_BUFS_MAX	64	/* eventq buffers per device */
#define PVVF_POLL_US		20000	/* bound of the non-sleeping path */
#define PVVF_STOP_POLL_MS	100	/* pvvf_pri_wait_stopped() re-asks */

/* One attached VF.  Freed by RCU after its last reference. */
struct pvvf_vf {
	struct kref ref;
	struct rcu_head rcu;
	struct pci_dev *pdev;		/* referenced while the vf lives */
	u32 slot;
	struct mutex op_lock;		/* one operation at a time; @pv */
	struct pvvf_dev *pv;		/* NULL once detached */
	spinlock_t lock;		/* @order, @desc */
	struct pvvf_order order;
	struct pvvf_vf_desc desc;
	wait_queue_head_t stop_wq;	/* PRI stopped, or detached */
	bool report_ats;		/* ATS_SET due before GET_STATE; @op_lock */
	/* Notices not yet delivered, under pvvf_notice_lock. */
	unsigned long notices;		/* BIT(enum pvvf_event_type) */
	bool notifying;			/* a thread is delivering @notices */
	struct list_head notice_node;	/* in a batch, with a reference */
	u16 cap_offset;			/* synthesized capabilities, 0: none */
};

/* One VF slot of a device, as the last GET_VF described it. */
struct pvvf_slot {
	bool valid;			/* @desc parsed and may be attached */
	bool refused;			/* refusal logged; never attach */
	bool pf_gone;			/* its PF was removed: not before a reset */
	struct pvvf_vf_desc desc;
	struct pvvf_vf *vf;		/* attached VF, or NULL */
	struct pvvf_cfg_view *view;	/* transparent mode's, or NULL */
	bool tp_said;			/* why it has none: logged */
	bool tp_pend_said;		/* no pending view: logged */
};

/* Freed after remove() and the last attach work: see pvvf_dev_put(). */
struct pvvf_dev {
	struct kref ref;
	struct virtio_device *vdev;
	struct virtqueue *req_vq;
	struct virtqueue *evt_vq;
	struct pvvf_req_pool pool;
	spinlock_t evt_lock;		/* @evt_vq */
	struct virtio_pvvf_event *evt_bufs;
	unsigned int nr_evt;
	struct work_struct evt_work;
	struct delayed_work scan_work;
	struct work_struct attach_work;	/* holds a reference while queued */
	struct mutex table_lock;	/* @slots, @num_vfs, attach/detach */
	struct pvvf_slot *slots;	/* VIRTIO_PVVF_MAX_VFS entries */
	u16 num_vfs;			/* slots in use */
	u16 num_vfs_limit;		/* lowered by a shrink, until reset */
	bool range_logged;		/* an out-of-range event was logged */
	bool allow_reuse;		/* after a reset slots may change */
	bool removing;			/* quiesced: before start, frozen, removed */
	u64 opcodes;			/* supported, as BIT_ULL(opcode) */
	bool has_pasid;
	bool has_pri;
	bool has_cap_offset;
	unsigned long evt_logged;	/* unknown event types logged once */
	struct list_head node;		/* in pvvf_devs, under pvvf_devs_lock */
};

/* virtio.c */
extern struct workqueue_struct *pvvf_wq;
void pvvf_dev_put(struct pvvf_dev *pv);
void pvvf_dev_queue_scan(struct pvvf_dev *pv);
void pvvf_dev_queue_attach(struct pvvf_dev *pv);
int pvvf_dev_request(struct pvvf_dev *pv, struct pvvf_req *req);
int pvvf_dev_request_poll(struct pvvf_dev *pv, struct pvvf_req *req);
int pvvf_dev_read_config(struct pvvf_dev *pv, struct pvvf_config *cfg);
unsigned long pvvf_dev_timeout(void);

/* vf.c */
extern struct mutex pvvf_devs_lock;
extern struct list_head pvvf_devs;
void pvvf_vf_scan(struct pvvf_dev *pv);
void pvvf_vf_attach_all(struct pvvf_dev *pv);
void pvvf_vf_detach_all(struct pvvf_dev *pv);
bool pvvf_vf_refresh_num_vfs(struct pvvf_dev *pv);
/* Revocations found by a read-back, as notice bits. */
#define PVVF_LOST_PASID		BIT(PVVF_EVENT_PASID_REVOKED)
#define PVVF_LOST_PRI		BIT(PVVF_EVENT_PRI_REVOKED)
int pvvf_vf_sync(struct pvvf_dev *pv, struct pvvf_vf *vf, unsigned int *lost);
void pvvf_vf_notify_lost(struct pvvf_vf *vf, unsigned int lost);
void pvvf_vf_read_back(struct pvvf_vf *vf);
bool pvvf_vf_confirm_stopped(struct pvvf_dev *pv, struct pvvf_vf *vf,
			     unsigned int *lost);
void pvvf_vf_event(struct pvvf_dev *pv, const struct pvvf_event *evt);
int pvvf_vf_ack(struct pvvf_dev *pv, u32 seq);
struct pvvf_vf *pvvf_vf_get(struct pci_dev *pdev);
void pvvf_vf_put(struct pvvf_vf *vf);
bool pvvf_pdev_ats_enabled(struct pci_dev *pdev);
void pvvf_order_caps_of(struct pvvf_dev *pv, const struct pvvf_vf_desc *d,
			struct pvvf_order_caps *caps);
int pvvf_vf_bus_register(void);
void pvvf_vf_bus_unregister(void);

/* api.c */
void pvvf_notify(enum pvvf_event_type type, struct pci_dev *pdev);
void pvvf_notice_add(struct list_head *batch, struct pvvf_vf *vf,
		     unsigned long notices);
void pvvf_notice_flush(struct list_head *batch);

/* transparent.c */
void pvvf_tp_attach(struct pvvf_dev *pv, struct pvvf_vf *vf);
void pvvf_tp_detach(struct pvvf_dev *pv, struct pvvf_vf *vf);
void pvvf_tp_drop(struct pvvf_dev *pv, u32 slot);
void pvvf_tp_pend(struct pvvf_dev *pv, u32 slot);
void pvvf_tp_added(struct pci_dev *pdev);

/* sysfs.c */
extern const struct attribute_group pvvf_vf_group;

#endif /* _PVVF_INTERNAL_H */
