// SPDX-License-Identifier: BSD-3-Clause
/*
 * One guest's vhost-user link: libvhost-user callbacks, the request
 * queue, the event queue and configuration space.
 *
 * The guest is hostile.  libvhost-user checks descriptor chains (bounds,
 * loops, readable before writable); chain.c turns a request chain into
 * one bounded copy for the core and the reply back; this file serves each
 * guest's queue with a budget per pass of the loop and returns every
 * element it takes through complete().
 * The frontend (QEMU) is trusted to speak vhost-user, but a message that
 * would make libvhost-user exit or overflow is refused anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "pvvfd.h"

#define PVVFD_DEVICE_FEATURES	0xffffffULL	/* device-specific bits 0..23 */

static struct pvvfd_guest *to_guest(VuDev *dev)
{
	return (struct pvvfd_guest *)((char *)dev -
				      offsetof(struct pvvfd_guest, vu));
}

/* Journal values hold no spaces. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (*s == ' ' || *s == '\n' || *s == '\t')
			*s = '_';
}

/* The one way an element goes back to the driver. */
static void complete(VuDev *dev, VuVirtq *vq, VuVirtqElement *elem,
		     unsigned int len)
{
	vu_queue_push(dev, vq, elem, len);
	vu_queue_notify(dev, vq);
	free(elem);
}

/* ---- request queue ---- */

/*
 * Test-only (control socket "corrupt-reply"): spoil the reply in @resp as
 * asked, if it matches.  Returns the used length to report, which may
 * differ from the @used bytes written.
 */
static size_t corrupt_reply(struct pvvfd_guest *g, const uint8_t *req,
			    size_t req_len, uint8_t *resp, size_t used)
{
	static const char *const how[] = {
		[PVVFD_CORRUPT_SHORT] = "short", [PVVFD_CORRUPT_LONG] = "long",
		[PVVFD_CORRUPT_ZERO] = "zero", [PVVFD_CORRUPT_TAG] = "tag",
		[PVVFD_CORRUPT_STATUS] = "status",
	};
	struct pvvfd_fault *f = &g->fault;
	struct virtio_pvvf_resp_head h;
	uint16_t op;
	size_t report = used;

	if (!f->corrupt_n || req_len < sizeof(op) || used < sizeof(h))
		return used;
	memcpy(&op, req, sizeof(op));
	op = le16toh(op);
	if (f->corrupt_op >= 0 && op != f->corrupt_op)
		return used;
	memcpy(&h, resp, sizeof(h));
	switch (f->corrupt) {
	case PVVFD_CORRUPT_SHORT:
		report = sizeof(h) / 2;
		break;
	case PVVFD_CORRUPT_LONG:
		report = used + 8;
		break;
	case PVVFD_CORRUPT_ZERO:
		report = 0;
		break;
	case PVVFD_CORRUPT_TAG:
		h.tag ^= htole32(0x5a5a5a5a);
		break;
	case PVVFD_CORRUPT_STATUS:
		h.status = htole16(0x7ffe);
		break;
	case PVVFD_CORRUPT_NONE:
		return used;
	}
	memcpy(resp, &h, sizeof(h));
	f->corrupt_n--;
	pvvfd_journal("fault guest=%s what=corrupt-reply how=%s op=0x%x used=%zu reported=%zu left=%u",
		      g->opt->name, how[f->corrupt], op, used, report, f->corrupt_n);
	return report;
}

/* The used length to report: the reply's, unless a corrupt-reply fault bites. */
static unsigned int request_one(struct pvvfd_guest *g, VuVirtqElement *elem)
{
	struct pvvfd_chain c;
	size_t report;
	int ret;

	/* Refusals are rate-limited per guest in the journal (journal.c). */
	g->d->serving = g;
	ret = pvvfd_chain_decide(g->core, &c, elem->out_sg, elem->out_num,
				 elem->in_sg, elem->in_num);
	g->d->serving = NULL;
	if (ret) {
		pvvfd_journal("conn guest=%s event=error what=core-reply-overrun used=%zu cap=%zu",
			      g->opt->name, c.used, c.resp_cap);
		return 0;
	}
	report = corrupt_reply(g, c.req, c.req_len, c.resp, c.used);
	pvvfd_chain_reply(&c, elem->in_sg, elem->in_num);
	/* What the reply says is on disk before the guest reads it. */
	pvvfd_state_commit(g->d);
	return (unsigned int)report;
}

/* A kick: the requests are served in the loop's next pass (serve_requests). */
static void request_queue(VuDev *dev, int qidx)
{
	(void)qidx;
	to_guest(dev)->req_pending = true;
}

/*
 * Serve at most @budget requests of the guest's request queue.  Returns
 * true if more are waiting: they stay in the ring, in guest memory, until
 * the next pass, so a guest that floods its queue costs the daemon no
 * memory and the other guests no more than @budget requests per pass.
 * A stall (control socket) leaves requests in the ring, unread.
 */
bool pvvfd_guest_serve(struct pvvfd_guest *g, unsigned int budget)
{
	VuDev *dev = &g->vu;
	VuVirtq *vq;
	VuVirtqElement *elem;

	if (!g->req_pending || !g->vu_ready || g->broken || g->fault.stall ||
	    !(g->started & (1u << VIRTIO_PVVF_VQ_REQUEST))) {
		g->req_pending = false;
		return false;
	}
	vq = vu_get_queue(dev, VIRTIO_PVVF_VQ_REQUEST);
	for (unsigned int n = 0; n < budget && !g->broken; n++) {
		elem = vu_queue_pop(dev, vq, sizeof(*elem));
		if (!elem) {
			g->req_pending = false;
			return false;
		}
		complete(dev, vq, elem, request_one(g, elem));
	}
	g->req_pending = !g->broken && !vu_queue_empty(dev, vq);
	return g->req_pending;
}

/* After a stall: serve what waits in the ring, in the loop's next pass. */
void pvvfd_guest_serve_requests(struct pvvfd_guest *g)
{
	g->req_pending = true;
}

/* ---- event queue ---- */

static void event_queue(VuDev *dev, int qidx)
{
	(void)qidx;
	/* New buffers: deliver what the core holds once the kick is done. */
	to_guest(dev)->events_dirty = true;
}

/*
 * Fill event buffers while the core has events and the driver has
 * buffers.  Without buffers the events stay in the core, which merges
 * them (docs/spec.md 6.9.1).  A buffer that cannot hold an event goes
 * back with used length 0 (the driver ignores it, 6.9.3).
 */
static void deliver_events(struct pvvfd_guest *g)
{
	VuDev *dev = &g->vu;
	VuVirtq *vq = vu_get_queue(dev, VIRTIO_PVVF_VQ_EVENT);
	struct virtio_pvvf_event ev;
	VuVirtqElement *elem;

	while (!g->broken && pvvf_guest_events_pending(g->core)) {
		elem = vu_queue_pop(dev, vq, sizeof(*elem));
		if (!elem)
			return;
		if (elem->out_num ||
		    pvvfd_iov_size(elem->in_sg, elem->in_num) < sizeof(ev)) {
			pvvfd_journal("conn guest=%s event=bad-event-buffer readable=%u writable=%zu",
				      g->opt->name, elem->out_num,
				      pvvfd_iov_size(elem->in_sg, elem->in_num));
			complete(dev, vq, elem, 0);
			continue;
		}
		if (!pvvf_guest_event_pop(g->core, &ev)) {
			/* Nothing after all: the buffer was never used. */
			vu_queue_unpop(dev, vq, elem, 0);
			free(elem);
			return;
		}
		pvvfd_buf_to_iov(elem->in_sg, elem->in_num, &ev, sizeof(ev));
		/* Its seq is on disk first: a restart never reuses it. */
		pvvfd_state_commit(g->d);
		complete(dev, vq, elem, sizeof(ev));
	}
}

/*
 * Test-only (control socket "inject-event"): @len bytes into the next
 * event buffer the driver posted, returned with used length @used, which
 * may be anything.  The core knows nothing of it.
 */
int pvvfd_guest_raw_event(struct pvvfd_guest *g, const void *buf, size_t len,
			  uint32_t used)
{
	VuDev *dev = &g->vu;
	VuVirtq *vq;
	VuVirtqElement *elem;

	if (!g->vu_ready || g->broken ||
	    !(g->started & (1u << VIRTIO_PVVF_VQ_EVENT)))
		return -ENOTCONN;
	vq = vu_get_queue(dev, VIRTIO_PVVF_VQ_EVENT);
	elem = vu_queue_pop(dev, vq, sizeof(*elem));
	if (!elem)
		return -ENOBUFS;
	if (elem->out_num || pvvfd_iov_size(elem->in_sg, elem->in_num) < len) {
		vu_queue_unpop(dev, vq, elem, 0);
		free(elem);
		return -EMSGSIZE;
	}
	pvvfd_buf_to_iov(elem->in_sg, elem->in_num, buf, len);
	complete(dev, vq, elem, used);
	pvvfd_journal("fault guest=%s what=raw-event len=%zu used=%u",
		      g->opt->name, len, used);
	return 0;
}

void pvvfd_guest_flush(struct pvvfd_guest *g)
{
	if (!g->vu_ready || g->broken) {
		/* No link: events wait in the core; config is read on demand. */
		g->config_dirty = false;
		return;
	}
	if (g->config_dirty) {
		g->config_dirty = false;
		if (g->vu.backend_fd != -1 &&
		    (g->vu.protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_CONFIG)))
			vu_config_change_msg(&g->vu);
	}
	if (g->events_dirty) {
		g->events_dirty = false;
		if (g->started & (1u << VIRTIO_PVVF_VQ_EVENT))
			deliver_events(g);
	}
}

/* ---- VuDevIface ---- */

static uint64_t iface_get_features(VuDev *dev)
{
	/*
	 * libvhost-user adds VIRTIO_F_VERSION_1 and the ring features.  No
	 * VIRTIO_F_ACCESS_PLATFORM: libvhost-user has no IOTLB, so the device
	 * must sit outside any IOMMU's translation (docs/spec.md 4).
	 */
	return (1ULL << VIRTIO_F_VERSION_1) |
	       (1ULL << VHOST_USER_F_PROTOCOL_FEATURES) |
	       pvvf_guest_offered_features(to_guest(dev)->core);
}

static void iface_set_features(VuDev *dev, uint64_t features)
{
	to_guest(dev)->features = features;
}

static uint64_t iface_get_protocol_features(VuDev *dev)
{
	(void)dev;
	/* MQ and BACKEND_REQ (config change messages) are libvhost-user's own. */
	return 1ULL << VHOST_USER_PROTOCOL_F_CONFIG;
}

static int iface_process_msg(VuDev *dev, VhostUserMsg *vmsg, int *do_reply)
{
	struct pvvfd_guest *g = to_guest(dev);

	/*
	 * libvhost-user reads end of file as an all-zero message and then
	 * exit()s on its request, VHOST_USER_NONE: one frontend closing its
	 * socket must not stop every guest's daemon.  Drop the link instead.
	 */
	if (vmsg->request == VHOST_USER_NONE) {
		g->broken = true;
		g->broken_reason = "closed";
		*do_reply = 0;
		return 1;
	}
	/*
	 * RESET_OWNER only disables the rings in libvhost-user; to the core
	 * it is a device reset: release everything, stop serving the queues
	 * until the frontend starts them again.
	 */
	if (vmsg->request == VHOST_USER_RESET_OWNER && g->started) {
		for (int q = 0; q < VIRTIO_PVVF_NUM_VQS; q++)
			vu_set_queue_handler(dev, vu_get_queue(dev, q), NULL);
		g->started = 0;
		g->req_pending = false;
		pvvf_guest_disconnect(g->core);
		pvvfd_journal("conn guest=%s event=driver-down reason=reset-owner",
			      g->opt->name);
	}
	return 0;
}

/*
 * A guest restored after a pvvfd restart (pvvf_guest_restore) was left
 * with its driver up.  The frontend reconnects without a device reset
 * (QEMU's vhost-user reconnect) and restarts the request queue where the
 * driver left it, with the features it had: resume, the guest resyncs.
 * A request queue that starts at 0 has never been used since a device
 * reset, other features mean another driver: the device is new (a new
 * frontend, or the driver reset it meanwhile), so what was held goes.
 */
static bool resume_restored(struct pvvfd_guest *g)
{
	uint16_t base = g->vu.vq[VIRTIO_PVVF_VQ_REQUEST].last_avail_idx;

	if (!pvvf_guest_awaiting(g->core))
		return false;
	if (base == 0 || (g->features & PVVFD_DEVICE_FEATURES) !=
			 pvvf_guest_acked_features(g->core)) {
		pvvf_guest_disconnect(g->core);
		pvvfd_journal("conn guest=%s event=restored-released reason=fresh-device",
			      g->opt->name);
		return false;
	}
	pvvf_guest_resume(g->core);
	pvvfd_journal("conn guest=%s event=driver-resumed features=0x%llx request_base=%u",
		      g->opt->name, (unsigned long long)g->features, base);
	return true;
}

static void driver_up(struct pvvfd_guest *g)
{
	int ret;

	if (resume_restored(g))
		return;
	ret = pvvf_guest_ack_features(g->core, g->features & PVVFD_DEVICE_FEATURES);
	if (ret) {
		pvvfd_journal("conn guest=%s event=bad-features features=0x%llx",
			      g->opt->name, (unsigned long long)g->features);
		g->broken = true;
		g->broken_reason = "bad-features";
		return;
	}
	pvvf_guest_connect(g->core);
	pvvfd_journal("conn guest=%s event=driver-up features=0x%llx",
		      g->opt->name, (unsigned long long)g->features);
}

/* The driver is up once a queue starts (DRIVER_OK), down when all stop. */
static void iface_queue_set_started(VuDev *dev, int qidx, bool started)
{
	struct pvvfd_guest *g = to_guest(dev);
	uint32_t before = g->started;

	if (qidx < 0 || qidx >= VIRTIO_PVVF_NUM_VQS)
		return;
	vu_set_queue_handler(dev, vu_get_queue(dev, qidx),
			     !started ? NULL :
			     qidx == VIRTIO_PVVF_VQ_REQUEST ? request_queue :
			     event_queue);
	if (started)
		g->started |= 1u << qidx;
	else
		g->started &= ~(1u << qidx);

	if (!before && g->started) {
		driver_up(g);
	} else if (before && !g->started) {
		pvvf_guest_disconnect(g->core);
		pvvfd_journal("conn guest=%s event=driver-down reason=queues-stopped",
			      g->opt->name);
	}
	if (started && qidx == VIRTIO_PVVF_VQ_EVENT)
		g->events_dirty = true;
	/* Requests posted before the start are served without a new kick. */
	if (qidx == VIRTIO_PVVF_VQ_REQUEST)
		g->req_pending = started;
}

static int iface_get_config(VuDev *dev, uint8_t *config, uint32_t len)
{
	struct pvvfd_guest *g = to_guest(dev);
	struct virtio_pvvf_config cfg;

	/* @len comes from the frontend; the config is 8 bytes. */
	if (len > sizeof(cfg)) {
		pvvfd_journal("conn guest=%s event=bad-config-read len=%u",
			      g->opt->name, len);
		return -1;
	}
	pvvf_guest_get_config(g->core, &cfg);
	if (g->fault.num_vfs_set)		/* test-only: "fake-config" */
		cfg.num_vfs = htole16(g->fault.num_vfs);
	memcpy(config, &cfg, len);
	return 0;
}

static int iface_set_config(VuDev *dev, const uint8_t *data, uint32_t offset,
			    uint32_t size, uint32_t flags)
{
	(void)data;
	(void)flags;
	/*
	 * Read-only (docs/spec.md 5.1): the write is ignored.  An error here
	 * would make libvhost-user drop the whole link.
	 */
	pvvfd_journal("conn guest=%s event=config-write-ignored offset=%u size=%u",
		      to_guest(dev)->opt->name, offset, size);
	return 0;
}

static const VuDevIface pvvfd_iface = {
	.get_features = iface_get_features,
	.set_features = iface_set_features,
	.get_protocol_features = iface_get_protocol_features,
	.process_msg = iface_process_msg,
	.queue_set_started = iface_queue_set_started,
	.get_config = iface_get_config,
	.set_config = iface_set_config,
};

/* ---- libvhost-user plumbing ---- */

static void link_panic(VuDev *dev, const char *err)
{
	struct pvvfd_guest *g = to_guest(dev);
	char msg[160];

	snprintf(msg, sizeof(msg), "%s", err);
	sanitize(msg);
	pvvfd_journal("conn guest=%s event=link-error what=%s", g->opt->name, msg);
	g->broken = true;
	g->broken_reason = "link-error";
}

static uint32_t watch_to_epoll(int cond)
{
	return (cond & VU_WATCH_IN ? EPOLLIN : 0) |
	       (cond & VU_WATCH_OUT ? EPOLLOUT : 0) |
	       (cond & VU_WATCH_PRI ? EPOLLPRI : 0);
}

static int epoll_to_watch(uint32_t ev)
{
	return (ev & EPOLLIN ? VU_WATCH_IN : 0) |
	       (ev & EPOLLOUT ? VU_WATCH_OUT : 0) |
	       (ev & EPOLLPRI ? VU_WATCH_PRI : 0) |
	       (ev & EPOLLERR ? VU_WATCH_ERR : 0) |
	       (ev & EPOLLHUP ? VU_WATCH_HUP : 0);
}

static void vu_set_watch(VuDev *dev, int fd, int cond, vu_watch_cb cb,
			 void *data)
{
	struct pvvfd_guest *g = to_guest(dev);
	struct pvvfd *d = g->d;
	int idx = pvvfd_src_find_watch(d, g, fd);

	if (idx >= 0) {
		if (pvvfd_src_mod(d, idx, watch_to_epoll(cond)))
			link_panic(dev, "cannot update watch");
	} else {
		idx = pvvfd_src_add(d, PVVFD_SRC_WATCH, fd, watch_to_epoll(cond));
		if (idx < 0) {
			link_panic(dev, "cannot watch fd");
			return;
		}
		d->srcs[idx].guest = g;
	}
	d->srcs[idx].cb = cb;
	d->srcs[idx].cb_data = data;
}

static void vu_remove_watch(VuDev *dev, int fd)
{
	struct pvvfd_guest *g = to_guest(dev);
	int idx = pvvfd_src_find_watch(g->d, g, fd);

	if (idx >= 0)
		pvvfd_src_del(g->d, idx);
}

void pvvfd_guest_watch(struct pvvfd *d, struct pvvfd_src *src,
		       uint32_t events)
{
	struct pvvfd_guest *g = src->guest;

	src->cb(&g->vu, epoll_to_watch(events), src->cb_data);
	if (g->broken)
		pvvfd_guest_drop(d, g, g->broken_reason);
}

/* ---- connection lifecycle ---- */

/*
 * Owner-only from the start: the socket is created under umask 077, so
 * no other user can connect between bind() and the chown()/chmod() that
 * follow; @uid/@gid (-1: unchanged) give it to the one peer that may use
 * it.  Connections are refused until listen().
 */
int pvvfd_unix_listen(const char *path, uid_t uid, gid_t gid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_mask;
	int fd, probe, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		/* Remove a stale socket, never a live one or another file. */
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe < 0)
			return -errno;
		err = connect(probe, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0;
		close(probe);
		if (!err)
			return -EADDRINUSE;
		if (err != ECONNREFUSED)
			return -err;
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old_mask = umask(077);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0;
	umask(old_mask);
	if (err) {
		close(fd);
		return -err;
	}
	if (chmod(path, 0600) ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid)) ||
	    listen(fd, 4)) {
		err = errno;
		close(fd);
		unlink(path);
		return -err;
	}
	return fd;
}

/* The uid of the peer of @fd, -1 if the kernel does not say. */
uid_t pvvfd_peer_uid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || len != sizeof(cred))
		return (uid_t)-1;
	return cred.uid;
}

int pvvfd_guest_listen(struct pvvfd *d, struct pvvfd_guest *g)
{
	int fd = pvvfd_unix_listen(g->opt->socket,
				   g->opt->has_socket_owner ? g->opt->socket_uid : (uid_t)-1,
				   g->opt->has_socket_owner ? g->opt->socket_gid : (gid_t)-1);

	if (fd < 0)
		return fd;
	g->listen_src = pvvfd_src_add(d, PVVFD_SRC_LISTEN, fd, EPOLLIN);
	if (g->listen_src < 0) {
		close(fd);
		unlink(g->opt->socket);
		return -ENOSPC;
	}
	d->srcs[g->listen_src].guest = g;
	return 0;
}

void pvvfd_guest_accept(struct pvvfd *d, struct pvvfd_guest *g)
{
	int fd = accept4(d->srcs[g->listen_src].fd, NULL, NULL, SOCK_CLOEXEC);
	uid_t peer;

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			pvvfd_journal("conn guest=%s event=accept-failed errno=%d",
				      g->opt->name, errno);
		return;
	}
	/*
	 * The socket's mode already keeps other users out; the peer's
	 * credentials say so again, whatever happened to the file since.
	 */
	peer = pvvfd_peer_uid(fd);
	if (peer != geteuid() &&
	    !(g->opt->has_socket_owner && peer == g->opt->socket_uid)) {
		pvvfd_journal("conn guest=%s event=refused reason=uid uid=%ld", g->opt->name,
			      peer == (uid_t)-1 ? -1L : (long)peer);
		close(fd);
		return;
	}
	/* One frontend per guest; a second one is turned away. */
	if (g->conn_src >= 0) {
		pvvfd_journal("conn guest=%s event=refused reason=busy", g->opt->name);
		close(fd);
		return;
	}
	g->broken = false;
	g->started = 0;
	g->features = 0;
	if (!vu_init(&g->vu, VIRTIO_PVVF_NUM_VQS, fd, link_panic, NULL,
		     vu_set_watch, vu_remove_watch, &pvvfd_iface)) {
		pvvfd_journal("conn guest=%s event=refused reason=vu-init-failed",
			      g->opt->name);
		close(fd);
		return;
	}
	g->vu_ready = true;
	g->conn_src = pvvfd_src_add(d, PVVFD_SRC_CONN, fd, EPOLLIN);
	if (g->conn_src < 0) {
		vu_deinit(&g->vu);	/* closes fd */
		g->vu_ready = false;
		pvvfd_journal("conn guest=%s event=refused reason=no-slot", g->opt->name);
		return;
	}
	d->srcs[g->conn_src].guest = g;
	pvvfd_journal("conn guest=%s event=connect", g->opt->name);
}

void pvvfd_guest_dispatch(struct pvvfd *d, struct pvvfd_guest *g,
			  uint32_t events)
{
	if (events & EPOLLIN) {
		if (!vu_dispatch(&g->vu)) {
			pvvfd_guest_drop(d, g, g->broken ? g->broken_reason : "closed");
			return;
		}
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		pvvfd_guest_drop(d, g, "hangup");
		return;
	}
	if (g->broken)
		pvvfd_guest_drop(d, g, g->broken_reason);
}

/*
 * The frontend went away (or misbehaved): release everything the guest
 * held through the core, forget the link, keep listening.
 */
void pvvfd_guest_drop(struct pvvfd *d, struct pvvfd_guest *g,
		      const char *reason)
{
	if (g->conn_src < 0)
		return;
	/* A restored guest keeps waiting for its grace period. */
	if (pvvf_guest_connected(g->core) && !pvvf_guest_awaiting(g->core))
		pvvf_guest_disconnect(g->core);
	g->started = 0;
	pvvfd_src_del(d, g->conn_src);
	g->conn_src = -1;
	if (g->vu_ready) {
		vu_deinit(&g->vu);	/* removes its watches, closes the socket */
		g->vu_ready = false;
	}
	g->broken = false;
	g->events_dirty = false;
	g->config_dirty = false;
	g->req_pending = false;
	pvvfd_journal_refusals_flush(g);
	/* Injected faults last as long as the link they were meant for. */
	memset(&g->fault, 0, sizeof(g->fault));
	pvvfd_journal("conn guest=%s event=disconnect reason=%s", g->opt->name,
		      reason);
}

void pvvfd_guest_close(struct pvvfd *d, struct pvvfd_guest *g,
		       const char *reason)
{
	pvvfd_guest_drop(d, g, reason);
	if (g->listen_src >= 0) {
		int fd = d->srcs[g->listen_src].fd;

		pvvfd_src_del(d, g->listen_src);
		close(fd);
		unlink(g->opt->socket);
		g->listen_src = -1;
	}
}
