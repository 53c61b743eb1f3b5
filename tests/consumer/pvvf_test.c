// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf_test: a consumer of the pvvf API for end-to-end tests.
 *
 * Write commands to /sys/kernel/debug/pvvf_test/cmd:
 *
 *   <pci-name> info
 *   <pci-name> pasid_on <features> | pasid_off
 *   <pci-name> ats_on <page-shift> | ats_off
 *   <pci-name> pri_on <reqs> | pri_off | pri_reset | wait_stopped <ms>
 *   <pci-name> cycle <reqs>       the whole enable and teardown order
 *   all cycle <reqs>              cycle on every attached VF
 *   <pci-name> quiesce_on <event> in the callback of the VF's next <event>,
 *                                 PRI disable and wait for stopped
 *   <pci-name> remove_on <event>  in that callback, remove the VF
 *
 * <event> is a name as logged below.  Each step logs "pvvf_test:
 * <pci-name> <step> = <errno>" (steps run in a callback are named cb_*);
 * notifier events log "pvvf_test: <pci-name> event <name>".  The last
 * result is readable from .../last.
 */
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pvvf.h>
#include <linux/string.h>
#include <linux/uaccess.h>

static struct dentry *pvvf_test_dir;
static int pvvf_test_last;

static const char * const pvvf_test_events[] = {
	[PVVF_EVENT_ATTACHED] = "attached",
	[PVVF_EVENT_DETACHED] = "detached",
	[PVVF_EVENT_PASID_REVOKED] = "pasid_revoked",
	[PVVF_EVENT_PRI_REVOKED] = "pri_revoked",
	[PVVF_EVENT_PF_RESET_BEGIN] = "pf_reset_begin",
	[PVVF_EVENT_PF_RESET_DONE] = "pf_reset_done",
	[PVVF_EVENT_VF_RESET_BEGIN] = "vf_reset_begin",
	[PVVF_EVENT_VF_RESET_DONE] = "vf_reset_done",
	[PVVF_EVENT_PRI_STOPPED] = "pri_stopped",
	[PVVF_EVENT_PF_REMOVED] = "pf_removed",
};

/* What to do in the callback of one VF's next event of one type. */
enum pvvf_test_action { PVVF_TEST_NONE, PVVF_TEST_QUIESCE, PVVF_TEST_REMOVE };

static DEFINE_MUTEX(pvvf_test_arm_lock);
static struct {
	enum pvvf_test_action action;
	unsigned long event;
	char name[16];
} pvvf_test_arm;

static int pvvf_test_step(struct pci_dev *pdev, const char *step, int ret);

/* Take the action armed for this event of this VF, if any: once. */
static enum pvvf_test_action pvvf_test_armed(struct pci_dev *pdev,
					     unsigned long action)
{
	enum pvvf_test_action what = PVVF_TEST_NONE;

	mutex_lock(&pvvf_test_arm_lock);
	if (pvvf_test_arm.action && pvvf_test_arm.event == action &&
	    !strcmp(pvvf_test_arm.name, pci_name(pdev))) {
		what = pvvf_test_arm.action;
		pvvf_test_arm.action = PVVF_TEST_NONE;
	}
	mutex_unlock(&pvvf_test_arm_lock);
	return what;
}

static int pvvf_test_event(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	struct pci_dev *pdev = data;

	pr_info("pvvf_test: %s event %s\n", pci_name(pdev),
		action < ARRAY_SIZE(pvvf_test_events) ?
		pvvf_test_events[action] : "unknown");
	switch (pvvf_test_armed(pdev, action)) {
	case PVVF_TEST_QUIESCE:
		/* On the event work: no event can wake this wait. */
		pvvf_test_step(pdev, "cb_pri_off", pvvf_pri_disable(pdev));
		pvvf_test_step(pdev, "cb_wait_stopped",
			       pvvf_pri_wait_stopped(pdev, 8000));
		break;
	case PVVF_TEST_REMOVE:
		pvvf_test_step(pdev, "cb_remove", 0);
		pci_stop_and_remove_bus_device_locked(pdev);
		break;
	case PVVF_TEST_NONE:
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block pvvf_test_nb = {
	.notifier_call = pvvf_test_event,
};

static int pvvf_test_step(struct pci_dev *pdev, const char *step, int ret)
{
	pr_info("pvvf_test: %s %s = %d\n", pci_name(pdev), step, ret);
	pvvf_test_last = ret;
	return ret;
}

static int pvvf_test_info(struct pci_dev *pdev)
{
	struct pvvf_vf_info i;
	int ret = pvvf_get_info(pdev, &i);

	if (!ret)
		pr_info("pvvf_test: %s pf %#llx vf %u pasid %d/%d/%#x pri %d/%d/%u stopped %d ats %d stu %u\n",
			pci_name(pdev), i.pf_id, i.vf_index, i.pasid_supported,
			i.pasid_enabled, i.pasid_features, i.pri_supported,
			i.pri_enabled, i.pri_alloc, i.pri_stopped,
			i.ats_enabled, i.pf_ats_stu);
	return pvvf_test_step(pdev, "info", ret);
}

/* Enable in the bare-metal order, then tear down in the spec's order. */
static int pvvf_test_cycle(struct pci_dev *pdev, u32 reqs)
{
	struct pvvf_vf_info i;
	int ret;

	ret = pvvf_test_step(pdev, "info", pvvf_get_info(pdev, &i));
	if (ret)
		return ret;
	pvvf_test_step(pdev, "pasid_on",
		       pvvf_pasid_enable(pdev, i.pasid_features_supported));
	if (i.pf_ats_stu)
		pvvf_test_step(pdev, "ats_on",
			       pvvf_ats_enable(pdev, i.pf_ats_stu));
	pvvf_test_step(pdev, "pri_on", pvvf_pri_enable(pdev, reqs));
	pvvf_test_step(pdev, "pri_off", pvvf_pri_disable(pdev));
	pvvf_test_step(pdev, "wait_stopped", pvvf_pri_wait_stopped(pdev, 2000));
	pvvf_test_step(pdev, "pri_reset", pvvf_pri_reset(pdev));
	if (i.pf_ats_stu)
		pvvf_test_step(pdev, "ats_off", pvvf_ats_disable(pdev));
	return pvvf_test_step(pdev, "pasid_off", pvvf_pasid_disable(pdev));
}

static int pvvf_test_op(struct pci_dev *pdev, const char *op, u32 arg)
{
	if (!strcmp(op, "info"))
		return pvvf_test_info(pdev);
	if (!strcmp(op, "pasid_on"))
		return pvvf_test_step(pdev, op, pvvf_pasid_enable(pdev, arg));
	if (!strcmp(op, "pasid_off"))
		return pvvf_test_step(pdev, op, pvvf_pasid_disable(pdev));
	if (!strcmp(op, "ats_on"))
		return pvvf_test_step(pdev, op, pvvf_ats_enable(pdev, arg));
	if (!strcmp(op, "ats_off"))
		return pvvf_test_step(pdev, op, pvvf_ats_disable(pdev));
	if (!strcmp(op, "pri_on"))
		return pvvf_test_step(pdev, op, pvvf_pri_enable(pdev, arg));
	if (!strcmp(op, "pri_off"))
		return pvvf_test_step(pdev, op, pvvf_pri_disable(pdev));
	if (!strcmp(op, "pri_reset"))
		return pvvf_test_step(pdev, op, pvvf_pri_reset(pdev));
	if (!strcmp(op, "wait_stopped"))
		return pvvf_test_step(pdev, op,
				      pvvf_pri_wait_stopped(pdev, arg));
	if (!strcmp(op, "cycle"))
		return pvvf_test_cycle(pdev, arg ?: 1);
	return -EINVAL;
}

static int pvvf_test_arm_event(struct pci_dev *pdev, const char *op,
			       const char *event)
{
	enum pvvf_test_action what = !strcmp(op, "quiesce_on") ?
				     PVVF_TEST_QUIESCE : PVVF_TEST_REMOVE;
	int i = event ? match_string(pvvf_test_events,
				     ARRAY_SIZE(pvvf_test_events), event) : -1;

	if (i < 0)
		return -EINVAL;
	mutex_lock(&pvvf_test_arm_lock);
	pvvf_test_arm.action = what;
	pvvf_test_arm.event = i;
	strscpy(pvvf_test_arm.name, pci_name(pdev),
		sizeof(pvvf_test_arm.name));
	mutex_unlock(&pvvf_test_arm_lock);
	return pvvf_test_step(pdev, op, 0);
}

static int pvvf_test_all(const char *op, u32 arg)
{
	struct pci_dev *pdev = NULL;
	int ret = -ENODEV;

	for_each_pci_dev(pdev) {
		if (pvvf_is_vf(pdev))
			ret = pvvf_test_op(pdev, op, arg);
	}
	return ret;
}

static int pvvf_test_run(char *line)
{
	char *name = strsep(&line, " \t\n");
	char *op = strsep(&line, " \t\n");
	char *arg = strsep(&line, " \t\n");
	struct pci_dev *pdev;
	unsigned int domain, bus, dev, fn;
	bool arm = op && (!strcmp(op, "quiesce_on") || !strcmp(op, "remove_on"));
	u32 val = 0;
	int ret;

	if (!name || !op || (!arm && arg && *arg && kstrtou32(arg, 0, &val)))
		return -EINVAL;
	if (!strcmp(name, "all"))
		return arm ? -EINVAL : pvvf_test_all(op, val);
	if (sscanf(name, "%x:%x:%x.%x", &domain, &bus, &dev, &fn) != 4)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(dev, fn));
	if (!pdev)
		return -ENODEV;
	ret = arm ? pvvf_test_arm_event(pdev, op, arg) :
		    pvvf_test_op(pdev, op, val);
	pci_dev_put(pdev);
	return ret;
}

static ssize_t pvvf_test_cmd_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	char buf[96];
	int ret;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	ret = pvvf_test_run(buf);
	if (ret == -EINVAL)
		pr_info("pvvf_test: bad command\n");
	return count;
}

static const struct file_operations pvvf_test_cmd_fops = {
	.owner = THIS_MODULE,
	.write = pvvf_test_cmd_write,
};

static int __init pvvf_test_init(void)
{
	int ret = pvvf_register_notifier(&pvvf_test_nb);

	if (ret)
		return ret;
	pvvf_test_dir = debugfs_create_dir("pvvf_test", NULL);
	debugfs_create_file("cmd", 0200, pvvf_test_dir, NULL,
			    &pvvf_test_cmd_fops);
	debugfs_create_u32("last", 0400, pvvf_test_dir,
			   (u32 *)&pvvf_test_last);
	return 0;
}

static void __exit pvvf_test_exit(void)
{
	debugfs_remove_recursive(pvvf_test_dir);
	pvvf_unregister_notifier(&pvvf_test_nb);
}

module_init(pvvf_test_init);
module_exit(pvvf_test_exit);

MODULE_DESCRIPTION("pvvf API consumer for end-to-end tests");
MODULE_LICENSE("GPL");
