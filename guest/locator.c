// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf: a locator names a function by its segment, a root bus number fixed
 * by firmware, and the devfn of every hop below that root bus
 * (docs/spec.md 6.4.1).  The guest may number the buses below the root as
 * it likes; the match never looks at those numbers.
 *
 * Pure: reads the pci_dev and pci_bus links, calls nothing.  The caller
 * holds a reference on @pdev, which pins its upstream bridges and buses.
 */
#include <linux/pci.h>

#include "locator.h"

/**
 * pvvf_locator_matches() - is @pdev the function @desc names?
 * @pdev: a guest PCI function
 * @desc: a checked VF descriptor (path_len 1..VIRTIO_PVVF_PATH_MAX)
 *
 * Walks from @pdev up to its root bus, comparing each hop's devfn with the
 * path from its end.
 *
 * Return: true if segment, root bus number and every devfn match.
 */
bool pvvf_locator_matches(const struct pci_dev *pdev,
			  const struct pvvf_vf_desc *desc)
{
	struct pci_bus *bus = pdev->bus;
	int hop = desc->path_len - 1;

	if (hop < 0 || hop >= VIRTIO_PVVF_PATH_MAX ||
	    desc->path[hop] != pdev->devfn)
		return false;
	while (!pci_is_root_bus(bus)) {
		if (--hop < 0 || !bus->self ||
		    desc->path[hop] != bus->self->devfn)
			return false;
		bus = bus->parent;
	}
	return hop == 0 && bus->number == desc->root_bus &&
	       pci_domain_nr(bus) == desc->segment;
}
