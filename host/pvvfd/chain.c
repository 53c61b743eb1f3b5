// SPDX-License-Identifier: BSD-3-Clause
/*
 * pvvfd: a request descriptor chain into the core and its reply back.
 *
 * The chain's segments are guest memory and the guest is hostile: the
 * request is copied once into a bounded buffer before the core looks at
 * it, so a guest rewriting its buffer meanwhile cannot make two checks see
 * different bytes, and the core never sees the ring.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "chain.h"

_Static_assert(PVVFD_REQ_MAX > sizeof(struct virtio_pvvf_req_event_ack),
	       "request buffer too small");
_Static_assert(PVVFD_RESP_MAX > sizeof(struct virtio_pvvf_resp_get_vf),
	       "reply buffer too small");

size_t pvvfd_iov_size(const struct iovec *iov, unsigned int n)
{
	size_t len = 0;

	/* at most VIRTQUEUE_MAX_SIZE descriptors of < 4 GiB: no overflow */
	for (unsigned int i = 0; i < n; i++)
		len += iov[i].iov_len;
	return len;
}

void pvvfd_iov_to_buf(const struct iovec *iov, unsigned int n, void *buf,
		      size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t c = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;

		memcpy((char *)buf + done, iov[i].iov_base, c);
		done += c;
	}
}

void pvvfd_buf_to_iov(const struct iovec *iov, unsigned int n,
		      const void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t c = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;

		memcpy(iov[i].iov_base, (const char *)buf + done, c);
		done += c;
	}
}

int pvvfd_chain_decide(struct pvvf_guest *core, struct pvvfd_chain *c,
		       const struct iovec *out_sg, unsigned int out_num,
		       const struct iovec *in_sg, unsigned int in_num)
{
	c->req_len = pvvfd_iov_size(out_sg, out_num);
	c->resp_cap = pvvfd_iov_size(in_sg, in_num);
	if (c->req_len > sizeof(c->req))
		c->req_len = sizeof(c->req);
	if (c->resp_cap > sizeof(c->resp))
		c->resp_cap = sizeof(c->resp);
	memset(c->req, 0, sizeof(c->req));
	memset(c->resp, 0, sizeof(c->resp));
	pvvfd_iov_to_buf(out_sg, out_num, c->req, c->req_len);
	c->used = pvvf_guest_request(core, c->req, c->req_len, c->resp,
				     c->resp_cap);
	return c->used > c->resp_cap ? -EOVERFLOW : 0;
}

void pvvfd_chain_reply(const struct pvvfd_chain *c, const struct iovec *in_sg,
		       unsigned int in_num)
{
	pvvfd_buf_to_iov(in_sg, in_num, c->resp, c->used);
}
