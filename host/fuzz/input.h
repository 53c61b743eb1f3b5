/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fuzzers' reader of their input: bytes taken one by one from the
 * front, zero once the input ends, so every input is a complete script.
 */
#ifndef PVVF_FUZZ_INPUT_H
#define PVVF_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct input {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t next_u8(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

#endif /* PVVF_FUZZ_INPUT_H */
