/* Host paging for the core (Intel SDM Vol. 3A, 4.5; AMD APM Vol. 2, 5.3),
 * built with the shared page-table engine. */
#include "arch/x86/mmu.h"
#include "arch/x86/cpu.h"
#include "arch/x86/paging.h"
#include "arch/x86/trap.h"
#include "mm/mem.h"
#include "lib/log.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/spinlock.h"

extern char __core_start[], __text_end[], __rodata_end[], __stacks_start[],
	__core_end[];
extern char __boot_stack_bottom[], __boot_stack_top[], __ist_df_bottom[],
	__ist_df_top[], __ist_nmi_bottom[], __ist_nmi_top[], __ist_mc_bottom[],
	__ist_mc_top[], __guard0[], __guard1[];

static struct pt hv_pt;
static struct mmu_state state;
static uint64_t core_phys;
static struct spinlock lock;        /* hv_pt changes after the APs are up */

/* Stacks of the other CPUs: below the core, each under an unmapped guard
 * page and over another. */
#define STACKS_VIRT_BASE 0xffffffff00000000ULL
#define STACKS_VIRT_END  0xffffffff40000000ULL
static uint64_t stacks_next = STACKS_VIRT_BASE;

static void *env_alloc(void *ctx, uint64_t *phys)
{
	(void)ctx;
	*phys = page_alloc(1, 1);
	if (!*phys)
		return NULL;
	state.table_pages++;
	return phys_to_virt(*phys);
}

static void env_free(void *ctx, uint64_t phys)
{
	(void)ctx;
	state.table_pages--;
	page_free(phys, 1);
}

static void *env_virt(void *ctx, uint64_t phys)
{
	(void)ctx;
	return phys_to_virt(phys);
}

static const struct pt_env env = {
	.alloc = env_alloc, .free = env_free, .phys_to_virt = env_virt,
};

/* Without NX the execute-disable bit is reserved (Intel SDM Vol. 3A,
 * 4.5.4): every mapping must then be executable. */
static unsigned nx_flags(unsigned flags)
{
	return state.nx ? flags : flags | PT_X;
}

static int map_core(const char *start, const char *end, unsigned flags)
{
	uint64_t va = (uint64_t)start;

	if (end <= start)
		return 0;
	return pt_map(&hv_pt, va, core_phys + (va - CORE_VIRT_BASE),
		      (uint64_t)(end - start), nx_flags(flags | PT_GLOBAL));
}

static bool ram_type(uint32_t t)
{
	return t == BI_MEM_FREE || t == BI_MEM_HV || t == BI_MEM_ACPI_RECLAIM ||
	       t == BI_MEM_ACPI_NVS || t == BI_MEM_PERSISTENT;
}

int mmu_init(const struct boot_info *bi)
{
	struct cpuid_regs ext = cpuid(0x80000001, 0), l7 = { 0 };
	unsigned leaves = (1u << 1) | (1u << 2);
	uint64_t cr4;
	int r;

	core_phys = bi->core_phys;
	state.nx = ext.d & (1u << 20);
	state.gbpages = ext.d & (1u << 26);
	if (cpuid(0, 0).a >= 7)
		l7 = cpuid(7, 0);
	if (state.gbpages)
		leaves |= 1u << 3;
	if (!state.nx)
		pr_warn("mmu: the CPU has no NX: data pages stay executable");

	r = pt_init(&hv_pt, &pt_x86_64, &env, leaves);
	if (r)
		return r;
	/* Stacks: each between unmapped guard pages (see linker.ld). */
	if ((r = map_core(__core_start, __text_end, PT_R | PT_X)) ||
	    (r = map_core(__text_end, __rodata_end, PT_R)) ||
	    (r = map_core(__rodata_end, __stacks_start, PT_R | PT_W)) ||
	    (r = map_core(__boot_stack_bottom, __boot_stack_top, PT_R | PT_W)) ||
	    (r = map_core(__ist_df_bottom, __ist_df_top, PT_R | PT_W)) ||
	    (r = map_core(__ist_nmi_bottom, __ist_nmi_top, PT_R | PT_W)) ||
	    (r = map_core(__ist_mc_bottom, __ist_mc_top, PT_R | PT_W)))
		goto fail;
	for (uint32_t i = 0; i < bi->nmem; i++) {
		const struct bi_mem *m = &bi->mem[i];
		if (!ram_type(m->type) || !m->pages)
			continue;
		r = pt_map(&hv_pt, PHYSMAP_BASE + m->base, m->base, m->pages * 4096,
			   nx_flags(PT_R | PT_W));
		if (r)
			goto fail;
	}

	/* NXE before the switch: with it clear, bit 63 is a reserved bit
	 * and every data mapping would fault (Intel SDM Vol. 3A, 4.5.4). */
	if (state.nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	write_cr0(read_cr0() | CR0_WP);   /* supervisor writes honour R/O */
	state.wp = true;
	cr4 = read_cr4() | CR4_PGE;
	if (l7.b & (1u << 7)) {
		cr4 |= CR4_SMEP;
		state.smep = true;
	}
	if (l7.b & (1u << 20)) {
		cr4 |= CR4_SMAP;
		state.smap = true;
	}
	/* XSAVE on, so that guests' extended state (AVX, AVX-512) can be
	 * switched; the hypervisor itself never uses it (vmm/fpu.c). */
	if (cpuid(1, 0).c & (1u << 26))
		cr4 |= CR4_OSXSAVE;
	/* Protection keys on, so that a guest's PKRU, loaded while its
	 * exits are handled, can be read with RDPKRU. Keys apply to user
	 * pages only, and the hypervisor maps none (SDM Vol. 3A, 4.6.2). */
	if (l7.c & (1u << 3))
		cr4 |= CR4_PKE;
	write_cr4(cr4);
	write_cr3(hv_pt.root);
	return 0;
fail:
	pr_err("mmu: cannot build the hypervisor page tables: %s", err_name(r));
	pt_destroy(&hv_pt);
	return r;
}

void *mmu_map_phys(uint64_t phys, size_t len, bool uncached)
{
	uint64_t start = phys & ~0xfffULL, end = (phys + len + 0xfff) & ~0xfffULL;
	void *r = phys_to_virt(phys);

	if (!len || phys + len < phys)
		return NULL;
	spin_lock(&lock);
	for (uint64_t p = start; p < end; p += 4096) {
		if (!pt_lookup(&hv_pt, PHYSMAP_BASE + p, NULL, NULL, NULL))
			continue;
		if (pt_map(&hv_pt, PHYSMAP_BASE + p, p, 4096,
			   nx_flags(PT_R | PT_W | (uncached ? PT_UC : 0)))) {
			r = NULL;
			break;
		}
	}
	spin_unlock(&lock);
	return r;
}

uint64_t mmu_stack_alloc(unsigned pages)
{
	uint64_t phys = page_alloc(pages, 1), va, top = 0;

	if (!phys)
		return 0;
	spin_lock(&lock);
	va = stacks_next + 4096;                  /* the guard page below */
	if (va + (uint64_t)pages * 4096 + 4096 <= STACKS_VIRT_END &&
	    !pt_map(&hv_pt, va, phys, (uint64_t)pages * 4096, nx_flags(PT_R | PT_W | PT_GLOBAL))) {
		stacks_next = va + (uint64_t)pages * 4096;   /* the next one's guard is above */
		top = stacks_next;
	}
	spin_unlock(&lock);
	if (!top)
		page_free(phys, pages);
	return top;
}

void mmu_check(const char *when)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr;
	static const char *const what[] = { "the IDT", "the core's code", "this CPU's stack" };
	uint64_t va[3], tables[8];

	__asm__ volatile("sidt %0" : "=m"(idtr));
	va[0] = idtr.base;
	va[1] = (uint64_t)(uintptr_t)&mmu_check;
	va[2] = (uint64_t)(uintptr_t)__builtin_frame_address(0);
	for (unsigned i = 0; i < 3; i++) {
		int n = pt_walk_tables(&hv_pt, va[i], tables, 8);

		if (n < 0)
			pr_err("mmu: %s: the host's tables no longer map %s at %#llx (%d tables walked)",
			       when, what[i], (unsigned long long)va[i], n == -ENOENT ? 0 : n);
		for (int k = 0; k < n && k < 8; k++)
			if (page_is_free(tables[k]))
				pr_err("mmu: %s: table page %#llx on the walk for %s is in the free pool",
				       when, (unsigned long long)tables[k], what[i]);
	}
}

uint64_t mmu_root(void)
{
	return hv_pt.root;
}

const struct mmu_state *mmu_state(void)
{
	return &state;
}

/* --- W^X self-test ------------------------------------------------- */

/* A locked read-modify-write that changes nothing: it faults as a write
 * (error code bit 1) without corrupting the page when it wrongly succeeds. */
static void probe_write(void *p)
{
	__asm__ volatile("lock orb $0, (%0)" : : "r"(p) : "memory");
}

static void probe_read(void *p)
{
	(void)*(volatile uint8_t *)p;
}

static void probe_exec(void *p)
{
	((void (*)(void))p)();
}

static const uint8_t ro_ret[16] = { 0xc3 };   /* "ret" in rodata */
static uint8_t rw_ret[16] = { 0xc3 };          /* "ret" in data */

static int expect_fault(const char *what, void (*probe)(void *), void *addr)
{
	int v = fault_try(probe, addr);

	if (v == 15) {   /* #PF + 1 */
		pr_info("selftest: %-28s faults (#PF, error %#llx) ok", what,
			(unsigned long long)fault_last_error);
		return 0;
	}
	pr_err("selftest: %-28s %s", what, v ? "faulted, but not with #PF" : "did NOT fault");
	return 1;
}

int mmu_selftest(void)
{
	uint8_t stack_ret[16] = { 0xc3 };
	uint8_t *heap = phys_to_virt(page_alloc(1, 1));
	int bad = 0;

	heap[0] = 0xc3;
	bad += expect_fault("write to text", probe_write, (void *)mmu_selftest);
	bad += expect_fault("write to rodata", probe_write, (void *)ro_ret);
	if (state.nx) {
		bad += expect_fault("execute rodata", probe_exec, (void *)ro_ret);
		bad += expect_fault("execute data", probe_exec, rw_ret);
		bad += expect_fault("execute stack", probe_exec, stack_ret);
		bad += expect_fault("execute direct-map page", probe_exec, heap);
	} else {
		pr_warn("selftest: no NX on this CPU: execute probes skipped");
	}
	bad += expect_fault("read stack guard page", probe_read, __guard0);
	bad += expect_fault("write stack guard page", probe_write, __guard1 + 8);
	page_free(virt_to_phys(heap), 1);
	/* And the positive side: a data write still works. */
	rw_ret[1] = 0x90;
	if (fault_try(probe_write, rw_ret) != 0) {
		pr_err("selftest: write to data faulted");
		bad++;
	}
	return bad;
}
