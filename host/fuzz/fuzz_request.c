// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz target: the host request path, from the raw bytes of a descriptor
 * chain to the reply and the state change, with several guests on
 * simulated PFs.
 *
 * The world is the property engine's (host/tests/prop.c: 1-2 simulated
 * PFs, 2-3 guests holding random VFs of them), seeded by the first 8
 * bytes.  The rest is a list of actions:
 *
 *   0x00..0x9f  a request chain: guest, number of descriptors (1-4), then
 *               per descriptor a byte, bit 7 device-writable and bits 0-6
 *               its length, followed by the bytes of a readable one;
 *   0xa0..0xff  one step of the property engine (page requests and
 *               completions, time, event delivery and acks, host-side PF
 *               changes, reconnects, VF hot-plug, PF removal), its choices
 *               seeded by the next 4 bytes.
 *
 * A chain goes through pvvfd's chain.c, as vhost.c hands it over, after
 * libvhost-user's own rules (no zero-length descriptor, readable ones
 * first): a chain that breaks them drops the guest's link, which is a
 * disconnect (the frontend then connects again).
 *
 * After every action: every invariant of the property engine (PCIe rules
 * on the simulated PF, reference counts, the PRI pool, PASID Enable
 * ownership, event queue bounds), and after a request: the used length
 * is 0, 8 or the opcode's full reply; nothing is written past it nor to
 * the readable part; the tag is echoed; a refusal changed no state.
 * Any failure aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "input.h"
#include "prop.h"

#define MAX_DESC	4
#define CANARY		0xa5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t next_le(struct input *in, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)next_u8(in) << (8 * i);
	return v;
}

static void fail(struct prop_world *w, struct prop_result *res, const char *what)
{
	prop_world_fail(w, what);
	fprintf(stderr, "fuzz_request: step %u: %s\n", res->steps, res->what);
	abort();
}

struct seg {
	uint8_t *buf;
	uint8_t *copy;		/* readable: what the guest wrote */
	size_t len;
	bool writable;
};

/* The reply as the driver reads it: the writable segments, in order. */
static size_t gather(const struct seg *s, unsigned int n, uint8_t *out, size_t cap)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n; i++)
		for (size_t b = 0; s[i].writable && b < s[i].len && done < cap; b++)
			out[done++] = s[i].buf[b];
	return done;
}

static void check_reply(struct prop_world *w, struct prop_result *res,
			const struct seg *s, unsigned int n, const struct pvvfd_chain *c,
			uint64_t before)
{
	uint8_t reply[MAX_DESC * 128];
	size_t wlen = gather(s, n, reply, sizeof(reply));
	uint16_t status, qual;
	uint32_t tag = 0, rtag;

	if (c->req_len >= 12)
		memcpy(&tag, c->req + 8, 4);
	if (c->resp_cap < 8 ? c->used != 0 : (c->used != 8 && c->used != c->resp_cap))
		fail(w, res, "used length is neither 0, 8 nor the full reply");
	for (size_t b = c->used; b < wlen; b++)
		if (reply[b] != CANARY)
			fail(w, res, "reply bytes written past the used length");
	for (unsigned int i = 0; i < n; i++)
		if (!s[i].writable && memcmp(s[i].buf, s[i].copy, s[i].len))
			fail(w, res, "the readable part was written");
	if (!c->used) {
		if (prop_world_fingerprint(w) != before)
			fail(w, res, "no reply, but state changed");
		return;
	}
	memcpy(&status, reply, 2);
	memcpy(&qual, reply + 2, 2);
	memcpy(&rtag, reply + 4, 4);
	if (rtag != tag)
		fail(w, res, "the reply does not echo the tag");
	if (!status && qual)
		fail(w, res, "status 0 with a qualifier");
	if (status && prop_world_fingerprint(w) != before)
		fail(w, res, "a refused request changed state");
	for (size_t b = 8; status && b < c->used; b++)
		if (reply[b])
			fail(w, res, "a refusal with a non-zero payload");
}

static void request(struct prop_world *w, struct prop_result *res, struct input *in)
{
	int gi = next_u8(in) % prop_world_num_guests(w);
	unsigned int n = 1 + next_u8(in) % MAX_DESC, out_num = 0, in_num = 0;
	struct iovec out_sg[MAX_DESC], in_sg[MAX_DESC];
	struct seg s[MAX_DESC];
	bool link_error = false;
	struct pvvfd_chain c;
	uint64_t before;

	for (unsigned int i = 0; i < n; i++) {
		uint8_t d = next_u8(in);

		s[i].len = d & 0x7f;
		s[i].writable = d & 0x80;
		/* exact sizes, so ASan sees any access past a segment */
		s[i].buf = malloc(s[i].len ? s[i].len : 1);
		s[i].copy = malloc(s[i].len ? s[i].len : 1);
		if (!s[i].buf || !s[i].copy)
			abort();
		for (size_t b = 0; b < s[i].len; b++)
			s[i].buf[b] = s[i].writable ? CANARY : next_u8(in);
		memcpy(s[i].copy, s[i].buf, s[i].len);
		/* libvhost-user: zero-sized buffers and readable after writable */
		if (!s[i].len || (!s[i].writable && in_num))
			link_error = true;
		if (s[i].writable)
			in_sg[in_num++] = (struct iovec){ s[i].buf, s[i].len };
		else
			out_sg[out_num++] = (struct iovec){ s[i].buf, s[i].len };
	}
	if (link_error) {
		prop_world_reconnect(w, gi);
	} else {
		before = prop_world_fingerprint(w);
		if (pvvfd_chain_decide(prop_world_guest(w, gi), &c, out_sg, out_num,
				       in_sg, in_num))
			fail(w, res, "the core overran the writable part");
		pvvfd_chain_reply(&c, in_sg, in_num);
		res->requests++;
		check_reply(w, res, s, n, &c, before);
	}
	for (unsigned int i = 0; i < n; i++) {
		free(s[i].buf);
		free(s[i].copy);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct prop_result res;
	struct prop_world *w;

	if (size < 8)
		return 0;
	w = prop_world_new(next_le(&in, 8), &res);
	if (!w)
		abort();
	/* Bounded: at most one action per input byte. */
	while (in.left && !res.broken) {
		uint8_t k = next_u8(&in);

		if (k < 0xa0) {
			request(w, &res, &in);
			res.steps++;
		} else {
			prop_world_step(w, next_le(&in, 4), true);
		}
		prop_world_check(w);
	}
	if (!res.broken)
		prop_world_finish(w);
	if (res.broken) {
		fprintf(stderr, "fuzz_request: step %u: %s\n", res.steps, res.what);
		abort();
	}
	prop_world_free(w);
	return 0;
}
