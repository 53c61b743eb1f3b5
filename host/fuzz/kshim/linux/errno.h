/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PVVF_KSHIM_LINUX_ERRNO_H
#define PVVF_KSHIM_LINUX_ERRNO_H

/* The uapi codes; the ones the guest uses have the kernel's values. */
#include_next <linux/errno.h>

#endif
