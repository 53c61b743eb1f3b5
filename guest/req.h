/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvvf: the request engine - a pool of request slots over one transport.
 *
 * Each slot owns its request and reply buffers for its whole life.  A slot
 * is FREE, INFLIGHT (the device owns its buffers and someone waits) or
 * ABANDONED (the device owns its buffers, nobody waits: the waiter timed
 * out).  Only the device returning the buffer makes an owned slot FREE
 * again, so a late reply lands in a buffer nobody else uses, and is dropped.
 * The pool never holds more chains than the ring has room for.
 */
#ifndef _PVVF_REQ_H
#define _PVVF_REQ_H

#include <linux/cache.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "proto.h"

/* A ring: the virtqueue, or a fake one in KUnit.  Called under pool lock. */
struct pvvf_xport_ops {
	/* Make @out (driver-readable) and @in (device-writable) available. */
	int (*add)(void *ctx, void *token, void *out, unsigned int out_len,
		   void *in, unsigned int in_len);
	/* Prepare a notification; true if notify() must be called. */
	bool (*kick_prepare)(void *ctx);
	/* Return a used buffer's token and its used length, or NULL. */
	void *(*get_buf)(void *ctx, unsigned int *len);
	/* Notify the device; called without the pool lock. */
	void (*notify)(void *ctx);
};

enum pvvf_slot_state {
	PVVF_SLOT_FREE,
	PVVF_SLOT_INFLIGHT,
	PVVF_SLOT_DONE,
	PVVF_SLOT_ABANDONED,
};

struct pvvf_req_slot {
	u8 req[PVVF_REQ_MAX];
	/* Device-writable: on its own cache line. */
	u8 resp[PVVF_RESP_MAX] ____cacheline_aligned;
	enum pvvf_slot_state state ____cacheline_aligned;
	u16 opcode;
	u32 tag;
	u32 used_len;
};

struct pvvf_req_stats {
	u64 late;		/* replies to abandoned requests, dropped */
	u64 spurious;		/* a token for a slot the device did not own */
	u64 bad_reply;		/* wrong size or tag: request failed */
	u64 timeouts;
};

struct pvvf_req_pool {
	spinlock_t lock;	/* slots' state, tags, stats, the ring */
	wait_queue_head_t wq;	/* a slot freed or done, or broken */
	struct pvvf_req_slot *slots;
	unsigned int nr;
	unsigned int nr_free;
	u32 next_tag;
	bool broken;		/* device gone: every wait ends -ENODEV */
	atomic_t users;		/* callers inside pvvf_req_submit() */
	const struct pvvf_xport_ops *ops;
	void *ctx;
	struct pvvf_req_stats stats;
};

/* One request: in parameters, and where the reply payload goes. */
struct pvvf_req {
	u16 opcode;
	u32 vf;
	struct pvvf_req_args args;
	void *reply;		/* full reply copy, resp_size bytes; or NULL */
	u16 qualifier;		/* out: the device's VIRTIO_PVVF_Q_* */
};

int pvvf_req_pool_init(struct pvvf_req_pool *pool, unsigned int nr,
		       const struct pvvf_xport_ops *ops, void *ctx);
void pvvf_req_pool_destroy(struct pvvf_req_pool *pool);
void pvvf_req_pool_reset(struct pvvf_req_pool *pool);
int pvvf_req_submit(struct pvvf_req_pool *pool, struct pvvf_req *req,
		    unsigned long timeout);
int pvvf_req_submit_poll(struct pvvf_req_pool *pool, struct pvvf_req *req,
			 unsigned int timeout_us);
void pvvf_req_complete(struct pvvf_req_pool *pool);
void pvvf_req_break(struct pvvf_req_pool *pool);
void pvvf_req_unbreak(struct pvvf_req_pool *pool);
unsigned int pvvf_req_nr_free(struct pvvf_req_pool *pool);

#endif /* _PVVF_REQ_H */
