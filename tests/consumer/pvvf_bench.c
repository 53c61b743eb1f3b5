// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf_bench: in-guest measurements for make bench (tests/bench/guest.sh,
 * docs/perf.md).  Each measurement interleaves two operations, A B A B ...,
 * so that the noise of a shared TCG host hits both alike, times each with
 * ktime_get_ns() and logs one line of percentiles:
 *
 *   pvvf_bench: <pci-name> <what> n=N a_p50=NS a_p99=NS b_p50=NS b_p99=NS
 *               a_err=E b_err=E a_errno=ERRNO b_errno=ERRNO
 *
 * a_err and b_err count the unexpected results, a_errno and b_errno are the
 * first of them (0 if none).
 *
 * or "pvvf_bench: <pci-name> <what> not_measured: <why>".  Commands, written
 * to /sys/kernel/debug/pvvf_bench/cmd as "<pci-name> <what> <n>":
 *
 *   status_vs_ping A: pvvf_pri_wait_stopped(pdev, 0) while PRI drains, which
 *                  is one PRI_STATUS round trip through the request queue
 *                  (a state read-back, the cheapest real request); B:
 *                  pvvf_ping(pdev), a NOP through the same queue (the
 *                  transport's floor).  a_err counts returns other than
 *                  -ETIMEDOUT (the drain ended: the loop is void).
 *   regs           A: a config read of the PASID Capability register that
 *                  transparent mode synthesizes; B: a config read of the
 *                  VF's Vendor ID, which traps to the VMM.  Not measured
 *                  without a PASID capability.
 *   pasid          A: pci_enable_pasid(pdev, 0); B: pvvf_pasid_enable(pdev, 0);
 *                  each followed, untimed, by its disable, so each starts
 *                  from PASID disabled.  A PASID the PCI core enabled
 *                  before (the guest's IOMMU driver does, probing a VF
 *                  transparent mode re-enumerated) is disabled first and
 *                  enabled again, with its features, afterwards (untimed).
 *                  Needs the PCI core to know the capability
 *                  (pci_pasid_features()): a VF transparent mode
 *                  re-enumerated.
 */
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/pvvf.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#define PVVF_BENCH_MAX	100000

static struct dentry *pvvf_bench_dir;
static DEFINE_MUTEX(pvvf_bench_lock);

struct pvvf_bench_run {
	struct pci_dev *pdev;
	const char *what;
	u32 n;
	u64 *a;
	u64 *b;
	u32 a_err;
	u32 b_err;
	int a_errno;		/* the first unexpected result */
	int b_errno;
	int pasid;		/* the PASID capability's offset, or 0 */
};

static int pvvf_bench_cmp(const void *x, const void *y)
{
	u64 l = *(const u64 *)x, r = *(const u64 *)y;

	return l < r ? -1 : l > r;
}

/* The @pct-th percentile of @v[@n], sorted in place (nearest rank). */
static u64 pvvf_bench_pct(u64 *v, u32 n, u32 pct)
{
	u32 rank = DIV_ROUND_UP(n * pct, 100);

	return v[clamp_t(u32, rank, 1, n) - 1];
}

static void pvvf_bench_report(struct pvvf_bench_run *r)
{
	sort(r->a, r->n, sizeof(*r->a), pvvf_bench_cmp, NULL);
	sort(r->b, r->n, sizeof(*r->b), pvvf_bench_cmp, NULL);
	pr_info("pvvf_bench: %s %s n=%u a_p50=%llu a_p99=%llu b_p50=%llu b_p99=%llu a_err=%u b_err=%u a_errno=%d b_errno=%d\n",
		pci_name(r->pdev), r->what, r->n,
		pvvf_bench_pct(r->a, r->n, 50), pvvf_bench_pct(r->a, r->n, 99),
		pvvf_bench_pct(r->b, r->n, 50), pvvf_bench_pct(r->b, r->n, 99),
		r->a_err, r->b_err, r->a_errno, r->b_errno);
}

/* Count an unexpected result @err of A or B; remember the first. */
static void pvvf_bench_err(u32 *count, int *first, int err)
{
	if (!(*count)++)
		*first = err;
}

/* A trapped config read: the VF's own Vendor ID, emulated by the VMM. */
static u64 pvvf_bench_trapped_read(struct pvvf_bench_run *r)
{
	u64 t0 = ktime_get_ns();
	u32 v;

	int err = pci_read_config_dword(r->pdev, PCI_VENDOR_ID, &v);

	if (err || v == ~0U)
		pvvf_bench_err(&r->b_err, &r->b_errno, err ? err : -EIO);
	return ktime_get_ns() - t0;
}

static void pvvf_bench_status_vs_ping(struct pvvf_bench_run *r)
{
	u32 i;

	for (i = 0; i < r->n; i++) {
		u64 t0 = ktime_get_ns();
		int err = pvvf_pri_wait_stopped(r->pdev, 0);

		r->a[i] = ktime_get_ns() - t0;
		if (err != -ETIMEDOUT)
			pvvf_bench_err(&r->a_err, &r->a_errno, err);
		t0 = ktime_get_ns();
		err = pvvf_ping(r->pdev);
		r->b[i] = ktime_get_ns() - t0;
		if (err)
			pvvf_bench_err(&r->b_err, &r->b_errno, err);
	}
}

static void pvvf_bench_regs(struct pvvf_bench_run *r)
{
	u32 i, v;

	for (i = 0; i < r->n; i++) {
		u64 t0 = ktime_get_ns();
		int err = pci_read_config_dword(r->pdev, r->pasid, &v);

		r->a[i] = ktime_get_ns() - t0;
		if (err || PCI_EXT_CAP_ID(v) != PCI_EXT_CAP_ID_PASID)
			pvvf_bench_err(&r->a_err, &r->a_errno, err ? err : -EIO);
		r->b[i] = pvvf_bench_trapped_read(r);
	}
}

static void pvvf_bench_pasid(struct pvvf_bench_run *r)
{
	bool was = r->pdev->pasid_enabled;
	u16 ctrl = 0;
	u32 i;

	if (was) {
		pci_read_config_word(r->pdev, r->pasid + PCI_PASID_CTRL, &ctrl);
		pci_disable_pasid(r->pdev);
	}
	for (i = 0; i < r->n; i++) {
		u64 t0 = ktime_get_ns();
		int err = pci_enable_pasid(r->pdev, 0);

		r->a[i] = ktime_get_ns() - t0;
		if (err)
			pvvf_bench_err(&r->a_err, &r->a_errno, err);
		else
			pci_disable_pasid(r->pdev);
		t0 = ktime_get_ns();
		err = pvvf_pasid_enable(r->pdev, 0);
		r->b[i] = ktime_get_ns() - t0;
		if (!err)
			err = pvvf_pasid_disable(r->pdev);
		if (err)
			pvvf_bench_err(&r->b_err, &r->b_errno, err);
	}
	if (was && pci_enable_pasid(r->pdev, ctrl & (PCI_PASID_CTRL_EXEC |
						     PCI_PASID_CTRL_PRIV)))
		pci_warn(r->pdev, "pvvf_bench: PASID not enabled again\n");
}

/* Why @what cannot be measured on @r->pdev, or NULL. */
static const char *pvvf_bench_missing(struct pvvf_bench_run *r)
{
	struct pvvf_vf_info info;

	if (pvvf_get_info(r->pdev, &info))
		return "not a VF attached by pvvf";
	if (!strcmp(r->what, "status_vs_ping"))
		return info.pri_enabled || info.pri_stopped ?
			"PRI is not draining (disable it with page requests outstanding)" :
			NULL;
	if (!r->pasid)
		return "no PASID capability on the VF (transparent mode off or absent)";
	if (!strcmp(r->what, "pasid") && pci_pasid_features(r->pdev) < 0)
		return "the PCI core knows no PASID capability (VF not re-enumerated)";
	if (!strcmp(r->what, "pasid") && info.pasid_enabled &&
	    !r->pdev->pasid_enabled)
		return "PASID is enabled through the explicit API already";
	return NULL;
}

static int pvvf_bench_run(struct pci_dev *pdev, const char *what, u32 n)
{
	struct pvvf_bench_run r = { .pdev = pdev, .what = what, .n = n };
	void (*fn)(struct pvvf_bench_run *r);
	const char *why;

	if (!strcmp(what, "status_vs_ping"))
		fn = pvvf_bench_status_vs_ping;
	else if (!strcmp(what, "regs"))
		fn = pvvf_bench_regs;
	else if (!strcmp(what, "pasid"))
		fn = pvvf_bench_pasid;
	else
		return -EINVAL;
	if (!n || n > PVVF_BENCH_MAX)
		return -EINVAL;
	r.pasid = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_PASID);
	why = pvvf_bench_missing(&r);
	if (why) {
		pr_info("pvvf_bench: %s %s not_measured: %s\n", pci_name(pdev),
			what, why);
		return -EOPNOTSUPP;
	}
	r.a = kvcalloc(n, sizeof(*r.a), GFP_KERNEL);
	r.b = kvcalloc(n, sizeof(*r.b), GFP_KERNEL);
	if (r.a && r.b) {
		fn(&r);
		pvvf_bench_report(&r);
	}
	kvfree(r.a);
	kvfree(r.b);
	return r.a && r.b ? 0 : -ENOMEM;
}

static int pvvf_bench_cmd(char *line)
{
	char *name = strsep(&line, " \t\n");
	char *what = strsep(&line, " \t\n");
	char *arg = strsep(&line, " \t\n");
	unsigned int domain, bus, dev, fn;
	struct pci_dev *pdev;
	u32 n;
	int ret;

	if (!name || !what || !arg || kstrtou32(arg, 0, &n) ||
	    sscanf(name, "%x:%x:%x.%x", &domain, &bus, &dev, &fn) != 4)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(dev, fn));
	if (!pdev)
		return -ENODEV;
	mutex_lock(&pvvf_bench_lock);
	ret = pvvf_bench_run(pdev, what, n);
	mutex_unlock(&pvvf_bench_lock);
	pci_dev_put(pdev);
	return ret;
}

static ssize_t pvvf_bench_cmd_write(struct file *file,
				    const char __user *ubuf, size_t count,
				    loff_t *ppos)
{
	char buf[64];
	int ret;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	ret = pvvf_bench_cmd(buf);
	return ret && ret != -EOPNOTSUPP ? ret : count;
}

static const struct file_operations pvvf_bench_cmd_fops = {
	.owner = THIS_MODULE,
	.write = pvvf_bench_cmd_write,
};

static int __init pvvf_bench_init(void)
{
	pvvf_bench_dir = debugfs_create_dir("pvvf_bench", NULL);
	debugfs_create_file("cmd", 0200, pvvf_bench_dir, NULL,
			    &pvvf_bench_cmd_fops);
	return 0;
}

static void __exit pvvf_bench_exit(void)
{
	debugfs_remove_recursive(pvvf_bench_dir);
}

module_init(pvvf_bench_init);
module_exit(pvvf_bench_exit);

MODULE_DESCRIPTION("pvvf in-guest measurements for make bench");
MODULE_LICENSE("GPL");
