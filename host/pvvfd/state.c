// SPDX-License-Identifier: BSD-3-Clause
/*
 * The state journal (--state FILE): what pvvfd holds on its PFs, kept so
 * that a pvvfd started after a crash can take it over.  Unlike the log
 * (journal.c) it is state, not history: one record, replaced atomically
 * (persist.h: write new, fsync, rename, fsync the directory) whenever it
 * changed, always before the guest can see the change (a reply, an event
 * or the config epoch).  Body, version 1, little endian:
 *
 *   u32 npfs, then per PF:
 *     u8 len, name[len], u64 pf_id, u16 num_vfs,
 *     u8 flags: PASID_HOST 0x1, PRI_HOST 0x2, PASID_REVOKED 0x4,
 *               PRI_REVOKED 0x8, RESET_PENDING 0x10
 *   u32 nguests, then per guest:
 *     u8 len, name[len], u8 flags: CONNECTED 0x1,
 *     u64 acked features, u32 epoch, u32 next_seq, u16 nslots, then per slot:
 *       u8 pf (index in the PF list above, 0xff: empty slot), u16 vf_index,
 *       u8 flags: ATS 0x1, PASID 0x2, PRI 0x4, DRAINING 0x8, RESET_PENDING 0x10,
 *       u8 ats_stu, u8 pasid_features, u16 pri_faults, u32 pri_alloc,
 *       u32 pri_held
 *
 * Loading checks every field as hostile input; a file that fails any check
 * is refused as a whole with a message, and pvvfd reconciles from the PFs
 * alone.  An entry for a PF or guest the configuration no longer has, or
 * whose slot holds another VF now, is ignored.  docs/design.md, "Restart
 * and reconciliation", has the recovery algorithm.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "persist.h"
#include "pvvfd.h"

#define STATE_MAGIC	"PVVFDJNL"
#define STATE_VERSION	1
#define SLOT_EMPTY	0xff

#define PF_PASID_HOST		0x01
#define PF_PRI_HOST		0x02
#define PF_PASID_REVOKED	0x04
#define PF_PRI_REVOKED		0x08
#define PF_RESET_PENDING	0x10
#define PF_FLAGS		0x1f

#define G_CONNECTED		0x01
#define G_FLAGS			0x01

#define VF_ATS			0x01
#define VF_PASID		0x02
#define VF_PRI			0x04
#define VF_DRAINING		0x08
#define VF_RESET_PENDING	0x10
#define VF_FLAGS		0x1f

/* What a loaded file says, checked and matched to the configuration. */
struct saved_pf {
	bool valid;			/* matches --pf i */
	struct pvvf_pf_saved s;
};

struct saved_slot {
	bool valid;			/* same VF as the configuration's slot */
	struct pvvf_vf_saved s;
};

struct saved_guest {
	bool valid;
	struct pvvf_guest_saved s;
	uint32_t nslots;
	struct saved_slot *slots;
};

static struct {
	bool loaded;
	struct saved_pf pfs[PVVFD_MAX_PFS];
	struct saved_guest guests[PVVFD_MAX_GUESTS];
	struct pvvf_wbuf last;		/* the body on disk */
	bool failing;			/* the last write failed (journaled once) */
	bool ready;			/* set up completely: commits may replace the file */
} st;

/* ---- writing ---- */

static void put_name(struct pvvf_wbuf *w, const char *name)
{
	size_t n = strlen(name);

	pvvf_wbuf_u8(w, (uint8_t)n);
	pvvf_wbuf_bytes(w, name, n);
}

static void put_pf(struct pvvf_wbuf *w, const struct pvvfd_pf *pf)
{
	struct pvvf_pf_saved s;
	struct pvvf_pf_info pi;

	pvvf_pf_get_saved(pf->pf, &s);
	pvvf_pf_get_info(pf->pf, &pi);
	put_name(w, pf->opt->name);
	pvvf_wbuf_u64(w, pf->opt->pf_id);
	pvvf_wbuf_u16(w, pi.num_vfs);
	pvvf_wbuf_u8(w, (s.pasid_host ? PF_PASID_HOST : 0) |
			(s.pri_host ? PF_PRI_HOST : 0) |
			(s.pasid_revoked ? PF_PASID_REVOKED : 0) |
			(s.pri_revoked ? PF_PRI_REVOKED : 0) |
			(s.reset_pending ? PF_RESET_PENDING : 0));
}

static void put_slot(struct pvvf_wbuf *w, const struct pvvfd_guest *g, uint32_t slot)
{
	struct pvvf_vf_saved s;

	if (slot >= g->opt->num_vfs || pvvf_guest_get_vf_saved(g->core, slot, &s)) {
		pvvf_wbuf_u8(w, SLOT_EMPTY);
		return;
	}
	pvvf_wbuf_u8(w, (uint8_t)g->opt->vfs[slot].pf);
	pvvf_wbuf_u16(w, g->opt->vfs[slot].vf_index);
	pvvf_wbuf_u8(w, (s.ats ? VF_ATS : 0) | (s.pasid ? VF_PASID : 0) |
			(s.pri_enabled ? VF_PRI : 0) | (s.pri_draining ? VF_DRAINING : 0) |
			(s.reset_pending ? VF_RESET_PENDING : 0));
	pvvf_wbuf_u8(w, s.ats_stu);
	pvvf_wbuf_u8(w, s.pasid_features);
	pvvf_wbuf_u16(w, s.pri_faults);
	pvvf_wbuf_u32(w, s.pri_alloc);
	pvvf_wbuf_u32(w, s.pri_held);
}

static void put_guest(struct pvvf_wbuf *w, const struct pvvfd_guest *g)
{
	struct pvvf_guest_saved s;
	struct virtio_pvvf_config cfg;
	uint32_t nslots;

	pvvf_guest_get_saved(g->core, &s);
	pvvf_guest_get_config(g->core, &cfg);
	nslots = le16toh(cfg.num_vfs);
	put_name(w, g->opt->name);
	pvvf_wbuf_u8(w, s.connected ? G_CONNECTED : 0);
	pvvf_wbuf_u64(w, s.acked);
	pvvf_wbuf_u32(w, s.epoch);
	pvvf_wbuf_u32(w, s.next_seq);
	pvvf_wbuf_u16(w, (uint16_t)nslots);
	for (uint32_t slot = 0; slot < nslots; slot++)
		put_slot(w, g, slot);
}

void pvvfd_state_commit(struct pvvfd *d)
{
	struct pvvf_wbuf w = { 0 };
	uint32_t n = 0;
	int err;

	if (!d->opts.state_path[0] || !d->core || !st.ready)
		return;
	pvvf_wbuf_u32(&w, d->opts.num_pfs);
	for (unsigned int i = 0; i < d->opts.num_pfs; i++)
		put_pf(&w, &d->pfs[i]);
	for (unsigned int i = 0; i < d->num_guests; i++)
		n += d->guests[i].core != NULL;
	pvvf_wbuf_u32(&w, n);
	for (unsigned int i = 0; i < d->num_guests; i++)
		if (d->guests[i].core)
			put_guest(&w, &d->guests[i]);
	if (w.oom) {
		err = -ENOMEM;
	} else if (w.len == st.last.len && !memcmp(w.p, st.last.p, w.len)) {
		pvvf_wbuf_free(&w);
		return;
	} else {
		err = pvvf_persist_write(d->opts.state_path, STATE_MAGIC, STATE_VERSION,
					 w.p, w.len, true);
	}
	if (err) {
		/* Keep serving; retried at the next change, journaled once. */
		if (!st.failing)
			pvvfd_journal("daemon event=error what=state-write errno=%d", -err);
		st.failing = true;
		pvvf_wbuf_free(&w);
		return;
	}
	st.failing = false;
	pvvf_wbuf_free(&st.last);
	st.last = w;
}

/* ---- reading ---- */

static bool get_name(struct pvvf_rbuf *r, char name[PVVFD_NAME_MAX])
{
	uint8_t n = pvvf_rbuf_u8(r);

	if (n == 0 || n >= PVVFD_NAME_MAX)
		return false;
	pvvf_rbuf_bytes(r, name, n);
	name[n] = '\0';
	return !r->bad && strlen(name) == n;
}

static int find_pf(const struct pvvfd *d, const char *name)
{
	for (unsigned int i = 0; i < d->opts.num_pfs; i++)
		if (!strcmp(d->opts.pfs[i].name, name))
			return (int)i;
	return -1;
}

static int find_guest(const struct pvvfd *d, const char *name)
{
	for (unsigned int i = 0; i < d->opts.num_guests; i++)
		if (!strcmp(d->opts.guests[i].name, name))
			return (int)i;
	return -1;
}

/* PF entry @k of the file; map[k] is its --pf index, or -1. */
static bool get_pf(struct pvvfd *d, struct pvvf_rbuf *r, int *map)
{
	char name[PVVFD_NAME_MAX];
	uint64_t pf_id;
	uint16_t num_vfs;
	uint8_t f;
	int i;

	if (!get_name(r, name))
		return false;
	pf_id = pvvf_rbuf_u64(r);
	num_vfs = pvvf_rbuf_u16(r);
	f = pvvf_rbuf_u8(r);
	if (r->bad || (f & ~PF_FLAGS))
		return false;
	i = find_pf(d, name);
	/* a real PF's VF count is known once it is open: the core checks it */
	if (i >= 0 && (d->opts.pfs[i].pf_id != pf_id || st.pfs[i].valid ||
		       (d->opts.pfs[i].backend == PVVFD_PF_SIM &&
			d->opts.pfs[i].sim.num_vfs != num_vfs)))
		i = -1;
	*map = i;
	if (i < 0)
		return true;
	st.pfs[i].valid = true;
	st.pfs[i].s = (struct pvvf_pf_saved){
		.pasid_host = f & PF_PASID_HOST, .pri_host = f & PF_PRI_HOST,
		.pasid_revoked = f & PF_PASID_REVOKED,
		.pri_revoked = f & PF_PRI_REVOKED,
		.reset_pending = f & PF_RESET_PENDING,
	};
	return true;
}

static bool get_slot(struct pvvf_rbuf *r, uint32_t npfs, const int *map,
		     const struct pvvfd_guest_opt *go, uint32_t slot,
		     struct saved_slot *out)
{
	uint8_t pf = pvvf_rbuf_u8(r), f;
	uint16_t vf_index;

	if (pf == SLOT_EMPTY)
		return !r->bad;
	vf_index = pvvf_rbuf_u16(r);
	f = pvvf_rbuf_u8(r);
	out->s = (struct pvvf_vf_saved){
		.ats = f & VF_ATS, .pasid = f & VF_PASID, .pri_enabled = f & VF_PRI,
		.pri_draining = f & VF_DRAINING, .reset_pending = f & VF_RESET_PENDING,
	};
	out->s.ats_stu = pvvf_rbuf_u8(r);
	out->s.pasid_features = pvvf_rbuf_u8(r);
	out->s.pri_faults = pvvf_rbuf_u16(r);
	out->s.pri_alloc = pvvf_rbuf_u32(r);
	out->s.pri_held = pvvf_rbuf_u32(r);
	if (r->bad || pf >= npfs || (f & ~VF_FLAGS))
		return false;
	/* The same VF in the same slot as configured now, or nothing. */
	out->valid = map[pf] >= 0 && slot < go->num_vfs &&
		     go->vfs[slot].pf == (unsigned int)map[pf] &&
		     go->vfs[slot].vf_index == vf_index;
	return true;
}

static bool get_guest(struct pvvfd *d, struct pvvf_rbuf *r, uint32_t npfs,
		      const int *map)
{
	char name[PVVFD_NAME_MAX];
	struct saved_guest *sg, scratch = { 0 };
	const struct pvvfd_guest_opt *go;
	uint8_t f;
	int i;

	if (!get_name(r, name))
		return false;
	i = find_guest(d, name);
	sg = i >= 0 && !st.guests[i].valid ? &st.guests[i] : &scratch;
	go = i >= 0 ? &d->opts.guests[i] : NULL;
	f = pvvf_rbuf_u8(r);
	sg->s.connected = f & G_CONNECTED;
	sg->s.acked = pvvf_rbuf_u64(r);
	sg->s.epoch = pvvf_rbuf_u32(r);
	sg->s.next_seq = pvvf_rbuf_u32(r);
	sg->nslots = pvvf_rbuf_u16(r);
	if (r->bad || (f & ~G_FLAGS) || sg->nslots > VIRTIO_PVVF_MAX_VFS)
		goto bad;
	sg->slots = calloc(sg->nslots ? sg->nslots : 1, sizeof(*sg->slots));
	if (!sg->slots)
		goto bad;
	for (uint32_t s = 0; s < sg->nslots; s++) {
		struct saved_slot tmp = { 0 };

		if (!get_slot(r, npfs, map, go ? go : &(struct pvvfd_guest_opt){ 0 },
			      s, &tmp))
			goto bad;
		if (go)
			sg->slots[s] = tmp;
	}
	sg->valid = sg != &scratch;
	free(scratch.slots);
	return true;
bad:
	free(sg->slots);
	sg->slots = NULL;
	return false;
}

static bool parse(struct pvvfd *d, const void *body, size_t len)
{
	struct pvvf_rbuf r = { .p = body, .len = len };
	int map[PVVFD_MAX_PFS];
	uint32_t npfs, nguests;

	npfs = pvvf_rbuf_u32(&r);
	if (r.bad || npfs > PVVFD_MAX_PFS)
		return false;
	for (uint32_t i = 0; i < npfs; i++)
		if (!get_pf(d, &r, &map[i]))
			return false;
	nguests = pvvf_rbuf_u32(&r);
	if (r.bad || nguests > PVVFD_MAX_GUESTS)
		return false;
	for (uint32_t i = 0; i < nguests; i++)
		if (!get_guest(d, &r, npfs, map))
			return false;
	return pvvf_rbuf_done(&r);
}

static void forget(void)
{
	for (int i = 0; i < PVVFD_MAX_GUESTS; i++)
		free(st.guests[i].slots);
	memset(st.pfs, 0, sizeof(st.pfs));
	memset(st.guests, 0, sizeof(st.guests));
	st.loaded = false;
}

int pvvfd_state_load(struct pvvfd *d)
{
	char why[160];
	void *body;
	size_t len;
	int err;

	if (!d->opts.state_path[0])
		return 0;
	err = pvvf_persist_read(d->opts.state_path, STATE_MAGIC, STATE_VERSION,
				&body, &len, why, sizeof(why));
	if (err == -ENOENT) {
		pvvfd_journal("daemon event=state status=none");
		return 0;
	}
	if (err == -EINVAL || (!err && !parse(d, body, len))) {
		if (!err)
			snprintf(why, sizeof(why), "a field is out of range");
		if (!err)
			free(body);
		forget();
		fprintf(stderr, "pvvfd: warning: --state %s: refused, %s: reconciling from the PFs alone\n",
			d->opts.state_path, why);
		for (char *c = why; *c; c++)
			if (*c == ' ')
				*c = '_';
		pvvfd_journal("daemon event=state status=refused why=%s", why);
		return 0;
	}
	if (err) {
		fprintf(stderr, "pvvfd: error: --state %s: %s\n", d->opts.state_path,
			strerror(-err));
		return -1;
	}
	free(body);
	st.loaded = true;
	pvvfd_journal("daemon event=state status=loaded");
	return 0;
}

const struct pvvf_pf_saved *pvvfd_state_pf(unsigned int i)
{
	return st.loaded && st.pfs[i].valid ? &st.pfs[i].s : NULL;
}

/* Give a guest back what the file says it held; after its VFs were added. */
void pvvfd_state_restore_guest(struct pvvfd *d, struct pvvfd_guest *g,
			       unsigned int i)
{
	const struct saved_guest *sg = &st.guests[i];
	int err;

	if (!st.loaded || !sg->valid || !sg->s.connected)
		return;
	err = pvvf_guest_restore(g->core, &sg->s, d->opts.reconnect_grace_ns);
	if (err) {
		pvvfd_journal("daemon event=restore-refused guest=%s errno=%d", g->opt->name, -err);
		return;
	}
	for (uint32_t s = 0; s < sg->nslots; s++) {
		if (!sg->slots[s].valid)
			continue;
		err = pvvf_guest_restore_vf(g->core, s, &sg->slots[s].s);
		if (err)
			pvvfd_journal("daemon event=restore-refused guest=%s slot=%u errno=%d",
				      g->opt->name, s, -err);
	}
}

void pvvfd_state_done(struct pvvfd *d)
{
	if (!d->opts.state_path[0])
		return;
	pvvf_core_restore_done(d->core);
	forget();
	st.ready = true;
	pvvfd_state_commit(d);
}

void pvvfd_state_close(void)
{
	forget();
	pvvf_wbuf_free(&st.last);
}
