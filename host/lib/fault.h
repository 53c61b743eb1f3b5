/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection: deliberately broken variants of the core, built only
 * into the test library libpvvf_fault.a (-DPVVF_FAULT_INJECTION), so a
 * test can show that the simulated PF catches a core that breaks a PCIe
 * rule.  In the real library every pvvf_fault() is constant false.
 */
#ifndef PVVF_HOST_FAULT_H
#define PVVF_HOST_FAULT_H

#include <stdbool.h>

#define PVVF_FAULT_IGNORE_ATS		0x1	/* toggle PF PASID under ATS */
#define PVVF_FAULT_PRI_REALLOC		0x2	/* rewrite PRI allocation while enabled */
#define PVVF_FAULT_NO_POOL_CHECK	0x4	/* carve beyond the PRI pool */

#ifdef PVVF_FAULT_INJECTION
extern unsigned int pvvf_fault_mask;

static inline bool pvvf_fault(unsigned int f)
{
	return pvvf_fault_mask & f;
}
#else
static inline bool pvvf_fault(unsigned int f)
{
	(void)f;
	return false;
}
#endif

#endif /* PVVF_HOST_FAULT_H */
