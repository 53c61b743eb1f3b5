/* SPDX-License-Identifier: GPL-2.0 */
/* Just the PCI topology guest/locator.c walks and looks up. */
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
	struct pci_bus *subordinate;	/* the bus below a bridge, or NULL */
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

/*
 * The lookups guest/locator.c makes, over the hierarchy the harness
 * registers here (buses in the order pci_find_bus() meets them).
 */
extern struct pci_bus *kshim_pci_buses;
extern unsigned int kshim_pci_nr_buses;
extern struct pci_dev *kshim_pci_devs;
extern unsigned int kshim_pci_nr_devs;

static inline struct pci_bus *pci_find_bus(int domain, int busnr)
{
	for (unsigned int i = 0; i < kshim_pci_nr_buses; i++)
		if (kshim_pci_buses[i].domain_nr == domain &&
		    kshim_pci_buses[i].number == busnr)
			return &kshim_pci_buses[i];
	return NULL;
}

static inline struct pci_dev *pci_get_slot(struct pci_bus *bus,
					   unsigned int devfn)
{
	for (unsigned int i = 0; i < kshim_pci_nr_devs; i++)
		if (kshim_pci_devs[i].bus == bus &&
		    kshim_pci_devs[i].devfn == devfn)
			return &kshim_pci_devs[i];
	return NULL;
}

/* References are not modelled: the harness's hierarchy outlives a call. */
static inline void pci_dev_put(struct pci_dev *dev)
{
	(void)dev;
}

#endif
