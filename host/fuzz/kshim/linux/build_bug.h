/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PVVF_KSHIM_LINUX_BUILD_BUG_H
#define PVVF_KSHIM_LINUX_BUILD_BUG_H

/* As the kernel's: the message is optional. */
#define static_assert(expr, ...) __static_assert(expr, ##__VA_ARGS__, #expr)
#define __static_assert(expr, msg, ...) _Static_assert(expr, msg)

#endif
