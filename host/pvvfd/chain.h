/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pvvfd: one request descriptor chain, as libvhost-user hands it over
 * (readable part, then writable part), into the core and back.
 *
 * No libvhost-user, no I/O: the fuzzer (host/fuzz) drives this same code
 * with chains it makes up.
 */
#ifndef PVVFD_CHAIN_H
#define PVVFD_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "pvvf_core.h"

/*
 * Above every request and reply size of the protocol: a chain longer than
 * this gets the answer its true length would get (BAD_LENGTH, or
 * BAD_OPCODE first), because the core only compares lengths against the
 * opcode's exact sizes.
 */
#define PVVFD_REQ_MAX		256
#define PVVFD_RESP_MAX		256

size_t pvvfd_iov_size(const struct iovec *iov, unsigned int n);
/* Copy the first @len bytes out of / into the segments (fewer if short). */
void pvvfd_iov_to_buf(const struct iovec *iov, unsigned int n, void *buf,
		      size_t len);
void pvvfd_buf_to_iov(const struct iovec *iov, unsigned int n,
		      const void *buf, size_t len);

/* One request and its reply, in daemon memory. */
struct pvvfd_chain {
	uint8_t req[PVVFD_REQ_MAX];
	uint8_t resp[PVVFD_RESP_MAX];
	size_t req_len;		/* readable bytes, capped at PVVFD_REQ_MAX */
	size_t resp_cap;	/* writable bytes, capped at PVVFD_RESP_MAX */
	size_t used;		/* reply bytes the core wrote into resp */
};

/*
 * Copy the request out of the readable segments once and let the core
 * decide it.  Returns 0, or -EOVERFLOW if the core claimed more than the
 * writable part holds (a bug in the core; nothing may be written then).
 */
int pvvfd_chain_decide(struct pvvf_guest *core, struct pvvfd_chain *c,
		       const struct iovec *out_sg, unsigned int out_num,
		       const struct iovec *in_sg, unsigned int in_num);
/* Write the reply (c->used bytes) into the writable segments. */
void pvvfd_chain_reply(const struct pvvfd_chain *c, const struct iovec *in_sg,
		       unsigned int in_num);

#endif /* PVVFD_CHAIN_H */
