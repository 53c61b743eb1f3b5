/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvvf: shared state of the guest driver's files.
 *
 * Lock order, outermost first:
 *   pvvf_devs_lock > pvvf_dev.table_lock > pvvf_vf.op_lock > pvvf_vf.lock
 *   > pvvf_req_pool.lock
 * Consumer notifiers run with at most table_lock held, and the consumer
 * API never takes table_lock, so a notifier may call the API.
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

#define PVVF_REQ_POOL_MAX	64	/* request slots per device */
#define PVVF_EVT_BUFS_MAX	64	/* eventq buffers per device */
#define PVVF_POLL_US		20000	/* bound of the non-sleeping path */

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
};

/* One VF slot of a device, as the last GET_VF described it. */
struct pvvf_slot {
	bool valid;			/* @desc parsed and may be attached */
	bool refused;			/* refusal logged; never attach */
	bool pf_gone;			/* its PF was removed: not before a reset */
	struct pvvf_vf_desc desc;
	struct pvvf_vf *vf;		/* attached VF, or NULL */
};

struct pvvf_dev {
	struct virtio_device *vdev;
	struct virtqueue *req_vq;
	struct virtqueue *evt_vq;
	struct pvvf_req_pool pool;
	spinlock_t evt_lock;		/* @evt_vq */
	struct virtio_pvvf_event *evt_bufs;
	unsigned int nr_evt;
	struct work_struct evt_work;
	struct delayed_work scan_work;
	struct mutex table_lock;	/* @slots, @num_vfs, attach/detach */
	struct pvvf_slot *slots;	/* VIRTIO_PVVF_MAX_VFS entries */
	u16 num_vfs;
	bool allow_reuse;		/* after a reset slots may change */
	bool removing;
	u64 opcodes;			/* supported, as BIT_ULL(opcode) */
	bool has_pasid;
	bool has_pri;
	bool has_cap_offset;
	unsigned long evt_logged;	/* unknown event types logged once */
	struct list_head node;		/* in pvvf_devs, under pvvf_devs_lock */
};

/* virtio.c */
int pvvf_dev_request(struct pvvf_dev *pv, struct pvvf_req *req);
int pvvf_dev_request_poll(struct pvvf_dev *pv, struct pvvf_req *req);
int pvvf_dev_read_config(struct pvvf_dev *pv, struct pvvf_config *cfg);
unsigned long pvvf_dev_timeout(void);

/* vf.c */
extern struct mutex pvvf_devs_lock;
extern struct list_head pvvf_devs;
void pvvf_vf_scan(struct pvvf_dev *pv);
void pvvf_vf_detach_all(struct pvvf_dev *pv);
#define PVVF_LOST_PASID		BIT(0)
#define PVVF_LOST_PRI		BIT(1)
int pvvf_vf_sync(struct pvvf_dev *pv, struct pvvf_vf *vf, unsigned int *lost);
void pvvf_vf_notify_lost(struct pvvf_vf *vf, unsigned int lost);
bool pvvf_vf_confirm_stopped(struct pvvf_dev *pv, struct pvvf_vf *vf);
void pvvf_vf_event(struct pvvf_dev *pv, const struct pvvf_event *evt);
struct pvvf_vf *pvvf_vf_get(struct pci_dev *pdev);
void pvvf_vf_put(struct pvvf_vf *vf);
int pvvf_vf_bus_register(void);
void pvvf_vf_bus_unregister(void);

/* api.c */
void pvvf_notify(enum pvvf_event_type type, struct pci_dev *pdev);

/* sysfs.c */
extern const struct attribute_group pvvf_vf_group;

#endif /* _PVVF_INTERNAL_H */
