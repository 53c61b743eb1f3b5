// SPDX-License-Identifier: BSD-3-Clause
/*
 * A test hook (--crash-after WHAT:N): pvvfd kills itself with SIGKILL
 * right after the Nth write of one kind to a PF, so that a test can stop
 * it exactly between changing the hardware and recording the change (the
 * two halves of a PASID or PRI change) and check what a restart makes of
 * it.  It wraps the simulated PF's ops; nothing else changes.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "pvvfd.h"

static const struct pvvfd_options *crash_opts;
static unsigned long crash_count;
static struct pvvf_pf_ops crash_ops;

static void crash_tick(enum pvvfd_crash_what what)
{
	if (crash_opts->crash_what != what || ++crash_count < crash_opts->crash_n)
		return;
	pvvfd_journal("daemon event=crash-after what=%d n=%lu", (int)what, crash_count);
	kill(getpid(), SIGKILL);
}

static int crash_pasid_ctrl_write(void *ctx, uint16_t ctrl)
{
	int ret = pvvf_pf_sim_ops.pasid_ctrl_write(ctx, ctrl);

	crash_tick(PVVFD_CRASH_PASID_WRITE);
	return ret;
}

static int crash_pri_ctrl_write(void *ctx, uint16_t ctrl)
{
	int ret = pvvf_pf_sim_ops.pri_ctrl_write(ctx, ctrl);

	crash_tick(PVVFD_CRASH_PRI_WRITE);
	return ret;
}

static int crash_vf_pri_gate(void *ctx, uint16_t vf, uint32_t alloc)
{
	int ret = pvvf_pf_sim_ops.vf_pri_gate(ctx, vf, alloc);

	crash_tick(PVVFD_CRASH_GATE_WRITE);
	return ret;
}

const struct pvvf_pf_ops *pvvfd_crash_ops(const struct pvvfd_options *o)
{
	if (o->crash_what == PVVFD_CRASH_NONE)
		return &pvvf_pf_sim_ops;
	crash_opts = o;
	crash_ops = pvvf_pf_sim_ops;
	crash_ops.pasid_ctrl_write = crash_pasid_ctrl_write;
	crash_ops.pri_ctrl_write = crash_pri_ctrl_write;
	crash_ops.vf_pri_gate = crash_vf_pri_gate;
	return &crash_ops;
}
