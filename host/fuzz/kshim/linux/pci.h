/* SPDX-License-Identifier: GPL-2.0 */
/* Just the PCI topology links guest/locator.c walks. */
#ifndef PVVF_KSHIM_LINUX_PCI_H
#define PVVF_KSHIM_LINUX_PCI_H

#include <linux/types.h>

struct pci_dev;

struct pci_bus {
	struct pci_bus *parent;		/* NULL: a root bus */
	struct pci_dev *self;		/* the bridge above, NULL for a root */
	unsigned char number;
	int domain_nr;
};

struct pci_dev {
	struct pci_bus *bus;
	unsigned int devfn;
};

static inline bool pci_is_root_bus(struct pci_bus *pbus)
{
	return !pbus->parent;
}

static inline int pci_domain_nr(struct pci_bus *bus)
{
	return bus->domain_nr;
}

#endif
