// SPDX-License-Identifier: BSD-3-Clause
/*
 * Crash-safe state files (persist.h): atomic replacement and a checking
 * reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persist.h"

#define HDR_LEN		16	/* magic, version, length */
#define CRC_LEN		4

/* ---- CRC-32 (IEEE 802.3, reflected, as zlib's crc32) ---- */

uint32_t pvvf_crc32(uint32_t crc, const void *buf, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = buf;

	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- building a body ---- */

static uint8_t *wbuf_room(struct pvvf_wbuf *w, size_t n)
{
	if (w->oom)
		return NULL;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		uint8_t *p;

		while (cap < w->len + n)
			cap *= 2;
		p = realloc(w->p, cap);
		if (!p) {
			w->oom = true;
			return NULL;
		}
		w->p = p;
		w->cap = cap;
	}
	w->len += n;
	return w->p + w->len - n;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void wbuf_le(struct pvvf_wbuf *w, uint64_t v, int n)
{
	uint8_t *p = wbuf_room(w, (size_t)n);

	if (p)
		put_le(p, v, n);
}

void pvvf_wbuf_u8(struct pvvf_wbuf *w, uint8_t v) { wbuf_le(w, v, 1); }
void pvvf_wbuf_u16(struct pvvf_wbuf *w, uint16_t v) { wbuf_le(w, v, 2); }
void pvvf_wbuf_u32(struct pvvf_wbuf *w, uint32_t v) { wbuf_le(w, v, 4); }
void pvvf_wbuf_u64(struct pvvf_wbuf *w, uint64_t v) { wbuf_le(w, v, 8); }

void pvvf_wbuf_bytes(struct pvvf_wbuf *w, const void *src, size_t n)
{
	uint8_t *p = wbuf_room(w, n);

	if (p && n)
		memcpy(p, src, n);
}

void pvvf_wbuf_free(struct pvvf_wbuf *w)
{
	free(w->p);
	memset(w, 0, sizeof(*w));
}

/* ---- parsing a body ---- */

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t rbuf_le(struct pvvf_rbuf *r, int n)
{
	uint64_t v;

	if (r->bad || r->len - r->pos < (size_t)n) {
		r->bad = true;
		return 0;
	}
	v = get_le(r->p + r->pos, n);
	r->pos += (size_t)n;
	return v;
}

uint8_t pvvf_rbuf_u8(struct pvvf_rbuf *r) { return (uint8_t)rbuf_le(r, 1); }
uint16_t pvvf_rbuf_u16(struct pvvf_rbuf *r) { return (uint16_t)rbuf_le(r, 2); }
uint32_t pvvf_rbuf_u32(struct pvvf_rbuf *r) { return (uint32_t)rbuf_le(r, 4); }
uint64_t pvvf_rbuf_u64(struct pvvf_rbuf *r) { return rbuf_le(r, 8); }

void pvvf_rbuf_bytes(struct pvvf_rbuf *r, void *dst, size_t n)
{
	if (r->bad || r->len - r->pos < n) {
		r->bad = true;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p + r->pos, n);
	r->pos += n;
}

bool pvvf_rbuf_done(const struct pvvf_rbuf *r)
{
	return !r->bad && r->pos == r->len;
}

/* ---- files ---- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, err = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

int pvvf_persist_write(const char *path, const char magic[8], uint32_t version,
		       const void *body, size_t len, bool sync)
{
	struct pvvf_wbuf w = { 0 };
	char tmp[PATH_MAX];
	int fd, err;

	if (len > PVVF_PERSIST_MAX)
		return -EFBIG;
	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	pvvf_wbuf_bytes(&w, magic, 8);
	pvvf_wbuf_u32(&w, version);
	pvvf_wbuf_u32(&w, (uint32_t)len);
	pvvf_wbuf_bytes(&w, body, len);
	pvvf_wbuf_u32(&w, w.oom ? 0 : pvvf_crc32(0, w.p, w.len));
	if (w.oom)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = write_all(fd, w.p, w.len);
	if (!err && sync && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	else if (sync)
		err = sync_dir(path);
out:
	pvvf_wbuf_free(&w);
	return err;
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	size_t cap = HDR_LEN + PVVF_PERSIST_MAX + CRC_LEN + 1, n = 0;
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	/* Never trust the size: read at most one byte beyond the limit. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size < cap)
		cap = (size_t)st.st_size + 1;
	p = malloc(cap);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	while (n < cap) {
		ssize_t r = read(fd, p + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*out = p;
	*len = n;
	return 0;
}

int pvvf_persist_read(const char *path, const char magic[8], uint32_t version,
		      void **body, size_t *len, char *why, size_t why_len)
{
	uint8_t *p = NULL;
	size_t n = 0;
	uint32_t blen;
	int err = read_file(path, &p, &n);

	if (err)
		return err;
	if (n < HDR_LEN + CRC_LEN)
		snprintf(why, why_len, "%zu bytes, shorter than a header", n);
	else if (memcmp(p, magic, 8))
		snprintf(why, why_len, "not a %.8s file (bad magic)", magic);
	else if ((uint32_t)get_le(p + 8, 4) != version)
		snprintf(why, why_len, "version %u, this program reads %u",
			 (uint32_t)get_le(p + 8, 4), version);
	else if ((blen = (uint32_t)get_le(p + 12, 4)) > PVVF_PERSIST_MAX ||
		 n != HDR_LEN + (size_t)blen + CRC_LEN)
		snprintf(why, why_len, "%zu bytes, the header says %u (torn or truncated)",
			 n, HDR_LEN + blen + CRC_LEN);
	else if (pvvf_crc32(0, p, n - CRC_LEN) != (uint32_t)get_le(p + n - CRC_LEN, 4))
		snprintf(why, why_len, "checksum mismatch");
	else {
		memmove(p, p + HDR_LEN, blen);
		*body = p;
		*len = blen;
		return 0;
	}
	free(p);
	return -EINVAL;
}
