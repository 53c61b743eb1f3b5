/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_pvvf: paravirtual SR-IOV VF awareness.
 *
 * The wire contract between a guest driver and a device that tells the guest
 * which of its PCI functions are SR-IOV Virtual Functions, and arbitrates the
 * PASID and PRI state those VFs share with their Physical Function.
 *
 * docs/spec.md is the normative text; this header is its single source of
 * truth for layouts and numbers.  All fields are little-endian.  Reserved
 * fields are written as zero and checked to be zero by the receiver.
 */
#ifndef _UAPI_LINUX_VIRTIO_PVVF_H
#define _UAPI_LINUX_VIRTIO_PVVF_H

#include <linux/types.h>

/* Device ID: provisional, not allocated by the virtio TC. */
#define VIRTIO_ID_PVVF				63

/* Feature bits (device-specific range 0..23) */
#define VIRTIO_PVVF_F_PASID			0 /* PASID enable/disable */
#define VIRTIO_PVVF_F_PRI			1 /* PRI enable/disable/reset/status */
#define VIRTIO_PVVF_F_CAP_OFFSET		2 /* descriptors carry a free config offset */

/* Virtqueues */
#define VIRTIO_PVVF_VQ_REQUEST			0
#define VIRTIO_PVVF_VQ_EVENT			1
#define VIRTIO_PVVF_NUM_VQS			2

/* Limits */
#define VIRTIO_PVVF_MAX_VFS			4096 /* VF slots per device */
#define VIRTIO_PVVF_PATH_MAX			8    /* devfn hops from a root bus */
#define VIRTIO_PVVF_PASID_WIDTH_MAX		20   /* PCIe Max PASID Width */
#define VIRTIO_PVVF_VF_NONE			0xffffffffU /* vf of device-scoped ops */

/*
 * Device configuration layout.  Read-only; read inside a config generation
 * loop.  @epoch changes whenever the VF table or any PF state shared with a
 * VF of this device changes.  @num_vfs is the number of VF slots; it never
 * decreases while DRIVER_OK is set.
 */
struct virtio_pvvf_config {
	__le32 epoch;
	__le16 num_vfs;
	__u8 reserved[2];
};

/* Request opcodes */
#define VIRTIO_PVVF_OP_NOP			0x0000 /* device: transport ping */
#define VIRTIO_PVVF_OP_GET_OPCODES		0x0001 /* device: supported set */
#define VIRTIO_PVVF_OP_GET_VF			0x0002 /* VF descriptor */
#define VIRTIO_PVVF_OP_GET_STATE		0x0003 /* per-VF state read-back */
#define VIRTIO_PVVF_OP_EVENT_ACK		0x0004 /* device: acknowledge an event */
#define VIRTIO_PVVF_OP_ATS_SET			0x0005 /* VF's own ATS enable/STU */
#define VIRTIO_PVVF_OP_PASID_ENABLE		0x0010
#define VIRTIO_PVVF_OP_PASID_DISABLE		0x0011
#define VIRTIO_PVVF_OP_PRI_ENABLE		0x0020
#define VIRTIO_PVVF_OP_PRI_DISABLE		0x0021
#define VIRTIO_PVVF_OP_PRI_RESET		0x0022
#define VIRTIO_PVVF_OP_PRI_STATUS		0x0023
#define VIRTIO_PVVF_OP_COUNT			256 /* opcodes are below this */

/* Request header flags: none are defined; the field must be zero */
#define VIRTIO_PVVF_REQ_F_NONE			0x0000

/* Reply status: errno numbers, with these values on every architecture */
#define VIRTIO_PVVF_S_OK			0
#define VIRTIO_PVVF_S_EPERM			1
#define VIRTIO_PVVF_S_EIO			5
#define VIRTIO_PVVF_S_EAGAIN			11
#define VIRTIO_PVVF_S_ENOMEM			12
#define VIRTIO_PVVF_S_EBUSY			16
#define VIRTIO_PVVF_S_ENODEV			19
#define VIRTIO_PVVF_S_EINVAL			22
#define VIRTIO_PVVF_S_ENOSPC			28
#define VIRTIO_PVVF_S_EPROTO			71
#define VIRTIO_PVVF_S_EOPNOTSUPP		95
#define VIRTIO_PVVF_S_ETIMEDOUT			110
#define VIRTIO_PVVF_S_EALREADY			114

/* Reply qualifier: why a request failed */
#define VIRTIO_PVVF_Q_NONE			0
#define VIRTIO_PVVF_Q_BAD_LENGTH		1  /* buffer size wrong for opcode */
#define VIRTIO_PVVF_Q_RESERVED			2  /* reserved field not zero */
#define VIRTIO_PVVF_Q_BAD_OPCODE		3  /* opcode not supported */
#define VIRTIO_PVVF_Q_BAD_FLAGS			4  /* flags or feature bits not known */
#define VIRTIO_PVVF_Q_BAD_VALUE			5  /* field value out of range */
#define VIRTIO_PVVF_Q_FEATURE			6  /* feature bit not negotiated */
#define VIRTIO_PVVF_Q_VF_ATS			7  /* this VF has ATS enabled */
#define VIRTIO_PVVF_Q_PF_ATS			8  /* PF change needed, ATS on elsewhere */
#define VIRTIO_PVVF_Q_PF_UNSUPPORTED		9  /* PF lacks the capability or bit */
#define VIRTIO_PVVF_Q_PRI_ENABLED		10 /* PRI must be disabled first */
#define VIRTIO_PVVF_Q_NOT_STOPPED		11 /* page requests still outstanding */
#define VIRTIO_PVVF_Q_POOL			12 /* PRI pool has too little left */
#define VIRTIO_PVVF_Q_PF_GONE			13 /* the PF was removed */
#define VIRTIO_PVVF_Q_PF_RESET			14 /* a PF reset is in progress */
#define VIRTIO_PVVF_Q_STU			15 /* STU differs from the PF's */
#define VIRTIO_PVVF_Q_REVOKED			16 /* host revoked the PF state */
#define VIRTIO_PVVF_Q_SEQ			17 /* no such unacknowledged event */
#define VIRTIO_PVVF_Q_PF_IO			18 /* PF config access failed */

/* PASID features: same bit values as the PCIe PASID Capability register */
#define VIRTIO_PVVF_PASID_EXEC			0x02
#define VIRTIO_PVVF_PASID_PRIV			0x04
#define VIRTIO_PVVF_PASID_MASK			0x06

/* PRI status: same bit values as the PCIe PRI Status register */
#define VIRTIO_PVVF_PRI_RF			0x0001 /* Response Failure */
#define VIRTIO_PVVF_PRI_UPRGI			0x0002 /* Unexpected PRG Index */
#define VIRTIO_PVVF_PRI_STOPPED			0x0100
#define VIRTIO_PVVF_PRI_PASID			0x8000 /* PRG Response PASID Required */

/* Every request starts with this header (driver-readable). */
struct virtio_pvvf_req_head {
	__le16 opcode;
	__le16 flags;
	__le32 vf;		/* VF slot, or VIRTIO_PVVF_VF_NONE */
	__le32 tag;		/* chosen by the driver, echoed in the reply */
	__u8 reserved[4];
};

/* Every reply starts with this header (device-writable). */
struct virtio_pvvf_resp_head {
	__le16 status;		/* VIRTIO_PVVF_S_* */
	__le16 qualifier;	/* VIRTIO_PVVF_Q_* */
	__le32 tag;		/* the request's tag */
};

/*
 * Requests that carry nothing but the header: NOP, GET_OPCODES, GET_VF,
 * GET_STATE, PASID_DISABLE, PRI_DISABLE, PRI_RESET, PRI_STATUS.
 * Replies that carry nothing but the header: NOP, EVENT_ACK, ATS_SET,
 * PASID_ENABLE, PASID_DISABLE, PRI_ENABLE, PRI_DISABLE, PRI_RESET.
 */

/* GET_OPCODES reply: bit n of byte n / 8 set if opcode n is supported */
struct virtio_pvvf_resp_opcodes {
	struct virtio_pvvf_resp_head head;
	__u8 bitmap[VIRTIO_PVVF_OP_COUNT / 8];
};

/* VF descriptor flags */
#define VIRTIO_PVVF_VF_F_PASID			0x0001 /* PF has PASID */
#define VIRTIO_PVVF_VF_F_PRI			0x0002 /* PF has PRI */
#define VIRTIO_PVVF_VF_F_ATS			0x0004 /* VF has its own ATS */

/*
 * GET_VF reply.  The locator names the function in the guest: PCI segment,
 * the number of a root bus (fixed by firmware, not by guest enumeration) and
 * the devfn of every hop from that root bus down to the VF.
 */
struct virtio_pvvf_vf_desc {
	__le16 segment;
	__u8 root_bus;
	__u8 path_len;				/* 1..VIRTIO_PVVF_PATH_MAX */
	__u8 path[VIRTIO_PVVF_PATH_MAX];	/* path[path_len - 1] is the VF */
	__le16 vendor_id;
	__le16 device_id;
	__le64 pf_id;				/* opaque PF identity */
	__le16 vf_index;			/* 0-based VF number in the PF */
	__le16 flags;				/* VIRTIO_PVVF_VF_F_* */
	__le16 cap_offset;			/* free ext. config offset, 0: none */
	__u8 pasid_max_width;			/* 0..VIRTIO_PVVF_PASID_WIDTH_MAX */
	__u8 pasid_features;			/* VIRTIO_PVVF_PASID_EXEC|PRIV */
	__le32 pri_capacity;			/* PF outstanding request capacity */
	__le16 pri_status;			/* only VIRTIO_PVVF_PRI_PASID */
	__u8 ats_stu;				/* PF STU as page shift; 0: ATS off */
	__u8 reserved[9];
};

struct virtio_pvvf_resp_get_vf {
	struct virtio_pvvf_resp_head head;
	struct virtio_pvvf_vf_desc desc;
};

/* Per-VF state flags */
#define VIRTIO_PVVF_ST_PRESENT			0x0001 /* slot holds a VF */
#define VIRTIO_PVVF_ST_ATS			0x0002 /* VF ATS enabled */
#define VIRTIO_PVVF_ST_PASID			0x0004 /* VF PASID enabled */
#define VIRTIO_PVVF_ST_PRI			0x0008 /* VF PRI enabled */
#define VIRTIO_PVVF_ST_PF_PASID			0x0010 /* PF PASID enabled */
#define VIRTIO_PVVF_ST_PF_PRI			0x0020 /* PF PRI enabled */
#define VIRTIO_PVVF_ST_PF_RESET			0x0040 /* PF reset in progress */
#define VIRTIO_PVVF_ST_PF_GONE			0x0080 /* PF removed */

/* GET_STATE reply: everything a driver needs to resynchronise one VF */
struct virtio_pvvf_vf_state {
	__le32 epoch;
	__le16 flags;			/* VIRTIO_PVVF_ST_* */
	__le16 pri_status;		/* VIRTIO_PVVF_PRI_* */
	__u8 pasid_features;		/* enabled VIRTIO_PVVF_PASID_* */
	__u8 ats_stu;			/* VF's ATS Control STU field */
	__u8 reserved[2];
	__le32 pri_alloc;		/* VF's PRI allocation */
	__le32 pri_outstanding;		/* VF's outstanding page requests */
	__le32 pri_pool_free;		/* unallocated part of the PF pool */
	__u8 reserved2[4];
};

struct virtio_pvvf_resp_state {
	struct virtio_pvvf_resp_head head;
	struct virtio_pvvf_vf_state state;
};

/* EVENT_ACK request */
struct virtio_pvvf_req_event_ack {
	struct virtio_pvvf_req_head head;
	__le32 seq;
	__u8 reserved[4];
};

/* ATS_SET request: the VF's own ATS Control register, as the guest wrote it */
struct virtio_pvvf_req_ats_set {
	struct virtio_pvvf_req_head head;
	__u8 enable;			/* 0 or 1 */
	__u8 stu;			/* ATS Control STU field (shift - 12) */
	__u8 reserved[6];
};

/* PASID_ENABLE request */
struct virtio_pvvf_req_pasid_enable {
	struct virtio_pvvf_req_head head;
	__u8 features;			/* VIRTIO_PVVF_PASID_EXEC|PRIV */
	__u8 reserved[7];
};

/* PRI_ENABLE request */
struct virtio_pvvf_req_pri_enable {
	struct virtio_pvvf_req_head head;
	__le32 alloc;			/* outstanding page requests, >= 1 */
	__u8 reserved[4];
};

/* PRI_STATUS reply */
struct virtio_pvvf_resp_pri_status {
	struct virtio_pvvf_resp_head head;
	__le16 status;			/* VIRTIO_PVVF_PRI_* */
	__u8 reserved[2];
	__le32 outstanding;
};

/* Event types */
#define VIRTIO_PVVF_EVT_RESYNC			0 /* events lost: re-read all */
#define VIRTIO_PVVF_EVT_PF_STATE		1 /* PF shared state changed */
#define VIRTIO_PVVF_EVT_PF_RESET_BEGIN		2 /* ack required */
#define VIRTIO_PVVF_EVT_PF_RESET_DONE		3
#define VIRTIO_PVVF_EVT_VF_RESET_BEGIN		4 /* ack required */
#define VIRTIO_PVVF_EVT_VF_RESET_DONE		5
#define VIRTIO_PVVF_EVT_PRI_STOPPED		6
#define VIRTIO_PVVF_EVT_VF_TABLE		7 /* slot added or removed */
#define VIRTIO_PVVF_EVT_PF_REMOVED		8
#define VIRTIO_PVVF_EVT_COUNT			9

/* Event flags */
#define VIRTIO_PVVF_EVT_F_ACK			0x0001 /* send EVENT_ACK(seq) */

/* PF_STATE detail bits */
#define VIRTIO_PVVF_DETAIL_PASID_REVOKED	0x0001 /* host disabled PF PASID */
#define VIRTIO_PVVF_DETAIL_PRI_REVOKED		0x0002 /* host disabled PF PRI */
#define VIRTIO_PVVF_DETAIL_VALUES		0x0004 /* descriptor values changed */

/* Event queue buffer (device-writable) */
struct virtio_pvvf_event {
	__le16 type;			/* VIRTIO_PVVF_EVT_* */
	__le16 flags;			/* VIRTIO_PVVF_EVT_F_* */
	__le32 vf;			/* VF slot, or VIRTIO_PVVF_VF_NONE */
	__le32 seq;			/* per device, increments by one */
	__le32 epoch;			/* config epoch after the change */
	__le32 detail;			/* type-specific */
	__u8 reserved[12];
};

/*
 * Sizes are part of the contract: check them wherever the header is built,
 * kernel or userspace (C11 or later).
 */
#if defined(__KERNEL__) || \
	(defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L)
#define VIRTIO_PVVF_SIZE_CHECK(t, n) \
	_Static_assert(sizeof(struct t) == (n), #t " is " #n " bytes")
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_config, 8);
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_req_head, 16);
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_resp_head, 8);
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_resp_opcodes, 40);
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_vf_desc, 48);
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_resp_get_vf, 56);
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_vf_state, 28);
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_resp_state, 36);
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_req_event_ack, 24);
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_req_ats_set, 24);
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_req_pasid_enable, 24);
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_req_pri_enable, 24);
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_resp_pri_status, 16);
VIRTIO_PVVF_SIZE_CHECK(virtio_pvvf_event, 32);
#undef VIRTIO_PVVF_SIZE_CHECK
#endif

#endif /* _UAPI_LINUX_VIRTIO_PVVF_H */
