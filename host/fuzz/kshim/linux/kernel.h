/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PVVF_KSHIM_LINUX_KERNEL_H
#define PVVF_KSHIM_LINUX_KERNEL_H

#include <linux/types.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif
