// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf: the request engine (docs/spec.md 6.1, 6.2).
 *
 * Two ways to wait: pvvf_req_submit() sleeps, bounded by a timeout, for use
 * from process context; pvvf_req_submit_poll() never sleeps and reaps the
 * ring itself in a bounded busy-poll, for callers that hold spinlocks (the
 * config-space accessors of a later transparent mode).
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "req.h"

#define PVVF_POLL_STEP_US	5

int pvvf_req_pool_init(struct pvvf_req_pool *pool, unsigned int nr,
		       const struct pvvf_xport_ops *ops, void *ctx)
{
	memset(pool, 0, sizeof(*pool));
	if (!nr)
		return -EINVAL;
	pool->slots = kcalloc(nr, sizeof(*pool->slots), GFP_KERNEL);
	if (!pool->slots)
		return -ENOMEM;
	spin_lock_init(&pool->lock);
	init_waitqueue_head(&pool->wq);
	atomic_set(&pool->users, 0);
	pool->nr = nr;
	pool->nr_free = nr;
	pool->ops = ops;
	pool->ctx = ctx;
	return 0;
}

/*
 * Wait for every caller to leave, then free the slots.  The caller broke the
 * pool and reset the device first, so the device owns no buffer.
 */
void pvvf_req_pool_destroy(struct pvvf_req_pool *pool)
{
	wait_event(pool->wq, !atomic_read(&pool->users));
	kfree(pool->slots);
	pool->slots = NULL;
}

/*
 * After a device reset: the device owns nothing, every slot is free.  The
 * caller broke the pool; wait until the woken waiters have left, so none
 * marks a slot abandoned after it was freed here.
 */
void pvvf_req_pool_reset(struct pvvf_req_pool *pool)
{
	unsigned long flags;
	unsigned int i;

	wait_event(pool->wq, !atomic_read(&pool->users));
	spin_lock_irqsave(&pool->lock, flags);
	for (i = 0; i < pool->nr; i++)
		pool->slots[i].state = PVVF_SLOT_FREE;
	pool->nr_free = pool->nr;
	spin_unlock_irqrestore(&pool->lock, flags);
}

/* Every waiter ends with -ENODEV; new requests fail at once. */
void pvvf_req_break(struct pvvf_req_pool *pool)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	pool->broken = true;
	spin_unlock_irqrestore(&pool->lock, flags);
	wake_up_all(&pool->wq);
}

void pvvf_req_unbreak(struct pvvf_req_pool *pool)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	pool->broken = false;
	spin_unlock_irqrestore(&pool->lock, flags);
}

unsigned int pvvf_req_nr_free(struct pvvf_req_pool *pool)
{
	unsigned long flags;
	unsigned int nr;

	spin_lock_irqsave(&pool->lock, flags);
	nr = pool->nr_free;
	spin_unlock_irqrestore(&pool->lock, flags);
	return nr;
}

/* A tag no slot the device owns carries (docs/spec.md 6.1.3). */
static u32 pvvf_req_next_tag(struct pvvf_req_pool *pool)
{
	unsigned int i;
	u32 tag;

again:
	tag = pool->next_tag++;
	for (i = 0; i < pool->nr; i++) {
		if (pool->slots[i].state != PVVF_SLOT_FREE &&
		    pool->slots[i].tag == tag)
			goto again;
	}
	return tag;
}

static struct pvvf_req_slot *pvvf_req_free_slot(struct pvvf_req_pool *pool)
{
	unsigned int i;

	for (i = 0; i < pool->nr; i++) {
		if (pool->slots[i].state == PVVF_SLOT_FREE)
			return &pool->slots[i];
	}
	return NULL;
}

static void pvvf_req_release(struct pvvf_req_pool *pool,
			     struct pvvf_req_slot *slot)
{
	slot->state = PVVF_SLOT_FREE;
	pool->nr_free++;
}

/*
 * Build the request in a free slot and hand it to the ring.  Returns 1 if
 * the device needs a notification, 0 if not, -EAGAIN if no slot is free,
 * -ENODEV if broken, or the error of building or adding.
 */
static int pvvf_req_start(struct pvvf_req_pool *pool, struct pvvf_req *req,
			  struct pvvf_req_slot **slotp)
{
	struct pvvf_req_slot *slot;
	unsigned long flags;
	int len, err;

	spin_lock_irqsave(&pool->lock, flags);
	err = pool->broken ? -ENODEV : pool->nr_free ? 0 : -EAGAIN;
	slot = err ? NULL : pvvf_req_free_slot(pool);
	if (err || WARN_ON(!slot))
		goto out;
	slot->tag = pvvf_req_next_tag(pool);
	slot->opcode = req->opcode;
	slot->used_len = 0;
	len = pvvf_proto_build_req(slot->req, sizeof(slot->req), req->opcode,
				   req->vf, slot->tag, &req->args);
	err = len < 0 ? len : 0;
	if (!err) {
		memset(slot->resp, 0, sizeof(slot->resp));
		err = pool->ops->add(pool->ctx, slot, slot->req, len,
				     slot->resp, pvvf_proto_resp_size(req->opcode));
	}
	if (err)
		goto out;
	slot->state = PVVF_SLOT_INFLIGHT;
	pool->nr_free--;
	*slotp = slot;
	err = pool->ops->kick_prepare(pool->ctx);
out:
	spin_unlock_irqrestore(&pool->lock, flags);
	return err;
}

static struct pvvf_req_slot *pvvf_req_slot_of(struct pvvf_req_pool *pool,
					      void *token)
{
	unsigned long off = (unsigned long)token - (unsigned long)pool->slots;

	if (off / sizeof(*pool->slots) >= pool->nr ||
	    off % sizeof(*pool->slots))
		return NULL;
	return token;
}

/**
 * pvvf_req_complete() - reap the ring: the requestq callback
 * @pool: the pool
 *
 * A returned slot is found from the token the driver gave the ring, never
 * from device data.  An abandoned slot is recycled and its reply dropped.
 */
void pvvf_req_complete(struct pvvf_req_pool *pool)
{
	struct pvvf_req_slot *slot;
	unsigned long flags;
	unsigned int len;
	bool wake = false;
	void *token;

	spin_lock_irqsave(&pool->lock, flags);
	/*
	 * A broken pool has failed every waiter, and its ring may be gone
	 * (after freeze the virtqueues are deleted): leave it alone.
	 */
	while (!pool->broken && (token = pool->ops->get_buf(pool->ctx, &len))) {
		slot = pvvf_req_slot_of(pool, token);
		if (slot && slot->state == PVVF_SLOT_INFLIGHT) {
			slot->used_len = len;
			slot->state = PVVF_SLOT_DONE;
		} else if (slot && slot->state == PVVF_SLOT_ABANDONED) {
			pvvf_req_release(pool, slot);
			pool->stats.late++;
		} else {
			pool->stats.spurious++;
			continue;
		}
		wake = true;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	if (wake)
		wake_up_all(&pool->wq);
}

static bool pvvf_req_settled(struct pvvf_req_pool *pool,
			     struct pvvf_req_slot *slot)
{
	return READ_ONCE(slot->state) == PVVF_SLOT_DONE ||
	       READ_ONCE(pool->broken);
}

/*
 * Take the reply of a returned slot, or abandon a slot still owned by the
 * device.  The reply is copied out of the device-writable buffer before it
 * is checked.
 */
static int pvvf_req_finish(struct pvvf_req_pool *pool,
			   struct pvvf_req_slot *slot, struct pvvf_req *req)
{
	int size = pvvf_proto_resp_size(req->opcode);
	struct pvvf_reply reply = {};
	u8 buf[PVVF_RESP_MAX];
	unsigned long flags;
	int err;

	spin_lock_irqsave(&pool->lock, flags);
	if (slot->state != PVVF_SLOT_DONE) {
		slot->state = PVVF_SLOT_ABANDONED;
		err = pool->broken ? -ENODEV : -ETIMEDOUT;
		if (err == -ETIMEDOUT)
			pool->stats.timeouts++;
		spin_unlock_irqrestore(&pool->lock, flags);
		return err;
	}
	memcpy(buf, slot->resp, size);
	err = pvvf_proto_check_reply(req->opcode, slot->tag, buf,
				     slot->used_len, &reply);
	if (err)
		pool->stats.bad_reply++;
	pvvf_req_release(pool, slot);
	spin_unlock_irqrestore(&pool->lock, flags);
	wake_up_all(&pool->wq);

	if (err) {
		pr_warn_ratelimited("pvvf: opcode %#x: %s reply dropped\n",
				    req->opcode, err == -EBADMSG ?
				    "wrong-tag" : "malformed");
		return err;
	}
	req->qualifier = reply.qualifier;
	if (!reply.err && req->reply)
		memcpy(req->reply, buf, size);
	return reply.err;
}

static void pvvf_req_put(struct pvvf_req_pool *pool)
{
	if (atomic_dec_and_test(&pool->users))
		wake_up_all(&pool->wq);
}

/**
 * pvvf_req_submit() - send a request and sleep for its reply
 * @pool: the pool
 * @req: the request; on success the reply is copied to @req->reply
 * @timeout: jiffies, for getting a slot and the reply together
 *
 * Context: process context, may sleep.
 * Return: the device's status as an errno; -ETIMEDOUT; -ENODEV if the device
 * broke; -EPROTO or -EBADMSG for a reply that was dropped.
 */
int pvvf_req_submit(struct pvvf_req_pool *pool, struct pvvf_req *req,
		    unsigned long timeout)
{
	unsigned long deadline = jiffies + timeout;
	struct pvvf_req_slot *slot = NULL;
	long left;
	int err;

	atomic_inc(&pool->users);
	left = wait_event_timeout(pool->wq,
				  (err = pvvf_req_start(pool, req, &slot)) !=
				  -EAGAIN, timeout);
	if (!left && err == -EAGAIN)
		err = -ETIMEDOUT;
	if (err < 0)
		goto out;
	if (err)
		pool->ops->notify(pool->ctx);
	left = time_after(deadline, jiffies) ? deadline - jiffies : 0;
	wait_event_timeout(pool->wq, pvvf_req_settled(pool, slot), left);
	err = pvvf_req_finish(pool, slot, req);
out:
	pvvf_req_put(pool);
	return err;
}

/**
 * pvvf_req_submit_poll() - send a request and busy-poll for its reply
 * @pool: the pool
 * @req: the request; on success the reply is copied to @req->reply
 * @timeout_us: how long to poll
 *
 * Context: any; never sleeps.  Reaps the ring itself, so it works with
 * interrupts off.  On a broken pool (no device, or frozen) it fails with
 * -ENODEV without touching the ring.
 * Return: as pvvf_req_submit(), and -EBUSY if no slot is free.
 */
int pvvf_req_submit_poll(struct pvvf_req_pool *pool, struct pvvf_req *req,
			 unsigned int timeout_us)
{
	struct pvvf_req_slot *slot = NULL;
	unsigned int waited = 0;
	int err;

	atomic_inc(&pool->users);
	/* Reap first: with IRQs off, returned slots are only seen here. */
	pvvf_req_complete(pool);
	err = pvvf_req_start(pool, req, &slot);
	if (err == -EAGAIN)
		err = -EBUSY;
	if (err < 0)
		goto out;
	if (err)
		pool->ops->notify(pool->ctx);
	for (;;) {
		pvvf_req_complete(pool);
		if (pvvf_req_settled(pool, slot) || waited >= timeout_us)
			break;
		udelay(PVVF_POLL_STEP_US);
		waited += PVVF_POLL_STEP_US;
	}
	err = pvvf_req_finish(pool, slot, req);
out:
	pvvf_req_put(pool);
	return err;
}
