/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvvf: matching a VF descriptor's locator against a guest PCI function,
 * and finding the bus it names.
 */
#ifndef _PVVF_LOCATOR_H
#define _PVVF_LOCATOR_H

#include <linux/types.h>

#include "proto.h"

struct pci_bus;
struct pci_dev;

bool pvvf_locator_matches(const struct pci_dev *pdev,
			  const struct pvvf_vf_desc *desc);
struct pci_bus *pvvf_locator_bus(const struct pvvf_vf_desc *desc);

#endif /* _PVVF_LOCATOR_H */
