// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf: the virtio_pvvf driver - probe, remove, freeze/restore, the two
 * virtqueues and the one path every request takes.
 */
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pvvf.h>

#include "internal.h"

struct workqueue_struct *pvvf_wq;	/* the attach work */

static unsigned int timeout_ms = 2000;
module_param(timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "How long a request may sleep for its reply (ms)");

unsigned long pvvf_dev_timeout(void)
{
	return msecs_to_jiffies(clamp(READ_ONCE(timeout_ms), 10U, 60000U));
}

/* ---- the requestq, as the request engine's ring ---- */

static int pvvf_vq_add(void *ctx, void *token, void *out, unsigned int out_len,
		       void *in, unsigned int in_len)
{
	struct pvvf_dev *pv = ctx;
	struct scatterlist sg_out, sg_in, *sgs[] = { &sg_out, &sg_in };

	sg_init_one(&sg_out, out, out_len);
	sg_init_one(&sg_in, in, in_len);
	return virtqueue_add_sgs(pv->req_vq, sgs, 1, 1, token, GFP_ATOMIC);
}

static bool pvvf_vq_kick_prepare(void *ctx)
{
	struct pvvf_dev *pv = ctx;

	return virtqueue_kick_prepare(pv->req_vq);
}

static void *pvvf_vq_get_buf(void *ctx, unsigned int *len)
{
	struct pvvf_dev *pv = ctx;

	return virtqueue_get_buf(pv->req_vq, len);
}

static void pvvf_vq_notify(void *ctx)
{
	struct pvvf_dev *pv = ctx;

	virtqueue_notify(pv->req_vq);
}

static const struct pvvf_xport_ops pvvf_vq_ops = {
	.add = pvvf_vq_add,
	.kick_prepare = pvvf_vq_kick_prepare,
	.get_buf = pvvf_vq_get_buf,
	.notify = pvvf_vq_notify,
};

static void pvvf_req_vq_done(struct virtqueue *vq)
{
	struct pvvf_dev *pv = vq->vdev->priv;

	pvvf_req_complete(&pv->pool);
}

/**
 * pvvf_dev_request() - the sleeping request path
 * @pv: the device
 * @req: the request
 *
 * Context: process context; sleeps at most the timeout_ms parameter.
 * Return: 0 or a negative errno (see pvvf_req_submit()).
 */
int pvvf_dev_request(struct pvvf_dev *pv, struct pvvf_req *req)
{
	return pvvf_req_submit(&pv->pool, req, pvvf_dev_timeout());
}

/**
 * pvvf_dev_request_poll() - the non-sleeping request path
 * @pv: the device
 * @req: the request
 *
 * For callers that cannot sleep (config-space accessors run under the raw
 * pci_lock).  Busy-polls at most PVVF_POLL_US.
 * Return: 0 or a negative errno (see pvvf_req_submit_poll()).
 */
int pvvf_dev_request_poll(struct pvvf_dev *pv, struct pvvf_req *req)
{
	return pvvf_req_submit_poll(&pv->pool, req, PVVF_POLL_US);
}

/* docs/spec.md 5.2: read inside a config generation loop. */
int pvvf_dev_read_config(struct pvvf_dev *pv, struct pvvf_config *cfg)
{
	struct virtio_pvvf_config raw;

	virtio_cread_bytes(pv->vdev, 0, &raw, sizeof(raw));
	return pvvf_proto_parse_config(&raw, cfg);
}

/* ---- the eventq ---- */

static int pvvf_evt_post(struct pvvf_dev *pv, struct virtio_pvvf_event *buf)
{
	struct scatterlist sg;

	sg_init_one(&sg, buf, sizeof(*buf));
	return virtqueue_add_inbuf(pv->evt_vq, &sg, 1, buf, GFP_ATOMIC);
}

/* After DRIVER_OK: the device is notified. */
static int pvvf_evt_post_all(struct pvvf_dev *pv)
{
	unsigned int i;
	int err = 0;

	spin_lock_irq(&pv->evt_lock);
	for (i = 0; i < pv->nr_evt && !err; i++)
		err = pvvf_evt_post(pv, &pv->evt_bufs[i]);
	if (!err)
		virtqueue_kick(pv->evt_vq);
	spin_unlock_irq(&pv->evt_lock);
	return err;
}

static void pvvf_evt_vq_done(struct virtqueue *vq)
{
	struct pvvf_dev *pv = vq->vdev->priv;
	unsigned long flags;

	/*
	 * Under evt_lock so that pvvf_quiesce(), which sets removing under the
	 * same lock before cancelling, cannot miss work queued from here.
	 */
	spin_lock_irqsave(&pv->evt_lock, flags);
	if (!pv->removing)
		schedule_work(&pv->evt_work);
	spin_unlock_irqrestore(&pv->evt_lock, flags);
}

/* Take one event: copy it out, give the buffer back, then parse the copy. */
static bool pvvf_evt_take(struct pvvf_dev *pv, u8 *copy, unsigned int *len)
{
	struct virtio_pvvf_event *buf;
	unsigned long off;

	spin_lock_irq(&pv->evt_lock);
	buf = virtqueue_get_buf(pv->evt_vq, len);
	if (buf) {
		off = (unsigned long)buf - (unsigned long)pv->evt_bufs;
		if (off % sizeof(*buf) || off / sizeof(*buf) >= pv->nr_evt) {
			spin_unlock_irq(&pv->evt_lock);
			*len = 0;
			return true;
		}
		memcpy(copy, buf, sizeof(*buf));
		if (pvvf_evt_post(pv, buf))
			dev_warn_ratelimited(&pv->vdev->dev,
					     "cannot repost an event buffer\n");
		virtqueue_kick(pv->evt_vq);
	}
	spin_unlock_irq(&pv->evt_lock);
	return buf;
}

/*
 * An event for a slot beyond num_vfs may have overtaken the configuration
 * change that added the slot: re-read num_vfs once.  Return: the error of
 * parsing the event again.
 */
static int pvvf_evt_recheck(struct pvvf_dev *pv, const u8 *copy,
			    unsigned int len, struct pvvf_event *evt)
{
	if (evt->vf == VIRTIO_PVVF_VF_NONE ||
	    evt->vf < READ_ONCE(pv->num_vfs) ||
	    !pvvf_vf_refresh_num_vfs(pv))
		return -ERANGE;
	return pvvf_proto_parse_event(copy, len, READ_ONCE(pv->num_vfs), evt);
}

static void pvvf_evt_handle(struct pvvf_dev *pv, const u8 *copy,
			    unsigned int len)
{
	struct pvvf_event evt;
	u16 type;
	int err;

	err = pvvf_proto_parse_event(copy, len, READ_ONCE(pv->num_vfs), &evt);
	if (err == -ERANGE)
		err = pvvf_evt_recheck(pv, copy, len, &evt);
	if (err == -ERANGE) {
		/* docs/spec.md 6.9.3: ignored after logging; still acked. */
		if (!pv->range_logged)
			dev_warn(&pv->vdev->dev,
				 "ignoring event type %u for slot %u (num_vfs %u)\n",
				 evt.type, evt.vf, READ_ONCE(pv->num_vfs));
		pv->range_logged = true;
		if (evt.flags & VIRTIO_PVVF_EVT_F_ACK)
			pvvf_vf_ack(pv, evt.seq);
		return;
	}
	if (err == -EOPNOTSUPP) {
		type = le16_to_cpu(((const struct virtio_pvvf_event *)copy)->type);
		if (!test_and_set_bit(min_t(u16, type, BITS_PER_LONG - 1),
				      &pv->evt_logged))
			dev_info(&pv->vdev->dev,
				 "ignoring events of unknown type %u\n", type);
		return;
	}
	if (err) {
		/* Something changed and we cannot tell what: re-read all. */
		dev_warn_ratelimited(&pv->vdev->dev,
				     "malformed event (%d), resyncing\n", err);
		pvvf_dev_queue_scan(pv);
		return;
	}
	pvvf_vf_event(pv, &evt);
}

static void pvvf_evt_work(struct work_struct *work)
{
	struct pvvf_dev *pv = container_of(work, struct pvvf_dev, evt_work);
	u8 copy[sizeof(struct virtio_pvvf_event)];
	unsigned int len;

	while (!READ_ONCE(pv->removing) && pvvf_evt_take(pv, copy, &len))
		pvvf_evt_handle(pv, copy, len);
}

/**
 * pvvf_dev_queue_scan() - have the VF table and states read again, soon
 * @pv: the device
 *
 * Under evt_lock, like the eventq callback, so that nothing is queued once
 * pvvf_quiesce() cancelled the scan.
 */
void pvvf_dev_queue_scan(struct pvvf_dev *pv)
{
	unsigned long flags;

	spin_lock_irqsave(&pv->evt_lock, flags);
	if (!pv->removing)
		mod_delayed_work(system_wq, &pv->scan_work, 0);
	spin_unlock_irqrestore(&pv->evt_lock, flags);
}

/**
 * pvvf_dev_queue_attach() - have the attach work look for VFs
 * @pv: the device
 *
 * The attach work takes the PCI rescan lock, so pvvf_quiesce() cannot wait
 * for it; it holds a reference to @pv instead, and does nothing once
 * removing is set.
 */
void pvvf_dev_queue_attach(struct pvvf_dev *pv)
{
	unsigned long flags;

	spin_lock_irqsave(&pv->evt_lock, flags);
	if (!pv->removing && queue_work(pvvf_wq, &pv->attach_work))
		kref_get(&pv->ref);
	spin_unlock_irqrestore(&pv->evt_lock, flags);
}

static void pvvf_attach_work(struct work_struct *work)
{
	struct pvvf_dev *pv = container_of(work, struct pvvf_dev, attach_work);

	pvvf_vf_attach_all(pv);
	pvvf_dev_put(pv);
}

static void pvvf_config_changed(struct virtio_device *vdev)
{
	pvvf_dev_queue_scan(vdev->priv);
}

/*
 * The VF table is scanned from a work item, once the device is bound: the
 * device links to the VFs are only managed links (that unbind a VF's driver
 * before this device goes) if the supplier is bound when they are made.
 */
static void pvvf_scan_work(struct work_struct *work)
{
	struct pvvf_dev *pv = container_of(to_delayed_work(work),
					   struct pvvf_dev, scan_work);

	if (READ_ONCE(pv->removing))
		return;
	if (READ_ONCE(pv->vdev->dev.links.status) != DL_DEV_DRIVER_BOUND) {
		schedule_delayed_work(&pv->scan_work, 1);
		return;
	}
	pvvf_vf_scan(pv);
}

/* ---- virtqueue setup/teardown, shared by probe, remove, PM ---- */

/* Kbuild defines this when the kernel has struct virtqueue_info (6.11+). */
#ifdef PVVF_HAVE_VIRTQUEUE_INFO
static int pvvf_find_vqs(struct virtio_device *vdev, struct virtqueue **vqs)
{
	struct virtqueue_info info[VIRTIO_PVVF_NUM_VQS] = {
		[VIRTIO_PVVF_VQ_REQUEST] = { "request", pvvf_req_vq_done },
		[VIRTIO_PVVF_VQ_EVENT] = { "event", pvvf_evt_vq_done },
	};

	return virtio_find_vqs(vdev, VIRTIO_PVVF_NUM_VQS, vqs, info, NULL);
}
#else
static int pvvf_find_vqs(struct virtio_device *vdev, struct virtqueue **vqs)
{
	vq_callback_t *cbs[VIRTIO_PVVF_NUM_VQS] = {
		[VIRTIO_PVVF_VQ_REQUEST] = pvvf_req_vq_done,
		[VIRTIO_PVVF_VQ_EVENT] = pvvf_evt_vq_done,
	};
	static const char * const names[VIRTIO_PVVF_NUM_VQS] = {
		[VIRTIO_PVVF_VQ_REQUEST] = "request",
		[VIRTIO_PVVF_VQ_EVENT] = "event",
	};

	return virtio_find_vqs(vdev, VIRTIO_PVVF_NUM_VQS, vqs, cbs, names,
			       NULL);
}
#endif

static int pvvf_vqs_setup(struct pvvf_dev *pv)
{
	struct virtqueue *vqs[VIRTIO_PVVF_NUM_VQS];
	int err;

	err = pvvf_find_vqs(pv->vdev, vqs);
	if (err)
		return err;
	pv->req_vq = vqs[VIRTIO_PVVF_VQ_REQUEST];
	pv->evt_vq = vqs[VIRTIO_PVVF_VQ_EVENT];
	return 0;
}

/*
 * The device is reset: it owns no buffer any more.  The buffers it was
 * given are detached first, which unmaps them (VIRTIO_F_ACCESS_PLATFORM);
 * they belong to the request pool and evt_bufs, freed with those.
 */
static void pvvf_vqs_teardown(struct pvvf_dev *pv)
{
	while (virtqueue_detach_unused_buf(pv->req_vq))
		;
	while (virtqueue_detach_unused_buf(pv->evt_vq))
		;
	pv->vdev->config->del_vqs(pv->vdev);
	pv->req_vq = NULL;
	pv->evt_vq = NULL;
}

/*
 * A request takes two descriptors; with at most ring/2 slots the ring never
 * overflows, whatever the device does with the ones it owns.
 */
static unsigned int pvvf_pool_size(struct pvvf_dev *pv)
{
	return clamp(virtqueue_get_vring_size(pv->req_vq) / 2, 1U,
		     (unsigned int)PVVF_REQ_POOL_MAX);
}

/*
 * docs/spec.md 6.3: DRIVER_OK, then the event buffers, then requests.  No
 * buffer is added and no queue kicked before DRIVER_OK, as in virtio-input:
 * the request pool stays broken (every request fails at once) until then.
 * Until the pool works, removing stays set, so no work is queued: an event
 * that arrives meanwhile waits for the event work queued here, instead of
 * failing its EVENT_ACK.
 */
static int pvvf_start(struct pvvf_dev *pv)
{
	struct virtio_pvvf_resp_opcodes ops;
	struct pvvf_req req = {
		.opcode = VIRTIO_PVVF_OP_GET_OPCODES,
		.vf = VIRTIO_PVVF_VF_NONE, .reply = &ops,
	};
	int err;

	virtio_device_ready(pv->vdev);
	err = pvvf_evt_post_all(pv);
	if (err)
		return err;
	pvvf_req_unbreak(&pv->pool);
	spin_lock_irq(&pv->evt_lock);
	WRITE_ONCE(pv->removing, false);
	schedule_work(&pv->evt_work);
	spin_unlock_irq(&pv->evt_lock);

	err = pvvf_dev_request(pv, &req);
	if (!err)
		err = pvvf_proto_parse_opcodes(&ops, &pv->opcodes);
	if (err) {
		dev_err(&pv->vdev->dev, "GET_OPCODES failed or incomplete (%d)\n",
			err);
		return err;
	}
	pv->has_pasid = virtio_has_feature(pv->vdev, VIRTIO_PVVF_F_PASID);
	pv->has_pri = virtio_has_feature(pv->vdev, VIRTIO_PVVF_F_PRI);
	pv->has_cap_offset = virtio_has_feature(pv->vdev,
						VIRTIO_PVVF_F_CAP_OFFSET);
	pvvf_dev_queue_scan(pv);
	return 0;
}

static int pvvf_alloc(struct pvvf_dev *pv)
{
	int err;

	pv->slots = kvcalloc(VIRTIO_PVVF_MAX_VFS, sizeof(*pv->slots),
			     GFP_KERNEL);
	if (!pv->slots)
		return -ENOMEM;
	pv->nr_evt = min_t(unsigned int, virtqueue_get_vring_size(pv->evt_vq),
			   PVVF_EVT_BUFS_MAX);
	pv->evt_bufs = kcalloc(pv->nr_evt, sizeof(*pv->evt_bufs), GFP_KERNEL);
	if (!pv->evt_bufs)
		return -ENOMEM;
	err = pvvf_req_pool_init(&pv->pool, pvvf_pool_size(pv), &pvvf_vq_ops,
				 pv);
	/* No request before DRIVER_OK: pvvf_start() unbreaks it. */
	if (!err)
		pvvf_req_break(&pv->pool);
	return err;
}

static void pvvf_release(struct kref *ref)
{
	struct pvvf_dev *pv = container_of(ref, struct pvvf_dev, ref);

	kfree(pv->evt_bufs);
	kvfree(pv->slots);
	kfree(pv);
}

/* Drop a reference: remove()'s, or a queued attach work's. */
void pvvf_dev_put(struct pvvf_dev *pv)
{
	kref_put(&pv->ref, pvvf_release);
}

static void pvvf_init_state(struct pvvf_dev *pv, struct virtio_device *vdev)
{
	kref_init(&pv->ref);
	pv->removing = true;		/* until pvvf_start() */
	pv->vdev = vdev;
	vdev->priv = pv;
	spin_lock_init(&pv->evt_lock);
	mutex_init(&pv->table_lock);
	pv->num_vfs_limit = VIRTIO_PVVF_MAX_VFS;
	INIT_WORK(&pv->evt_work, pvvf_evt_work);
	INIT_DELAYED_WORK(&pv->scan_work, pvvf_scan_work);
	INIT_WORK(&pv->attach_work, pvvf_attach_work);
	INIT_LIST_HEAD(&pv->node);
}

/*
 * Stop everything that could send a request; fail every waiter.  The attach
 * work is not waited for (it takes the PCI rescan lock, which our caller
 * may hold): it sends no request and does nothing once removing is set.
 */
static void pvvf_quiesce(struct pvvf_dev *pv)
{
	spin_lock_irq(&pv->evt_lock);
	WRITE_ONCE(pv->removing, true);
	spin_unlock_irq(&pv->evt_lock);
	pvvf_req_break(&pv->pool);
	/* Event work can queue the scan; the scan never queues events. */
	cancel_work_sync(&pv->evt_work);
	cancel_delayed_work_sync(&pv->scan_work);
}

static int pvvf_probe(struct virtio_device *vdev)
{
	struct pvvf_dev *pv;
	int err;

	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "device lacks VIRTIO_F_VERSION_1\n");
		return -ENODEV;
	}
	pv = kzalloc(sizeof(*pv), GFP_KERNEL);
	if (!pv)
		return -ENOMEM;
	pvvf_init_state(pv, vdev);
	err = pvvf_vqs_setup(pv);
	if (err)
		goto err_free;
	err = pvvf_alloc(pv);
	if (err)
		goto err_vqs;
	mutex_lock(&pvvf_devs_lock);
	list_add_tail(&pv->node, &pvvf_devs);
	mutex_unlock(&pvvf_devs_lock);
	err = pvvf_start(pv);
	if (err)
		goto err_reset;
	return 0;

err_reset:
	pvvf_quiesce(pv);
	/* No VF is attached: the scan was never queued. */
	mutex_lock(&pvvf_devs_lock);
	list_del_init(&pv->node);
	mutex_unlock(&pvvf_devs_lock);
	virtio_reset_device(vdev);
	pvvf_req_pool_destroy(&pv->pool);
err_vqs:
	pvvf_vqs_teardown(pv);
	if (pv->pool.slots)
		pvvf_req_pool_destroy(&pv->pool);
err_free:
	pvvf_dev_put(pv);
	return err;
}

/*
 * VFs are detached while the device is still in pvvf_devs, so the bus
 * notifier detaches one removed meanwhile; after list_del no VF is left.
 * Callers of the request engine leave (pvvf_req_pool_destroy()) before the
 * virtqueues go.
 */
static void pvvf_remove(struct virtio_device *vdev)
{
	struct pvvf_dev *pv = vdev->priv;

	virtio_break_device(vdev);
	pvvf_quiesce(pv);
	pvvf_vf_detach_all(pv);
	mutex_lock(&pvvf_devs_lock);
	list_del_init(&pv->node);
	mutex_unlock(&pvvf_devs_lock);
	virtio_reset_device(vdev);
	pvvf_req_pool_destroy(&pv->pool);
	pvvf_vqs_teardown(pv);
	pvvf_dev_put(pv);
}

#ifdef CONFIG_PM_SLEEP
static int pvvf_freeze(struct virtio_device *vdev)
{
	struct pvvf_dev *pv = vdev->priv;

	pvvf_quiesce(pv);
	virtio_reset_device(vdev);
	pvvf_req_pool_reset(&pv->pool);
	pvvf_vqs_teardown(pv);
	return 0;
}

/* The device was reset: re-read the VF table and every VF's state. */
static int pvvf_restore(struct virtio_device *vdev)
{
	struct pvvf_dev *pv = vdev->priv;
	int err;

	err = pvvf_vqs_setup(pv);
	if (err)
		return err;
	mutex_lock(&pv->table_lock);
	pv->allow_reuse = true;
	mutex_unlock(&pv->table_lock);
	err = pvvf_start(pv);
	if (err) {
		pvvf_quiesce(pv);
		virtio_reset_device(vdev);
		pvvf_req_pool_reset(&pv->pool);
		pvvf_vqs_teardown(pv);
	}
	return err;
}
#endif

static const struct virtio_device_id pvvf_id_table[] = {
	{ VIRTIO_ID_PVVF, VIRTIO_DEV_ANY_ID },
	{}
};
MODULE_DEVICE_TABLE(virtio, pvvf_id_table);

static const unsigned int pvvf_features[] = {
	VIRTIO_PVVF_F_PASID,
	VIRTIO_PVVF_F_PRI,
	VIRTIO_PVVF_F_CAP_OFFSET,
};

static struct virtio_driver pvvf_driver = {
	.feature_table = pvvf_features,
	.feature_table_size = ARRAY_SIZE(pvvf_features),
	.driver.name = KBUILD_MODNAME,
	.id_table = pvvf_id_table,
	.probe = pvvf_probe,
	.remove = pvvf_remove,
	.config_changed = pvvf_config_changed,
#ifdef CONFIG_PM_SLEEP
	.freeze = pvvf_freeze,
	.restore = pvvf_restore,
#endif
};

static int __init pvvf_init(void)
{
	int err;

	pvvf_wq = alloc_workqueue("pvvf", 0, 0);
	if (!pvvf_wq)
		return -ENOMEM;
	err = pvvf_vf_bus_register();
	if (err)
		goto err_wq;
	err = register_virtio_driver(&pvvf_driver);
	if (err)
		goto err_bus;
	return 0;

err_bus:
	pvvf_vf_bus_unregister();
err_wq:
	destroy_workqueue(pvvf_wq);
	return err;
}

static void __exit pvvf_exit(void)
{
	unregister_virtio_driver(&pvvf_driver);
	pvvf_vf_bus_unregister();
	/* Attach work still queued finds its device removing, and frees it. */
	destroy_workqueue(pvvf_wq);
}

module_init(pvvf_init);
module_exit(pvvf_exit);

MODULE_DESCRIPTION("Paravirtual SR-IOV VF awareness (virtio_pvvf)");
MODULE_LICENSE("GPL");
