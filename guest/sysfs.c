// SPDX-License-Identifier: GPL-2.0
/*
 * pvvf: the per-VF sysfs group, /sys/bus/pci/devices/<VF>/pvvf/.
 */
#include <linux/device.h>
#include <linux/pci.h>
#include <linux/pvvf.h>
#include <linux/sysfs.h>

#include "internal.h"

static int pvvf_attr_info(struct device *dev, struct pvvf_vf_info *info)
{
	return pvvf_get_info(to_pci_dev(dev), info);
}

#define PVVF_ATTR(name, fmt, expr)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	struct pvvf_vf_info i;						\
	int err = pvvf_attr_info(dev, &i);				\
									\
	return err ?: sysfs_emit(buf, fmt "\n", expr);			\
}									\
static DEVICE_ATTR_RO(name)

PVVF_ATTR(pf_id, "%#llx", i.pf_id);
PVVF_ATTR(vf_index, "%u", i.vf_index);
PVVF_ATTR(slot, "%u", i.slot);
PVVF_ATTR(ats_enabled, "%d", i.ats_enabled);
PVVF_ATTR(pasid_supported, "%d", i.pasid_supported);
PVVF_ATTR(pasid_enabled, "%d", i.pasid_enabled);
PVVF_ATTR(pasid_features, "%#x", i.pasid_features);
PVVF_ATTR(pasid_revoked, "%d", i.pasid_revoked);
PVVF_ATTR(pri_supported, "%d", i.pri_supported);
PVVF_ATTR(pri_enabled, "%d", i.pri_enabled);
PVVF_ATTR(pri_alloc, "%u", i.pri_alloc);
PVVF_ATTR(pri_revoked, "%d", i.pri_revoked);
PVVF_ATTR(stopped, "%d", i.pri_stopped);

/* Where transparent mode presents PASID and PRI (0x0: it does not). */
static ssize_t cap_offset_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct pvvf_vf *vf = pvvf_vf_get(to_pci_dev(dev));
	u16 off;

	if (!vf)
		return -ENODEV;
	off = READ_ONCE(vf->cap_offset);
	pvvf_vf_put(vf);
	return sysfs_emit(buf, "%#x\n", off);
}
static DEVICE_ATTR_RO(cap_offset);

static struct attribute *pvvf_vf_attrs[] = {
	&dev_attr_pf_id.attr,
	&dev_attr_vf_index.attr,
	&dev_attr_slot.attr,
	&dev_attr_ats_enabled.attr,
	&dev_attr_pasid_supported.attr,
	&dev_attr_pasid_enabled.attr,
	&dev_attr_pasid_features.attr,
	&dev_attr_pasid_revoked.attr,
	&dev_attr_pri_supported.attr,
	&dev_attr_pri_enabled.attr,
	&dev_attr_pri_alloc.attr,
	&dev_attr_pri_revoked.attr,
	&dev_attr_stopped.attr,
	&dev_attr_cap_offset.attr,
	NULL
};

const struct attribute_group pvvf_vf_group = {
	.name = "pvvf",
	.attrs = pvvf_vf_attrs,
};
