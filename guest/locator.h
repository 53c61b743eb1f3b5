/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvvf: matching a VF descriptor's locator against a guest PCI function.
 */
#ifndef _PVVF_LOCATOR_H
#define _PVVF_LOCATOR_H

#include <linux/types.h>

#include "proto.h"

struct pci_dev;

bool pvvf_locator_matches(const struct pci_dev *pdev,
			  const struct pvvf_vf_desc *desc);

#endif /* _PVVF_LOCATOR_H */
