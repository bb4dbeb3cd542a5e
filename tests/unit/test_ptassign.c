/* Unit tests for vmm/ptassign.c: `devices =` against a host PCI tree and
 * a fake IOMMU, every refusal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vmm/ptassign.h"
#include "lib/errno.h"

static struct pci_tree *t;
static uint16_t uncovered_rid = 0xffff;

static bool fake_covers(uint16_t seg, uint16_t rid)
{
	return seg == 0 && rid != uncovered_rid;
}

static const struct iommu_ops fake_iommu = { .kind = "fake", .covers = fake_covers };
static struct ptassign_env env;
static struct part_config cfg;
static struct pci_dev *out[PART_MAX_DEVS];
static unsigned n;
static char err[160];

static struct pci_dev *add(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t ven, uint16_t did,
			   int parent)
{
	struct pci_dev *d = &t->devs[t->ndevs++];

	*d = (struct pci_dev){ .bus = bus, .devfn = (uint8_t)(dev << 3 | fn), .vendor = ven,
			       .device = did, .parent = (int16_t)parent };
	return d;
}

/* 00:00.0 host bridge (hypervisor: not an endpoint anyway), 00:02.0 and
 * 00:03.0 two edu, 00:04.0 the IOMMU (hypervisor's), 00:1c.0 root port
 * -> 01:00.0 PCIe-to-PCI bridge -> 02:01.0, 02:02.0 conventional
 * functions sharing requester ID 02:00.0. */
static int setup(void **state)
{
	struct pci_dev *d;

	(void)state;
	t = calloc(1, sizeof(*t));
	d = add(0, 0, 0, 0x8086, 0x29c0, -1);
	d->class = 0x06;
	d = add(0, 2, 0, 0x1234, 0x11e8, -1);
	d->pcie_off = 0x40;
	d = add(0, 3, 0, 0x1234, 0x11e8, -1);
	d = add(0, 4, 0, 0x1022, 0x0020, -1);
	pci_set_hypervisor(d, "the IOMMU");
	d = add(0, 0x1c, 0, 0x8086, 0x1234, -1);		/* index 4 */
	d->hdr_type = 1;
	d->pcie_off = 0x40;
	d->pcie_type = 4;
	d->sec_bus = 1;
	d = add(1, 0, 0, 0x8086, 0x244e, 4);			/* index 5 */
	d->hdr_type = 1;
	d->pcie_off = 0x40;
	d->pcie_type = 7;
	d->sec_bus = 2;
	add(2, 1, 0, 0x10ec, 0x8139, 5);
	add(2, 2, 0, 0x10ec, 0x8139, 5);
	memset(&cfg, 0, sizeof(cfg));
	env = (struct ptassign_env){ &fake_iommu, NULL, true, false };
	uncovered_rid = 0xffff;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(t);
	return 0;
}

static void bdf(uint8_t bus, uint8_t dev, uint8_t fn)
{
	cfg.devs[cfg.ndevs++] = (struct part_dev){ .kind = PART_DEV_BDF, .bus = bus,
						   .devfn = (uint8_t)(dev << 3 | fn) };
}

static void vid(uint16_t v, uint16_t d)
{
	cfg.devs[cfg.ndevs++] = (struct part_dev){ .kind = PART_DEV_ID, .vendor = v, .device = d };
}

static int resolve(int id)
{
	return ptassign_resolve(t, &cfg, id, &env, out, &n, err, sizeof(err));
}

static void test_ok(void **state)
{
	(void)state;
	assert_int_equal(resolve(1), 0);		/* no devices: fine, IOMMU or not */
	assert_int_equal(n, 0);
	env.iommu = NULL;
	assert_int_equal(resolve(1), 0);
	env.iommu = &fake_iommu;
	bdf(0, 3, 0);
	vid(0x1234, 0x11e8);
	assert_int_equal(resolve(1), 0);
	assert_int_equal(n, 2);
	assert_ptr_equal(out[0], &t->devs[2]);
	assert_ptr_equal(out[1], &t->devs[1]);	/* the first free one not taken */
}

static void test_absent(void **state)
{
	(void)state;
	bdf(0, 5, 0);
	assert_int_equal(resolve(1), -ENODEV);
	assert_string_equal(err, "0000:00:05.0 does not exist");
	cfg.ndevs = 0;
	cfg.devs[0] = (struct part_dev){ .kind = PART_DEV_BDF, .seg = 1, .bus = 0, .devfn = 0x10 };
	cfg.ndevs = 1;
	assert_int_equal(resolve(1), -ENODEV);
	assert_string_equal(err, "0001:00:02.0 does not exist");
	cfg.ndevs = 0;
	vid(0x1234, 0x11e8);
	vid(0x1234, 0x11e8);
	vid(0x1234, 0x11e8);
	assert_int_equal(resolve(1), -ENODEV);
	assert_string_equal(err, "no free function 1234:11e8 left");
	cfg.ndevs = 0;
	vid(0xabcd, 0x0001);
	assert_int_equal(resolve(1), -ENODEV);
	assert_string_equal(err, "no free function abcd:0001");
}

static void test_owned(void **state)
{
	(void)state;
	assert_int_equal(pci_claim(&t->devs[1], 7, "web"), 0);
	bdf(0, 2, 0);
	assert_int_equal(resolve(1), -EBUSY);
	assert_string_equal(err, "0000:00:02.0 is already partition web's");
	assert_int_equal(resolve(7), 0);		/* its own (a restart) */
	cfg.ndevs = 0;
	vid(0x1234, 0x11e8);
	assert_int_equal(resolve(1), 0);		/* the other, free one */
	assert_ptr_equal(out[0], &t->devs[2]);
	cfg.ndevs = 0;
	bdf(0, 4, 0);
	assert_int_equal(resolve(1), -EPERM);
	assert_string_equal(err, "0000:00:04.0 is the hypervisor's (the IOMMU)");
	cfg.ndevs = 0;
	bdf(0, 0, 0);
	assert_int_equal(resolve(1), -EINVAL);
	assert_string_equal(err, "0000:00:00.0 is a bridge: only endpoints are passed through");
	cfg.ndevs = 0;
	vid(0x8086, 0x29c0);
	assert_int_equal(resolve(1), -ENODEV);
	cfg.ndevs = 0;
	bdf(0, 0x1c, 0);
	assert_int_equal(resolve(1), -EINVAL);
	assert_string_equal(err, "0000:00:1c.0 is a bridge: only endpoints are passed through");
	cfg.ndevs = 0;
	bdf(0, 3, 0);
	bdf(0, 2, 0);
	assert_int_equal(resolve(1), -EBUSY);		/* the second entry fails */
}

static void test_alias(void **state)
{
	(void)state;
	bdf(2, 1, 0);
	assert_int_equal(resolve(1), -EINVAL);
	assert_string_equal(err, "0000:02:01.0 shares its requester ID 02:00.0 with "
			    "0000:02:02.0: list them together");
	bdf(2, 2, 0);
	assert_int_equal(resolve(1), 0);
	assert_int_equal(n, 2);
	/* one of them another partition's: the group is split */
	assert_int_equal(pci_claim(&t->devs[7], 3, "db"), 0);
	cfg.ndevs = 0;
	bdf(2, 1, 0);
	assert_int_equal(resolve(1), -EBUSY);
	assert_string_equal(err, "0000:02:01.0 shares its requester ID 02:00.0 with "
			    "0000:02:02.0, which is already partition db");
	pci_release(&t->devs[7], 3);
	pci_set_hypervisor(&t->devs[7], "the console");
	assert_int_equal(resolve(1), -EPERM);
	assert_non_null(strstr(err, "which is the hypervisor's: the console"));
}

static void test_iommu(void **state)
{
	(void)state;
	bdf(0, 2, 0);
	env.iommu = NULL;
	env.iommu_absent = "no DMAR or IVRS table";
	assert_int_equal(resolve(1), -ENODEV);
	assert_string_equal(err, "no IOMMU: no DMAR or IVRS table");
	env.iommu = &fake_iommu;
	uncovered_rid = 0x0010;
	assert_int_equal(resolve(1), -ENODEV);
	assert_string_equal(err, "0000:00:02.0 is behind no unit of the fake IOMMU");
	/* behind the PCIe-to-PCI bridge, covers() is asked for the alias */
	cfg.ndevs = 0;
	bdf(2, 1, 0);
	bdf(2, 2, 0);
	uncovered_rid = 0x0211;
	assert_int_equal(resolve(1), 0);
	uncovered_rid = 0x0200;
	assert_int_equal(resolve(1), -ENODEV);
	uncovered_rid = 0xffff;
	env.intr_remap = false;
	assert_int_equal(resolve(1), -EPERM);
	assert_non_null(strstr(err, "does not remap interrupts"));
	assert_non_null(strstr(err, "allow_unsafe_interrupts = yes"));
	env.allow_unsafe = true;
	assert_int_equal(resolve(1), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ok), T(test_absent), T(test_owned), T(test_alias), T(test_iommu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
