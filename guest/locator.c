// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf: a locator names a function by its segment, a root bus number fixed
 * by firmware, and the devfn of every hop below that root bus
 * (docs/spec.md 6.4.1).  The guest may number the buses below the root as
 * it likes; the match never looks at those numbers.
 *
 * pvvf_locator_matches() is pure: it reads the pci_dev and pci_bus links
 * and calls nothing.  The caller holds a reference on @pdev, which pins its
 * upstream bridges and buses.
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

/**
 * pvvf_locator_bus() - the bus a locator's function would be on
 * @desc: a checked VF descriptor (path_len 1..VIRTIO_PVVF_PATH_MAX)
 *
 * Follows the path from the root bus through the bridges it names; the
 * function itself need not be there.
 *
 * Context: under pci_lock_rescan_remove(), which keeps the bus.
 * Return: the bus, or NULL if the root bus or a bridge on the way is
 * missing (or is not a bridge).
 */
struct pci_bus *pvvf_locator_bus(const struct pvvf_vf_desc *desc)
{
	struct pci_bus *bus = pci_find_bus(desc->segment, desc->root_bus);
	struct pci_dev *bridge;
	int hop;

	if (!bus || !pci_is_root_bus(bus) || desc->path_len < 1 ||
	    desc->path_len > VIRTIO_PVVF_PATH_MAX)
		return NULL;
	for (hop = 0; bus && hop < desc->path_len - 1; hop++) {
		bridge = pci_get_slot(bus, desc->path[hop]);
		bus = bridge ? bridge->subordinate : NULL;
		pci_dev_put(bridge);
	}
	return bus;
}
