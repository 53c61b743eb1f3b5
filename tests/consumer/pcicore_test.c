// SPDX-License-Identifier: GPL-2.0
/*
 * pcicore_test: an unmodified-style consumer of PASID and PRI for the
 * end-to-end tests of transparent mode.  It uses only the PCI core API,
 * no pvvf symbol: whatever it sees of a VF, it sees through the
 * capabilities pvvf.ko synthesizes in the VF's config space.
 *
 * Write commands to /sys/kernel/debug/pcicore_test/cmd:
 *
 *   <pci-name> info                  what the PCI core reports
 *   <pci-name> pasid_on <features>   pci_enable_pasid()
 *   <pci-name> pasid_off             pci_disable_pasid()
 *   <pci-name> ats_on <page-shift>   pci_enable_ats()
 *   <pci-name> ats_off               pci_disable_ats()
 *
 * Each command logs "pcicore_test: <pci-name> <step> = <errno>"; info
 * logs one "pcicore_test: <pci-name> info key=value ..." line first.  A
 * command that does not parse, or names no PCI device, fails the write.
 *
 * PRI has no exported enable or reset (pci_enable_pri() and
 * pci_reset_pri() are built-in only on 6.1 and 6.12), and
 * pci_disable_pri() warns unless pci_enable_pri() ran: the tests drive
 * PRI Control from userspace through the config file in sysfs instead.
 */
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/string.h>
#include <linux/uaccess.h>

static struct dentry *pcicore_test_dir;

static void pcicore_test_step(struct pci_dev *pdev, const char *step, int ret)
{
	pr_info("pcicore_test: %s %s = %d\n", pci_name(pdev), step, ret);
}

static void pcicore_test_info(struct pci_dev *pdev)
{
	pr_info("pcicore_test: %s info pasid_cap=%#x pasid_features=%d max_pasids=%d pasid_enabled=%d pri_cap=%#x pri_supported=%d pri_enabled=%d ats_enabled=%d\n",
		pci_name(pdev),
		pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_PASID),
		pci_pasid_features(pdev), pci_max_pasids(pdev),
		pdev->pasid_enabled,
		pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_PRI),
		pci_pri_supported(pdev), pdev->pri_enabled, pdev->ats_enabled);
	pcicore_test_step(pdev, "info", 0);
}

/* Runs one step; false if there is no such command. */
static bool pcicore_test_op(struct pci_dev *pdev, const char *op, u32 arg,
			    bool has_arg)
{
	int ret;

	if (!strcmp(op, "info") && !has_arg) {
		pcicore_test_info(pdev);
	} else if (!strcmp(op, "pasid_on") && has_arg) {
		pcicore_test_step(pdev, op, pci_enable_pasid(pdev, arg));
	} else if (!strcmp(op, "pasid_off") && !has_arg) {
		pci_disable_pasid(pdev);
		pcicore_test_step(pdev, op, 0);
	} else if (!strcmp(op, "ats_on") && has_arg) {
		pcicore_test_step(pdev, op, pci_enable_ats(pdev, arg));
	} else if (!strcmp(op, "ats_off") && !has_arg) {
		/* pci_disable_ats() warns if ATS is off: refuse that here. */
		ret = pdev->ats_enabled ? 0 : -EINVAL;
		if (!ret)
			pci_disable_ats(pdev);
		pcicore_test_step(pdev, op, ret);
	} else {
		return false;
	}
	return true;
}

static int pcicore_test_run(char *line)
{
	char *name = strsep(&line, " \t\n");
	char *op = strsep(&line, " \t\n");
	char *arg = strsep(&line, " \t\n");
	unsigned int domain, bus, dev, fn;
	struct pci_dev *pdev;
	bool has_arg = arg && *arg;
	u32 val = 0;
	int ret;

	if (!name || !op || (has_arg && kstrtou32(arg, 0, &val)))
		return -EINVAL;
	if (sscanf(name, "%x:%x:%x.%x", &domain, &bus, &dev, &fn) != 4 ||
	    dev > 31 || fn > 7)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(dev, fn));
	if (!pdev)
		return -ENODEV;
	ret = pcicore_test_op(pdev, op, val, has_arg) ? 0 : -EINVAL;
	pci_dev_put(pdev);
	return ret;
}

static ssize_t pcicore_test_cmd_write(struct file *file,
				      const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	char buf[96];
	int ret;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	ret = pcicore_test_run(buf);
	return ret ? ret : count;
}

static const struct file_operations pcicore_test_cmd_fops = {
	.owner = THIS_MODULE,
	.write = pcicore_test_cmd_write,
};

static int __init pcicore_test_init(void)
{
	pcicore_test_dir = debugfs_create_dir("pcicore_test", NULL);
	debugfs_create_file("cmd", 0200, pcicore_test_dir, NULL,
			    &pcicore_test_cmd_fops);
	return 0;
}

static void __exit pcicore_test_exit(void)
{
	debugfs_remove_recursive(pcicore_test_dir);
}

module_init(pcicore_test_init);
module_exit(pcicore_test_exit);

MODULE_DESCRIPTION("PASID/PRI consumer using only the PCI core API, for end-to-end tests");
MODULE_LICENSE("GPL");
