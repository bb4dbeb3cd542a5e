/* Physical memory from the UEFI memory map. Single CPU for now; once
 * more CPUs allocate, mem_lock will guard `pa`. */
#include "mm/mem.h"
#include "lib/palloc.h"
#include "lib/spinlock.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/errno.h"

static struct palloc pa;
static struct spinlock lock;   /* every CPU allocates */

const char *mem_type_name(uint32_t type)
{
	switch (type) {
	case BI_MEM_FREE: return "free";
	case BI_MEM_HV: return "hypervisor";
	case BI_MEM_RESERVED: return "reserved";
	case BI_MEM_ACPI_RECLAIM: return "acpi";
	case BI_MEM_ACPI_NVS: return "acpi-nvs";
	case BI_MEM_MMIO: return "mmio";
	case BI_MEM_BAD: return "bad";
	case BI_MEM_PERSISTENT: return "persistent";
	default: return "?";
	}
}

int mem_init(const struct boot_info *bi)
{
	uint64_t top = 0, bytes, bm = 0;

	for (uint32_t i = 0; i < bi->nmem; i++) {
		const struct bi_mem *m = &bi->mem[i];
		if (m->type == BI_MEM_FREE && m->base + m->pages * PAGE_SIZE > top)
			top = m->base + m->pages * PAGE_SIZE;
	}
	bytes = (palloc_bitmap_bytes(top / PAGE_SIZE) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	/* The bitmap goes into the first free region above 1 MiB that fits. */
	for (uint32_t i = 0; i < bi->nmem && !bm; i++) {
		const struct bi_mem *m = &bi->mem[i];
		uint64_t base = m->base < 0x100000 ? 0x100000 : m->base;
		uint64_t end = m->base + m->pages * PAGE_SIZE;
		if (m->type == BI_MEM_FREE && end > base && end - base >= bytes)
			bm = base;
	}
	if (!bm)
		return -ENOMEM;
	memset(phys_to_virt(bm), 0xff, bytes);
	palloc_init(&pa, phys_to_virt(bm), 0, top / PAGE_SIZE);
	for (uint32_t i = 0; i < bi->nmem; i++) {
		const struct bi_mem *m = &bi->mem[i];
		if (m->type == BI_MEM_FREE)
			palloc_add_free(&pa, m->base, m->pages * PAGE_SIZE);
	}
	/* Real-mode memory stays out: firmware data and, later, the AP
	 * start-up trampoline live there. */
	palloc_reserve(&pa, 0, 0x100000);
	palloc_reserve(&pa, bm, bytes);
	return 0;
}

uint64_t page_alloc_unzeroed(uint64_t npages, uint64_t align_pages)
{
	uint64_t phys;
	int r;

	spin_lock(&lock);
	r = palloc_alloc(&pa, npages, align_pages, &phys);
	spin_unlock(&lock);
	return r ? 0 : phys;
}

uint64_t page_alloc(uint64_t npages, uint64_t align_pages)
{
	uint64_t phys = page_alloc_unzeroed(npages, align_pages);

	if (phys)
		memset(phys_to_virt(phys), 0, npages * PAGE_SIZE);
	return phys;
}

void page_free(uint64_t phys, uint64_t npages)
{
	int r;

	spin_lock(&lock);
	r = palloc_free(&pa, phys, npages);
	spin_unlock(&lock);
	if (r)
		pr_err("mem: bad free of %llu pages at %#llx (%s)",
		       (unsigned long long)npages, (unsigned long long)phys, err_name(r));
}

bool page_is_free(uint64_t phys)
{
	return palloc_is_free(&pa, phys);
}

uint64_t mem_free_pages(void)
{
	return pa.free_pages;
}

uint64_t mem_managed_pages(void)
{
	return pa.managed_pages;
}

void mem_report(const struct boot_info *bi)
{
	uint64_t sum[BI_MEM_PERSISTENT + 1] = { 0 };

	for (uint32_t i = 0; i < bi->nmem; i++) {
		const struct bi_mem *m = &bi->mem[i];
		if (m->type <= BI_MEM_PERSISTENT)
			sum[m->type] += m->pages * PAGE_SIZE;
		pr_debug("mem: %#014llx-%#014llx %-10s (efi type %u)",
			 (unsigned long long)m->base,
			 (unsigned long long)(m->base + m->pages * PAGE_SIZE - 1),
			 mem_type_name(m->type), m->efi_type);
	}
	pr_info("mem: %u regions%s: free %llu MiB, hypervisor %llu KiB, reserved %llu KiB, "
		"acpi %llu KiB, mmio %llu KiB",
		bi->nmem, bi->mem_dropped ? " (some dropped)" : "",
		(unsigned long long)(sum[BI_MEM_FREE] >> 20),
		(unsigned long long)(sum[BI_MEM_HV] >> 10),
		(unsigned long long)(sum[BI_MEM_RESERVED] >> 10),
		(unsigned long long)((sum[BI_MEM_ACPI_RECLAIM] + sum[BI_MEM_ACPI_NVS]) >> 10),
		(unsigned long long)(sum[BI_MEM_MMIO] >> 10));
	pr_info("mem: allocator manages %llu MiB, %llu MiB free",
		(unsigned long long)(pa.managed_pages >> 8),
		(unsigned long long)(pa.free_pages >> 8));
}
