/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PVVF_KSHIM_LINUX_STRING_H
#define PVVF_KSHIM_LINUX_STRING_H

#include <string.h>

/* The first byte of @start's @n that is not @c, or NULL (lib/string.c). */
static inline void *memchr_inv(const void *start, int c, size_t n)
{
	const unsigned char *p = start;

	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)c)
			return (void *)(p + i);
	return NULL;
}

#endif
