// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: locators against a fake PCI hierarchy - a root bus numbered by
 * firmware, bridges, and buses below them numbered however the guest
 * likes.  No PCI core calls, no device refcounting on the fakes.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/pci.h>

#include "../guest/locator.h"

/*
 * root bus 0x80 -- 00:08.0 bridge -- bus N -- 00:11.0 (the VF)
 *               \- 00:03.0 (a function on the root bus)
 * bus N        -- 00:00.0 bridge -- bus M -- 00:02.1 (a deeper VF)
 */
struct pvvf_fake_tree {
	struct pci_bus root, sec, ter;
	struct pci_dev bridge, vf, rootfn, bridge2, deep;
};

static struct pvvf_fake_tree *pvvf_fake_tree(struct kunit *test, u8 sec_nr)
{
	struct pvvf_fake_tree *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->root.number = 0x80;
	t->bridge.bus = &t->root;
	t->bridge.devfn = PCI_DEVFN(8, 0);
	t->sec.number = sec_nr;
	t->sec.parent = &t->root;
	t->sec.self = &t->bridge;
	t->vf.bus = &t->sec;
	t->vf.devfn = PCI_DEVFN(0x11 >> 3, 0x11 & 7);
	t->rootfn.bus = &t->root;
	t->rootfn.devfn = PCI_DEVFN(3, 0);
	t->bridge2.bus = &t->sec;
	t->bridge2.devfn = 0;
	t->ter.number = sec_nr + 1;
	t->ter.parent = &t->sec;
	t->ter.self = &t->bridge2;
	t->deep.bus = &t->ter;
	t->deep.devfn = PCI_DEVFN(2, 1);
	return t;
}

static struct pvvf_vf_desc pvvf_loc(u16 seg, u8 root, u8 len, u8 p0, u8 p1,
				    u8 p2)
{
	struct pvvf_vf_desc d = {
		.segment = seg, .root_bus = root, .path_len = len,
		.path = { p0, p1, p2 },
	};

	return d;
}

static void pvvf_locator_match(struct kunit *test)
{
	struct pvvf_fake_tree *t = pvvf_fake_tree(test, 0x05);
	struct pvvf_vf_desc d = pvvf_loc(0, 0x80, 2, 0x40, 0x11, 0);

	KUNIT_EXPECT_TRUE(test, pvvf_locator_matches(&t->vf, &d));
	/* Only that function. */
	KUNIT_EXPECT_FALSE(test, pvvf_locator_matches(&t->bridge, &d));
	KUNIT_EXPECT_FALSE(test, pvvf_locator_matches(&t->rootfn, &d));
	KUNIT_EXPECT_FALSE(test, pvvf_locator_matches(&t->deep, &d));

	d = pvvf_loc(0, 0x80, 1, 0x18, 0, 0);
	KUNIT_EXPECT_TRUE(test, pvvf_locator_matches(&t->rootfn, &d));
	KUNIT_EXPECT_FALSE(test, pvvf_locator_matches(&t->vf, &d));

	d = pvvf_loc(0, 0x80, 3, 0x40, 0x00, 0x11);
	KUNIT_EXPECT_TRUE(test, pvvf_locator_matches(&t->deep, &d));
}

/* The guest renumbers the buses below the root: nothing changes. */
static void pvvf_locator_renumbered(struct kunit *test)
{
	static const u8 numbers[] = { 0x01, 0x05, 0x42, 0x81, 0xfe };
	struct pvvf_vf_desc d = pvvf_loc(0, 0x80, 2, 0x40, 0x11, 0);
	struct pvvf_vf_desc deep = pvvf_loc(0, 0x80, 3, 0x40, 0x00, 0x11);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(numbers); i++) {
		struct pvvf_fake_tree *t = pvvf_fake_tree(test, numbers[i]);

		KUNIT_EXPECT_TRUE_MSG(test, pvvf_locator_matches(&t->vf, &d),
				      "secondary bus %#x", numbers[i]);
		KUNIT_EXPECT_TRUE_MSG(test,
				      pvvf_locator_matches(&t->deep, &deep),
				      "secondary bus %#x", numbers[i]);
	}
}

static void pvvf_locator_mismatch(struct kunit *test)
{
	struct pvvf_fake_tree *t = pvvf_fake_tree(test, 0x05);
	static const struct {
		const char *why;
		u16 seg;
		u8 root, len, p0, p1, p2;
	} rows[] = {
		{ "other root bus", 0, 0x00, 2, 0x40, 0x11, 0 },
		{ "the secondary bus number as root", 0, 0x05, 1, 0x11, 0, 0 },
		{ "other segment", 1, 0x80, 2, 0x40, 0x11, 0 },
		{ "other bridge devfn", 0, 0x80, 2, 0x41, 0x11, 0 },
		{ "other function", 0, 0x80, 2, 0x40, 0x12, 0 },
		{ "path too short", 0, 0x80, 1, 0x11, 0, 0 },
		{ "path too long", 0, 0x80, 3, 0x00, 0x40, 0x11 },
		{ "empty path", 0, 0x80, 0, 0x11, 0, 0 },
	};
	struct pvvf_vf_desc d;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		d = pvvf_loc(rows[i].seg, rows[i].root, rows[i].len, rows[i].p0,
			     rows[i].p1, rows[i].p2);
		KUNIT_EXPECT_FALSE_MSG(test, pvvf_locator_matches(&t->vf, &d),
				       "%s", rows[i].why);
	}
}

/* A bus without a bridge above it that is not a root: never a match. */
static void pvvf_locator_virtual_bus(struct kunit *test)
{
	struct pvvf_fake_tree *t = pvvf_fake_tree(test, 0x05);
	struct pvvf_vf_desc d = pvvf_loc(0, 0x80, 2, 0x40, 0x11, 0);

	t->sec.self = NULL;
	KUNIT_EXPECT_FALSE(test, pvvf_locator_matches(&t->vf, &d));
}

/* A hierarchy deeper than the longest path cannot match. */
static void pvvf_locator_too_deep(struct kunit *test)
{
	struct pci_bus *bus = kunit_kcalloc(test, 10, sizeof(*bus), GFP_KERNEL);
	struct pci_dev *dev = kunit_kcalloc(test, 10, sizeof(*dev), GFP_KERNEL);
	struct pvvf_vf_desc d = { .root_bus = 0, .path_len = 8 };
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, bus);
	KUNIT_ASSERT_NOT_NULL(test, dev);
	/* bus[0] is the root; dev[i] on bus[i] bridges to bus[i + 1]. */
	for (i = 0; i < 10; i++) {
		dev[i].bus = &bus[i];
		if (i + 1 < 10) {
			bus[i + 1].parent = &bus[i];
			bus[i + 1].self = &dev[i];
			bus[i + 1].number = i + 1;
		}
	}
	KUNIT_EXPECT_TRUE(test, pvvf_locator_matches(&dev[7], &d));
	KUNIT_EXPECT_FALSE(test, pvvf_locator_matches(&dev[8], &d));
	KUNIT_EXPECT_FALSE(test, pvvf_locator_matches(&dev[9], &d));
}

static struct kunit_case pvvf_locator_cases[] = {
	KUNIT_CASE(pvvf_locator_match),
	KUNIT_CASE(pvvf_locator_renumbered),
	KUNIT_CASE(pvvf_locator_mismatch),
	KUNIT_CASE(pvvf_locator_virtual_bus),
	KUNIT_CASE(pvvf_locator_too_deep),
	{}
};

static struct kunit_suite pvvf_locator_suite = {
	.name = "pvvf_locator",
	.test_cases = pvvf_locator_cases,
};

kunit_test_suite(pvvf_locator_suite);

MODULE_LICENSE("GPL");
