// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the guest driver's parsers of everything the host sends,
 * compiled unchanged from the module's own sources (guest/proto.c,
 * guest/order.c, guest/locator.c) in userspace over kshim/.
 *
 * The input is a device talking to one driver, as the driver meets it:
 * the config space, the GET_OPCODES reply, then actions until the input
 * ends, each a byte choosing one of: a GET_VF reply for a slot (its
 * descriptor also matched against a PCI topology made of input bytes, and
 * the bus its locator names looked up there), a
 * GET_STATE reply, a PRI_STATUS reply, the reply of any opcode, an event
 * buffer with any used length, a config change, or an operation the
 * ordering state machine begins and ends with a device-chosen result.
 *
 * Whatever the parsers accept must satisfy what docs/spec.md promises the
 * driver (checked below); anything else is a crash.  Sanitizers catch
 * every out-of-bounds access and undefined operation on the way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/pci.h>

#include "input.h"
#include "locator.h"
#include "order.h"
#include "proto.h"

#define SLOTS		8	/* slots this driver tracks here */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* @n device-written bytes, zero once the input ends */
static void next_bytes(struct input *in, void *buf, size_t n)
{
	size_t c = n < in->left ? n : in->left;

	memset(buf, 0, n);
	memcpy(buf, in->p, c);
	in->p += c;
	in->left -= c;
}

#define require(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_guest: %s:%d: accepted input breaks: %s\n", \
			__FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

struct driver {
	u16 num_vfs;
	u16 num_vfs_limit;
	u64 opcodes;
	bool cap_offset_ok;
	u32 tag;
	bool have[SLOTS];
	struct pvvf_vf_desc desc[SLOTS];
	struct pvvf_order order[SLOTS];
};

/* A reply of @opcode as it comes back: used length, then the buffer. */
static int reply(struct input *in, struct driver *drv, u16 opcode, void *buf,
		 struct pvvf_reply *r)
{
	int size = pvvf_proto_resp_size(opcode);
	u32 used = next_u8(in);
	int err;

	require(size >= 8 && size <= PVVF_RESP_MAX);
	next_bytes(in, buf, size);
	/* mostly the right tag: the checks behind it are the interesting part */
	if (used & 0x80) {
		u32 t = ++drv->tag;

		memcpy((u8 *)buf + 4, &t, sizeof(t));
	}
	used = used & 0x40 ? (u32)size : used & 0x20 ? 8 : used & 0x3f;
	err = pvvf_proto_check_reply(opcode, drv->tag, buf, used, r);
	if (err)
		return err;
	require(used == (u32)size || used == 8);
	require(r->err <= 0);
	require(r->qualifier <= VIRTIO_PVVF_Q_PF_IO);
	/* a header-only reply is never a success */
	require(used == (u32)size || r->err);
	return r->err;
}

static void check_desc(const struct pvvf_vf_desc *d, bool cap_offset_ok)
{
	require(d->path_len >= 1 && d->path_len <= VIRTIO_PVVF_PATH_MAX);
	require(d->vendor_id != 0 && d->vendor_id != 0xffff);
	require(!(d->flags & ~(VIRTIO_PVVF_VF_F_PASID | VIRTIO_PVVF_VF_F_PRI |
			       VIRTIO_PVVF_VF_F_ATS)));
	require(!(d->pasid_features & ~VIRTIO_PVVF_PASID_MASK));
	require(d->pasid_max_width <= VIRTIO_PVVF_PASID_WIDTH_MAX);
	require(!(d->flags & VIRTIO_PVVF_VF_F_PRI) || d->pri_capacity);
	require(!d->ats_stu || (d->ats_stu >= 12 && d->ats_stu <= 43));
	require(cap_offset_ok || !d->cap_offset);
	require(!d->cap_offset ||
		(d->cap_offset >= 0x100 && d->cap_offset <= 0xfe8 && !(d->cap_offset & 3)));
	for (unsigned int i = d->path_len; i < VIRTIO_PVVF_PATH_MAX; i++)
		require(!d->path[i]);
}

/* kshim/linux/pci.h's hierarchy: the one locator() builds. */
struct pci_bus *kshim_pci_buses;
unsigned int kshim_pci_nr_buses;
struct pci_dev *kshim_pci_devs;
unsigned int kshim_pci_nr_devs;

/*
 * A PCI function below up to 8 bridges, all from input bytes: does the
 * locator match it, and which bus does the locator name?
 */
static void locator(struct input *in, const struct pvvf_vf_desc *d)
{
	struct pci_bus bus[VIRTIO_PVVF_PATH_MAX + 2];
	struct pci_dev dev[VIRTIO_PVVF_PATH_MAX + 2];
	unsigned int depth = next_u8(in) % (VIRTIO_PVVF_PATH_MAX + 2);
	struct pci_bus *want_bus = NULL;
	bool want;

	memset(bus, 0, sizeof(bus));
	memset(dev, 0, sizeof(dev));
	/* bus[0] is the root; dev[i] sits on bus[i]; bus[i + 1] is below dev[i] */
	bus[0].number = next_u8(in);
	bus[0].domain_nr = next_u8(in) & 1 ? d->segment : next_u8(in);
	for (unsigned int i = 0; i <= depth; i++) {
		dev[i].bus = &bus[i];
		dev[i].devfn = next_u8(in);
		if (i < depth) {
			bus[i + 1].parent = &bus[i];
			bus[i + 1].self = &dev[i];
			bus[i + 1].number = next_u8(in);
			bus[i + 1].domain_nr = bus[0].domain_nr;
			dev[i].subordinate = &bus[i + 1];
		}
	}
	/* the spec's rule, spelled out: same root, same devfn at every hop */
	want = depth + 1 == d->path_len && bus[0].number == d->root_bus &&
	       bus[0].domain_nr == d->segment;
	for (unsigned int i = 0; want && i <= depth; i++)
		want = dev[i].devfn == d->path[i];
	require(pvvf_locator_matches(&dev[depth], d) == want);

	/* The bus: the root, then the bridge at each hop but the last. */
	if (bus[0].number == d->root_bus && bus[0].domain_nr == d->segment)
		want_bus = &bus[0];
	for (unsigned int h = 0; want_bus && h + 1 < d->path_len; h++)
		want_bus = h < depth && dev[h].devfn == d->path[h] ?
			   &bus[h + 1] : NULL;
	kshim_pci_buses = bus;
	kshim_pci_nr_buses = depth + 1;
	kshim_pci_devs = dev;
	kshim_pci_nr_devs = depth + 1;
	require(pvvf_locator_bus(d) == want_bus);
	kshim_pci_nr_buses = 0;
	kshim_pci_nr_devs = 0;
}

static void order_caps(const struct driver *drv, const struct pvvf_vf_desc *d,
		       struct pvvf_order_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->pasid = d->flags & VIRTIO_PVVF_VF_F_PASID;
	caps->pri = d->flags & VIRTIO_PVVF_VF_F_PRI;
	caps->pasid_features = d->pasid_features;
	caps->pri_capacity = d->pri_capacity;
	caps->ats_stu = d->ats_stu;
	(void)drv;
}

static void get_vf(struct input *in, struct driver *drv, unsigned int slot)
{
	u8 buf[PVVF_RESP_MAX];
	struct virtio_pvvf_vf_desc raw;
	struct pvvf_vf_desc d;
	struct pvvf_order_caps caps;
	struct pvvf_reply r;

	if (reply(in, drv, VIRTIO_PVVF_OP_GET_VF, buf, &r))
		return;
	memcpy(&raw, buf + sizeof(struct virtio_pvvf_resp_head), sizeof(raw));
	if (pvvf_proto_parse_vf_desc(&raw, drv->cap_offset_ok, &d))
		return;
	check_desc(&d, drv->cap_offset_ok);
	locator(in, &d);
	order_caps(drv, &d, &caps);
	if (drv->have[slot]) {
		pvvf_order_set_caps(&drv->order[slot], &caps);
	} else {
		pvvf_order_init(&drv->order[slot], &caps);
		drv->have[slot] = true;
	}
	drv->desc[slot] = d;
}

static void get_state(struct input *in, struct driver *drv, unsigned int slot)
{
	u8 buf[PVVF_RESP_MAX];
	struct virtio_pvvf_vf_state raw;
	struct pvvf_vf_state st;
	struct pvvf_reply r;

	if (reply(in, drv, VIRTIO_PVVF_OP_GET_STATE, buf, &r))
		return;
	memcpy(&raw, buf + sizeof(struct virtio_pvvf_resp_head), sizeof(raw));
	if (pvvf_proto_parse_state(&raw, &st))
		return;
	require(st.ats_stu <= 31);
	require(!(st.pasid_features & ~VIRTIO_PVVF_PASID_MASK));
	require((st.flags & VIRTIO_PVVF_ST_PASID) || !st.pasid_features);
	require(!(st.flags & VIRTIO_PVVF_ST_PRI) || st.pri_alloc);
	if (drv->have[slot]) {
		pvvf_order_sync(&drv->order[slot], &st);
		require(!drv->order[slot].stale || drv->order[slot].gone);
	}
}

static void pri_status(struct input *in, struct driver *drv, unsigned int slot)
{
	struct virtio_pvvf_resp_pri_status raw;
	struct pvvf_pri_status ps;
	struct pvvf_reply r;

	if (reply(in, drv, VIRTIO_PVVF_OP_PRI_STATUS, &raw, &r))
		return;
	if (pvvf_proto_parse_pri_status(&raw, &ps))
		return;
	require(!(ps.status & ~(VIRTIO_PVVF_PRI_RF | VIRTIO_PVVF_PRI_UPRGI |
				VIRTIO_PVVF_PRI_STOPPED | VIRTIO_PVVF_PRI_PASID)));
	if (drv->have[slot])
		pvvf_order_pri_status(&drv->order[slot], ps.status);
}

static void event(struct input *in, struct driver *drv)
{
	u8 buf[sizeof(struct virtio_pvvf_event) + 8];
	u32 len = next_u8(in) & 0x3f;
	struct pvvf_event evt;

	next_bytes(in, buf, sizeof(buf));
	if (len & 0x20)
		len = sizeof(struct virtio_pvvf_event);
	if (pvvf_proto_parse_event(buf, len, drv->num_vfs, &evt))
		return;
	require(len == sizeof(struct virtio_pvvf_event));
	require(evt.type < VIRTIO_PVVF_EVT_COUNT);
	require(!(evt.flags & ~VIRTIO_PVVF_EVT_F_ACK));
	require(evt.vf == VIRTIO_PVVF_VF_NONE || evt.vf < drv->num_vfs);
	if (evt.vf != VIRTIO_PVVF_VF_NONE && evt.vf < SLOTS && drv->have[evt.vf])
		pvvf_order_event(&drv->order[evt.vf], &evt);
}

static void config(struct input *in, struct driver *drv)
{
	struct virtio_pvvf_config raw;
	struct pvvf_config cfg;
	int shrunk;
	u16 use;

	next_bytes(in, &raw, sizeof(raw));
	if (pvvf_proto_parse_config(&raw, &cfg))
		return;
	require(cfg.num_vfs <= VIRTIO_PVVF_MAX_VFS);
	shrunk = pvvf_proto_num_vfs(&drv->num_vfs_limit, drv->num_vfs,
				    cfg.num_vfs, &use);
	/* A shrink drops the bound until a reset; nothing else lowers it. */
	require(use <= cfg.num_vfs && use <= drv->num_vfs_limit);
	require(shrunk ? use < drv->num_vfs : use >= drv->num_vfs);
	drv->num_vfs = use;
}

static void operation(struct input *in, struct driver *drv, unsigned int slot)
{
	enum pvvf_op op = next_u8(in) % PVVF_OP_COUNT;
	u32 arg = next_u8(in);
	struct pvvf_order *o = &drv->order[slot];
	u8 buf[PVVF_RESP_MAX];
	struct pvvf_reply r;
	int result;

	if (!drv->have[slot])
		return;
	require(pvvf_order_op_name(op) != NULL);
	if (pvvf_order_begin(o, op, arg))
		return;
	require(o->inflight == op);
	/* the device's answer, or a timeout */
	if (next_u8(in) & 1) {
		result = -ETIMEDOUT;
	} else {
		/* a checked reply's status, or why it was not usable */
		result = reply(in, drv, VIRTIO_PVVF_OP_ATS_SET, buf, &r);
	}
	pvvf_order_end(o, op, arg, result);
	require(o->inflight == PVVF_OP_NONE);
	pvvf_order_check_stopped(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct driver zero;
	struct input in = { data, size };
	struct driver drv = zero;
	struct virtio_pvvf_resp_opcodes ops;
	struct pvvf_reply r;
	struct pvvf_config cfg;
	struct virtio_pvvf_config raw;

	next_bytes(&in, &raw, sizeof(raw));
	if (pvvf_proto_parse_config(&raw, &cfg))
		return 0;
	drv.num_vfs = cfg.num_vfs;
	drv.num_vfs_limit = VIRTIO_PVVF_MAX_VFS;
	drv.cap_offset_ok = next_u8(&in) & 1;
	if (reply(&in, &drv, VIRTIO_PVVF_OP_GET_OPCODES, &ops, &r) ||
	    pvvf_proto_parse_opcodes(&ops, &drv.opcodes))
		return 0;
	require((drv.opcodes & PVVF_OPS_REQUIRED) == PVVF_OPS_REQUIRED);
	while (in.left) {
		u8 k = next_u8(&in);
		unsigned int slot = (k >> 3) % SLOTS;

		switch (k & 7) {
		case 0:
			get_vf(&in, &drv, slot);
			break;
		case 1:
			get_state(&in, &drv, slot);
			break;
		case 2:
			pri_status(&in, &drv, slot);
			break;
		case 3:
			event(&in, &drv);
			break;
		case 4:
			config(&in, &drv);
			break;
		case 5:
			if (drv.have[slot]) {
				pvvf_order_detach(&drv.order[slot]);
				require(drv.order[slot].gone);
			}
			break;
		default:
			operation(&in, &drv, slot);
			break;
		}
	}
	return 0;
}
