/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's byte order helpers over glibc's <endian.h>. */
#ifndef PVVF_KSHIM_ASM_BYTEORDER_H
#define PVVF_KSHIM_ASM_BYTEORDER_H

#include <endian.h>
#include <linux/types.h>

#define le16_to_cpu(x)	((u16)le16toh((__force u16)(x)))
#define le32_to_cpu(x)	((u32)le32toh((__force u32)(x)))
#define le64_to_cpu(x)	((u64)le64toh((__force u64)(x)))
#define cpu_to_le16(x)	((__force __le16)htole16(x))
#define cpu_to_le32(x)	((__force __le32)htole32(x))
#define cpu_to_le64(x)	((__force __le64)htole64(x))

#ifndef __force
#define __force
#endif

#endif
