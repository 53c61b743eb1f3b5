/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvvf: the guest's view of the virtio_pvvf wire format.
 *
 * Everything the device writes is copied out of shared memory, then checked,
 * then converted into the CPU-endian structs below.  No other file reads a
 * device-written field directly.
 *
 * Errors of the parsers:
 *   -EPROTO   a reserved field is not zero, or a reply has the wrong size
 *   -EINVAL   unknown bits in a flags or bit-field value
 *   -ERANGE   a value outside the range the spec allows
 *   -EBADMSG  a reply tag that is not the request's
 *   -EMSGSIZE an event of the wrong size
 *   -EOPNOTSUPP an unknown event type, or a device lacking a required opcode
 */
#ifndef _PVVF_PROTO_H
#define _PVVF_PROTO_H

#include <linux/types.h>
#include <linux/virtio_pvvf.h>

/* The largest request and reply of any opcode, in bytes. */
#define PVVF_REQ_MAX		24
#define PVVF_RESP_MAX		56

struct pvvf_config {
	u32 epoch;
	u16 num_vfs;
};

struct pvvf_vf_desc {
	u16 segment;
	u8 root_bus;
	u8 path_len;
	u8 path[VIRTIO_PVVF_PATH_MAX];
	u16 vendor_id;
	u16 device_id;
	u64 pf_id;
	u16 vf_index;
	u16 flags;		/* VIRTIO_PVVF_VF_F_* */
	u16 cap_offset;		/* 0 unless VIRTIO_PVVF_F_CAP_OFFSET */
	u8 pasid_max_width;
	u8 pasid_features;
	u32 pri_capacity;
	u16 pri_status;
	u8 ats_stu;		/* PF's STU as a page shift; 0: PF ATS off */
};

struct pvvf_vf_state {
	u32 epoch;
	u16 flags;		/* VIRTIO_PVVF_ST_* */
	u16 pri_status;		/* VIRTIO_PVVF_PRI_* */
	u8 pasid_features;
	u8 ats_stu;		/* STU field, 0..31 */
	u32 pri_alloc;
	u32 pri_outstanding;
	u32 pri_pool_free;
};

struct pvvf_event {
	u16 type;		/* VIRTIO_PVVF_EVT_* */
	u16 flags;		/* VIRTIO_PVVF_EVT_F_* */
	u32 vf;			/* slot, or VIRTIO_PVVF_VF_NONE */
	u32 seq;
	u32 epoch;
	u32 detail;
};

struct pvvf_pri_status {
	u16 status;
	u32 outstanding;
};

/* A reply header that passed the transport checks. */
struct pvvf_reply {
	int err;		/* 0, or the status as a negative errno */
	u16 qualifier;		/* VIRTIO_PVVF_Q_*, or 0 if unknown */
};

/* Operands of a request; which ones are used depends on the opcode. */
struct pvvf_req_args {
	u32 value;		/* EVENT_ACK seq, PRI alloc, PASID features */
	u8 enable;		/* ATS_SET */
	u8 stu;			/* ATS_SET: the STU field, 0..31 */
};

/* Opcodes this driver cannot work without (NOP is only pvvf_ping()'s). */
#define PVVF_OPS_REQUIRED \
	(BIT(VIRTIO_PVVF_OP_GET_OPCODES) | BIT(VIRTIO_PVVF_OP_GET_VF) | \
	 BIT(VIRTIO_PVVF_OP_GET_STATE) | BIT(VIRTIO_PVVF_OP_EVENT_ACK) | \
	 BIT(VIRTIO_PVVF_OP_ATS_SET))

int pvvf_proto_req_size(u16 opcode);
int pvvf_proto_resp_size(u16 opcode);
bool pvvf_proto_op_is_vf(u16 opcode);
int pvvf_proto_status_to_errno(u16 status);

int pvvf_proto_build_req(void *buf, size_t buf_len, u16 opcode, u32 vf,
			 u32 tag, const struct pvvf_req_args *args);
int pvvf_proto_check_reply(u16 opcode, u32 tag, const void *buf,
			   u32 used_len, struct pvvf_reply *reply);

int pvvf_proto_parse_config(const struct virtio_pvvf_config *raw,
			    struct pvvf_config *cfg);
int pvvf_proto_num_vfs(u16 *limit, u16 old_num, u16 new_num, u16 *use);
int pvvf_proto_parse_opcodes(const struct virtio_pvvf_resp_opcodes *raw,
			     u64 *known);
int pvvf_proto_parse_vf_desc(const struct virtio_pvvf_vf_desc *raw,
			     bool cap_offset_ok, struct pvvf_vf_desc *desc);
int pvvf_proto_parse_state(const struct virtio_pvvf_vf_state *raw,
			   struct pvvf_vf_state *st);
int pvvf_proto_parse_pri_status(const struct virtio_pvvf_resp_pri_status *raw,
				struct pvvf_pri_status *ps);
int pvvf_proto_parse_event(const void *buf, u32 len, u16 num_vfs,
			   struct pvvf_event *evt);

#endif /* _PVVF_PROTO_H */
