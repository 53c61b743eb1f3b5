/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crash-safe state files: one versioned, checksummed record per file,
 * replaced atomically (write a new file, fsync, rename over the old one,
 * fsync the directory), and read back like hostile input.
 *
 * On disk, little endian:
 *
 *   magic[8] | version (le32) | body length (le32) | body | crc32 (le32)
 *
 * The CRC-32 (IEEE 802.3) covers everything before it.  A reader sees the
 * old file or the new one, never a mix; anything else (short, long, wrong
 * magic, version or checksum) is reported as corrupt, with the reason.
 *
 * pvvf_wbuf and pvvf_rbuf build and parse bodies field by field; a reader
 * that runs past the end only sets ->bad and returns zeros, so a parser
 * checks once at the end.
 */
#ifndef PVVF_HOST_PERSIST_H
#define PVVF_HOST_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PVVF_PERSIST_MAX	(16u << 20)	/* largest body accepted */

struct pvvf_wbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

struct pvvf_rbuf {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
};

uint32_t pvvf_crc32(uint32_t crc, const void *buf, size_t len);

void pvvf_wbuf_u8(struct pvvf_wbuf *w, uint8_t v);
void pvvf_wbuf_u16(struct pvvf_wbuf *w, uint16_t v);
void pvvf_wbuf_u32(struct pvvf_wbuf *w, uint32_t v);
void pvvf_wbuf_u64(struct pvvf_wbuf *w, uint64_t v);
void pvvf_wbuf_bytes(struct pvvf_wbuf *w, const void *p, size_t n);
void pvvf_wbuf_free(struct pvvf_wbuf *w);

uint8_t pvvf_rbuf_u8(struct pvvf_rbuf *r);
uint16_t pvvf_rbuf_u16(struct pvvf_rbuf *r);
uint32_t pvvf_rbuf_u32(struct pvvf_rbuf *r);
uint64_t pvvf_rbuf_u64(struct pvvf_rbuf *r);
void pvvf_rbuf_bytes(struct pvvf_rbuf *r, void *p, size_t n);
/* true once the whole body was consumed, exactly, without overrun */
bool pvvf_rbuf_done(const struct pvvf_rbuf *r);

/*
 * Replace @path with a record of @body.  With @sync the data and the
 * rename are made durable (fsync of the file and its directory); without,
 * the result still survives the death of the process, not of the machine.
 */
int pvvf_persist_write(const char *path, const char magic[8], uint32_t version,
		       const void *body, size_t len, bool sync);
/*
 * Read the record at @path into a malloc'd *@body.  -ENOENT: no file;
 * -EINVAL: not a valid record (@why says why); other -errno: I/O error.
 */
int pvvf_persist_read(const char *path, const char magic[8], uint32_t version,
		      void **body, size_t *len, char *why, size_t why_len);

#endif /* PVVF_HOST_PERSIST_H */
