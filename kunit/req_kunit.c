// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: request/reply matching over a fake transport - timeouts, late
 * replies, wrong tags and sizes, a full pool, a broken device, and the
 * non-sleeping poll path.
 */
#include <kunit/test.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/timer.h>

#include "../guest/req.h"

#define FAKE_RING	4	/* chains the fake ring holds */

enum fake_mode {
	FAKE_HOLD,		/* the device answers only when told */
	FAKE_AUTO,		/* the device answers every pending chain */
};

struct fake_chain {
	void *token;
	u8 *out;
	u8 *in;
	unsigned int in_len;
};

/* How the fake device answers: a status, and optionally a bad tag/size. */
struct fake_answer {
	u16 status;
	u16 qualifier;
	s32 tag_delta;
	int used_len;		/* 0: the right size for the status */
};

struct fake_dev {
	struct pvvf_req_pool pool;
	enum fake_mode mode;
	struct fake_answer answer;
	struct fake_chain pending[FAKE_RING];
	unsigned int nr_pending;
	struct fake_chain used[FAKE_RING * 2];
	unsigned int used_len[FAKE_RING * 2];
	unsigned int nr_used;
	unsigned int adds;
	unsigned int overflows;	/* adds beyond the ring: must stay 0 */
	int add_err;
	bool ring_gone;		/* the virtqueues were deleted (freeze) */
	unsigned int ring_touched;	/* calls while @ring_gone */
	struct timer_list timer;
};

static void fake_reply(struct fake_dev *f, unsigned int i)
{
	struct fake_chain c = f->pending[i];
	struct virtio_pvvf_req_head rq;
	struct virtio_pvvf_resp_head rs = {};
	unsigned int len;

	memcpy(&rq, c.out, sizeof(rq));
	rs.status = cpu_to_le16(f->answer.status);
	rs.qualifier = cpu_to_le16(f->answer.qualifier);
	rs.tag = cpu_to_le32(le32_to_cpu(rq.tag) + f->answer.tag_delta);
	memset(c.in, 0, c.in_len);
	if (le16_to_cpu(rq.opcode) == VIRTIO_PVVF_OP_PRI_STATUS &&
	    !f->answer.status)
		c.in[12] = 7;		/* outstanding = 7 */
	memcpy(c.in, &rs, sizeof(rs));
	len = f->answer.used_len ?: f->answer.status ? 8 : c.in_len;

	memmove(&f->pending[i], &f->pending[i + 1],
		(f->nr_pending - i - 1) * sizeof(c));
	f->nr_pending--;
	f->used[f->nr_used] = c;
	f->used_len[f->nr_used++] = len;
}

static int fake_add(void *ctx, void *token, void *out, unsigned int out_len,
		    void *in, unsigned int in_len)
{
	struct fake_dev *f = ctx;

	if (f->ring_gone) {
		f->ring_touched++;
		return -EIO;
	}
	if (f->add_err)
		return f->add_err;
	if (f->nr_pending + f->nr_used >= FAKE_RING) {
		f->overflows++;
		return -ENOSPC;
	}
	f->adds++;
	f->pending[f->nr_pending++] = (struct fake_chain){ token, out, in,
							   in_len };
	return 0;
}

static bool fake_kick_prepare(void *ctx)
{
	struct fake_dev *f = ctx;

	if (f->mode == FAKE_AUTO)
		while (f->nr_pending)
			fake_reply(f, 0);
	return true;
}

static void *fake_get_buf(void *ctx, unsigned int *len)
{
	struct fake_dev *f = ctx;
	void *token;

	if (f->ring_gone)
		f->ring_touched++;
	if (f->ring_gone || !f->nr_used)
		return NULL;
	token = f->used[0].token;
	*len = f->used_len[0];
	f->nr_used--;
	memmove(&f->used[0], &f->used[1], f->nr_used * sizeof(f->used[0]));
	memmove(&f->used_len[0], &f->used_len[1],
		f->nr_used * sizeof(f->used_len[0]));
	return token;
}

/* The "interrupt": the device notified us. */
static void fake_notify(void *ctx)
{
	struct fake_dev *f = ctx;

	pvvf_req_complete(&f->pool);
}

static const struct pvvf_xport_ops fake_ops = {
	.add = fake_add,
	.kick_prepare = fake_kick_prepare,
	.get_buf = fake_get_buf,
	.notify = fake_notify,
};

static struct fake_dev *fake_new(struct kunit *test, unsigned int nr)
{
	struct fake_dev *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_ASSERT_EQ(test, pvvf_req_pool_init(&f->pool, nr, &fake_ops, f),
			0);
	f->mode = FAKE_AUTO;
	return f;
}

static void fake_free(struct fake_dev *f)
{
	pvvf_req_pool_destroy(&f->pool);
}

/* The device answers chain @i now, as an interrupt would report it. */
static void fake_answer_now(struct fake_dev *f, unsigned int i)
{
	unsigned long flags;

	spin_lock_irqsave(&f->pool.lock, flags);
	fake_reply(f, i);
	spin_unlock_irqrestore(&f->pool.lock, flags);
	pvvf_req_complete(&f->pool);
}

static int fake_nop(struct fake_dev *f, unsigned long timeout)
{
	struct pvvf_req req = {
		.opcode = VIRTIO_PVVF_OP_NOP, .vf = VIRTIO_PVVF_VF_NONE,
	};

	return pvvf_req_submit(&f->pool, &req, timeout);
}

static void pvvf_req_ok(struct kunit *test)
{
	struct fake_dev *f = fake_new(test, 2);
	struct virtio_pvvf_resp_pri_status ps;
	struct pvvf_req req = {
		.opcode = VIRTIO_PVVF_OP_PRI_STATUS, .vf = 1, .reply = &ps,
	};

	KUNIT_EXPECT_EQ(test, fake_nop(f, HZ), 0);
	KUNIT_EXPECT_EQ(test, pvvf_req_submit(&f->pool, &req, HZ), 0);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(ps.outstanding), 7U);
	KUNIT_EXPECT_EQ(test, pvvf_req_nr_free(&f->pool), 2U);
	KUNIT_EXPECT_EQ(test, f->adds, 2U);
	fake_free(f);
}

static void pvvf_req_status(struct kunit *test)
{
	struct fake_dev *f = fake_new(test, 2);
	struct virtio_pvvf_resp_pri_status ps = { .outstanding = 99 };
	struct pvvf_req req = {
		.opcode = VIRTIO_PVVF_OP_PRI_STATUS, .vf = 1, .reply = &ps,
	};

	f->answer.status = VIRTIO_PVVF_S_ENOSPC;
	f->answer.qualifier = VIRTIO_PVVF_Q_POOL;
	KUNIT_EXPECT_EQ(test, pvvf_req_submit(&f->pool, &req, HZ), -ENOSPC);
	KUNIT_EXPECT_EQ(test, req.qualifier, VIRTIO_PVVF_Q_POOL);
	/* An error reply does not touch the caller's buffer. */
	KUNIT_EXPECT_EQ(test, ps.outstanding, 99U);
	/* A full-size error reply is accepted too. */
	f->answer.used_len = 16;
	KUNIT_EXPECT_EQ(test, pvvf_req_submit(&f->pool, &req, HZ), -ENOSPC);
	f->answer = (struct fake_answer){ .status = 3 };
	KUNIT_EXPECT_EQ(test, fake_nop(f, HZ), -EPROTO);
	KUNIT_EXPECT_EQ(test, pvvf_req_nr_free(&f->pool), 2U);
	fake_free(f);
}

static void pvvf_req_bad_replies(struct kunit *test)
{
	static const struct { struct fake_answer a; int err; } t[] = {
		{ { .tag_delta = 1 }, -EBADMSG },
		{ { .tag_delta = -1, .status = 16 }, -EBADMSG },
		{ { .used_len = 4 }, -EPROTO },
		{ { .used_len = 9 }, -EPROTO },
		{ { .used_len = 57 }, -EPROTO },
		{ { .used_len = 0x10000 }, -EPROTO },
		{ { .status = 0, .used_len = 8 }, -EPROTO },
		{ { .qualifier = 5 }, -EPROTO },
	};
	struct fake_dev *f = fake_new(test, 2);
	struct virtio_pvvf_resp_state st;
	struct pvvf_req req = {
		.opcode = VIRTIO_PVVF_OP_GET_STATE, .vf = 0, .reply = &st,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		f->answer = t[i].a;
		KUNIT_EXPECT_EQ_MSG(test, pvvf_req_submit(&f->pool, &req, HZ),
				    t[i].err, "case %u", i);
	}
	KUNIT_EXPECT_EQ(test, f->pool.stats.bad_reply, (u64)ARRAY_SIZE(t));
	KUNIT_EXPECT_EQ(test, pvvf_req_nr_free(&f->pool), 2U);
	f->answer = (struct fake_answer){};
	KUNIT_EXPECT_EQ(test, pvvf_req_submit(&f->pool, &req, HZ), 0);
	fake_free(f);
}

/* A timed-out slot stays the device's; its late reply is dropped. */
static void pvvf_req_timeout_late_reply(struct kunit *test)
{
	struct fake_dev *f = fake_new(test, 2);
	u32 first_tag;

	f->mode = FAKE_HOLD;
	KUNIT_EXPECT_EQ(test, fake_nop(f, 2), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, f->pool.stats.timeouts, 1ULL);
	KUNIT_EXPECT_EQ(test, pvvf_req_nr_free(&f->pool), 1U);
	KUNIT_ASSERT_EQ(test, f->nr_pending, 1U);
	first_tag = f->pool.next_tag - 1;

	/* The next request runs while the abandoned one is still out. */
	f->mode = FAKE_AUTO;
	KUNIT_EXPECT_EQ(test, fake_nop(f, HZ), 0);
	/* Both came back: the late one was recycled, not delivered. */
	KUNIT_EXPECT_EQ(test, f->pool.stats.late, 1ULL);
	KUNIT_EXPECT_EQ(test, pvvf_req_nr_free(&f->pool), 2U);
	KUNIT_EXPECT_NE(test, f->pool.next_tag - 1, first_tag);
	fake_free(f);
}

/* The late reply comes back alone, later. */
static void pvvf_req_late_reply_alone(struct kunit *test)
{
	struct fake_dev *f = fake_new(test, 1);

	f->mode = FAKE_HOLD;
	KUNIT_EXPECT_EQ(test, fake_nop(f, 1), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, pvvf_req_nr_free(&f->pool), 0U);
	fake_answer_now(f, 0);
	KUNIT_EXPECT_EQ(test, f->pool.stats.late, 1ULL);
	KUNIT_EXPECT_EQ(test, pvvf_req_nr_free(&f->pool), 1U);
	/* The same token again: the slot is free, nobody is confused. */
	f->used[0] = (struct fake_chain){ .token = &f->pool.slots[0] };
	f->used_len[0] = 8;
	f->nr_used = 1;
	pvvf_req_complete(&f->pool);
	KUNIT_EXPECT_EQ(test, f->pool.stats.spurious, 1ULL);
	KUNIT_EXPECT_EQ(test, pvvf_req_nr_free(&f->pool), 1U);
	fake_free(f);
}

/* Tokens the pool never handed out are ignored. */
static void pvvf_req_foreign_token(struct kunit *test)
{
	struct fake_dev *f = fake_new(test, 2);
	u8 *mid = (u8 *)&f->pool.slots[0] + 8;

	f->used[0] = (struct fake_chain){ .token = f };
	f->used[1] = (struct fake_chain){ .token = mid };
	f->used[2] = (struct fake_chain){ .token = &f->pool.slots[2] };
	f->nr_used = 3;
	pvvf_req_complete(&f->pool);
	KUNIT_EXPECT_EQ(test, f->pool.stats.spurious, 3ULL);
	KUNIT_EXPECT_EQ(test, pvvf_req_nr_free(&f->pool), 2U);
	KUNIT_EXPECT_EQ(test, fake_nop(f, HZ), 0);
	fake_free(f);
}

/* Abandoned slots fill the pool: new requests wait, the ring never
 * overflows, and the pool recovers when the device returns them.
 */
static void pvvf_req_pool_full(struct kunit *test)
{
	struct fake_dev *f = fake_new(test, 2);

	f->mode = FAKE_HOLD;
	KUNIT_EXPECT_EQ(test, fake_nop(f, 1), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, fake_nop(f, 1), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, fake_nop(f, 2), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, f->adds, 2U);
	KUNIT_EXPECT_EQ(test, f->overflows, 0U);
	fake_answer_now(f, 1);
	fake_answer_now(f, 0);
	KUNIT_EXPECT_EQ(test, pvvf_req_nr_free(&f->pool), 2U);
	f->mode = FAKE_AUTO;
	KUNIT_EXPECT_EQ(test, fake_nop(f, HZ), 0);
	fake_free(f);
}

static void pvvf_req_tag_skips_owned(struct kunit *test)
{
	struct fake_dev *f = fake_new(test, 2);
	u32 stuck;

	f->mode = FAKE_HOLD;
	f->pool.next_tag = 0xfffffffe;
	KUNIT_EXPECT_EQ(test, fake_nop(f, 1), -ETIMEDOUT);
	stuck = f->pool.slots[0].tag;
	KUNIT_EXPECT_EQ(test, stuck, 0xfffffffeU);
	/* Wrap the counter onto the tag the device still owns. */
	f->pool.next_tag = stuck;
	f->mode = FAKE_AUTO;
	KUNIT_EXPECT_EQ(test, fake_nop(f, HZ), 0);
	KUNIT_EXPECT_EQ(test, f->pool.slots[1].tag, 0xffffffffU);
	fake_free(f);
}

static void pvvf_req_add_error(struct kunit *test)
{
	struct fake_dev *f = fake_new(test, 2);

	f->add_err = -ENOMEM;
	KUNIT_EXPECT_EQ(test, fake_nop(f, HZ), -ENOMEM);
	KUNIT_EXPECT_EQ(test, pvvf_req_nr_free(&f->pool), 2U);
	f->add_err = 0;
	KUNIT_EXPECT_EQ(test, fake_nop(f, HZ), 0);
	fake_free(f);
}

static void fake_break_timer(struct timer_list *t)
{
	struct fake_dev *f = from_timer(f, t, timer);

	pvvf_req_break(&f->pool);
}

/* Removal: a sleeping waiter ends with -ENODEV, long before its timeout. */
static void pvvf_req_break_wakes(struct kunit *test)
{
	struct fake_dev *f = fake_new(test, 2);
	unsigned long start = jiffies;

	f->mode = FAKE_HOLD;
	timer_setup(&f->timer, fake_break_timer, 0);
	mod_timer(&f->timer, jiffies + 2);
	KUNIT_EXPECT_EQ(test, fake_nop(f, 30 * HZ), -ENODEV);
	KUNIT_EXPECT_LT(test, jiffies - start, (unsigned long)(10 * HZ));
	del_timer_sync(&f->timer);
	/* Broken: new requests fail at once, without touching the ring. */
	KUNIT_EXPECT_EQ(test, fake_nop(f, HZ), -ENODEV);
	KUNIT_EXPECT_EQ(test, f->adds, 1U);
	/* After a device reset and restore everything is free again. */
	pvvf_req_pool_reset(&f->pool);
	pvvf_req_unbreak(&f->pool);
	f->nr_pending = 0;
	f->mode = FAKE_AUTO;
	KUNIT_EXPECT_EQ(test, fake_nop(f, HZ), 0);
	fake_free(f);
}

static int fake_poll_nop(struct fake_dev *f, unsigned int us)
{
	struct pvvf_req req = {
		.opcode = VIRTIO_PVVF_OP_NOP, .vf = VIRTIO_PVVF_VF_NONE,
	};
	unsigned long flags;
	int err;

	/* As from a config accessor: IRQs off, no sleeping allowed. */
	local_irq_save(flags);
	err = pvvf_req_submit_poll(&f->pool, &req, us);
	local_irq_restore(flags);
	return err;
}

static void pvvf_req_poll(struct kunit *test)
{
	struct fake_dev *f = fake_new(test, 1);

	KUNIT_EXPECT_EQ(test, fake_poll_nop(f, 100), 0);
	f->mode = FAKE_HOLD;
	KUNIT_EXPECT_EQ(test, fake_poll_nop(f, 50), -ETIMEDOUT);
	/* No slot and no sleeping: refused at once. */
	KUNIT_EXPECT_EQ(test, fake_poll_nop(f, 50), -EBUSY);
	/* The poll path reaps the ring itself: no interrupt needed. */
	spin_lock_irq(&f->pool.lock);
	fake_reply(f, 0);
	spin_unlock_irq(&f->pool.lock);
	f->mode = FAKE_AUTO;
	KUNIT_EXPECT_EQ(test, fake_poll_nop(f, 100), 0);
	KUNIT_EXPECT_EQ(test, f->pool.stats.late, 1ULL);
	pvvf_req_break(&f->pool);
	KUNIT_EXPECT_EQ(test, fake_poll_nop(f, 100), -ENODEV);
	fake_free(f);
}

/*
 * After freeze the pool is broken and the virtqueues are gone: the poll
 * path and a stray completion fail cleanly without touching the ring.
 */
static void pvvf_req_frozen_ring_untouched(struct kunit *test)
{
	struct fake_dev *f = fake_new(test, 2);

	f->mode = FAKE_HOLD;
	KUNIT_EXPECT_EQ(test, fake_poll_nop(f, 20), -ETIMEDOUT);
	/* pvvf_freeze(): quiesce, device reset, pool reset, del_vqs. */
	pvvf_req_break(&f->pool);
	pvvf_req_pool_reset(&f->pool);
	f->ring_gone = true;
	KUNIT_EXPECT_EQ(test, fake_poll_nop(f, 100), -ENODEV);
	pvvf_req_complete(&f->pool);
	KUNIT_EXPECT_EQ(test, fake_nop(f, HZ), -ENODEV);
	KUNIT_EXPECT_EQ(test, f->ring_touched, 0U);
	/* Restore: new rings, unbroken only then. */
	f->ring_gone = false;
	f->nr_pending = 0;
	f->mode = FAKE_AUTO;
	pvvf_req_unbreak(&f->pool);
	KUNIT_EXPECT_EQ(test, fake_poll_nop(f, 100), 0);
	fake_free(f);
}

static struct kunit_case pvvf_req_cases[] = {
	KUNIT_CASE(pvvf_req_ok),
	KUNIT_CASE(pvvf_req_status),
	KUNIT_CASE(pvvf_req_bad_replies),
	KUNIT_CASE(pvvf_req_timeout_late_reply),
	KUNIT_CASE(pvvf_req_late_reply_alone),
	KUNIT_CASE(pvvf_req_foreign_token),
	KUNIT_CASE(pvvf_req_pool_full),
	KUNIT_CASE(pvvf_req_tag_skips_owned),
	KUNIT_CASE(pvvf_req_add_error),
	KUNIT_CASE(pvvf_req_break_wakes),
	KUNIT_CASE(pvvf_req_poll),
	KUNIT_CASE(pvvf_req_frozen_ring_untouched),
	{}
};

static struct kunit_suite pvvf_req_suite = {
	.name = "pvvf_req",
	.test_cases = pvvf_req_cases,
};

kunit_test_suite(pvvf_req_suite);

MODULE_LICENSE("GPL");
