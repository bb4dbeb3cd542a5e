/* Host SMP bring-up (Intel SDM Vol. 3A, 9.4.4; MultiProcessor
 * Specification 1.4, B.4): the INIT-SIPI-SIPI sequence with the
 * trampoline in arch/x86/trampoline.asm. */
#include "arch/x86/smp.h"
#include "arch/x86/cpu.h"
#include "arch/x86/apic.h"
#include "arch/x86/mmu.h"
#include "arch/x86/desc.h"
#include "include/vatra/hv.h"
#include "mm/mem.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/errno.h"

extern const char tramp_start[], tramp_end[], tramp_pm32[], tramp_pm64[];

#define TRAMP_PAGES 4            /* code+data, PML4, PDPT, PD */
#define TD 0xf00

struct tramp_data {
	uint64_t gdt[4];
	uint16_t gdtr_limit;
	uint32_t gdtr_base;
	uint16_t pad0;
	uint32_t jmp32_off;
	uint16_t jmp32_sel;
	uint16_t pad1;
	uint32_t jmp64_off;
	uint16_t jmp64_sel;
	uint16_t pad2;
	uint32_t cr3;
	uint32_t efer;
	volatile uint32_t next;          /* slots taken */
	uint32_t nslots;
	uint64_t entry;
} __attribute__((packed));

#define TD_CPUS   0xd00              /* struct cpu * per slot */
#define TD_STACKS 0xe00              /* stack top per slot */
#define TD_SLOTS  32

_Static_assert(__builtin_offsetof(struct tramp_data, gdtr_limit) == 0x20, "TD_GDTR");
_Static_assert(__builtin_offsetof(struct tramp_data, jmp32_off) == 0x28, "TD_JMP32");
_Static_assert(__builtin_offsetof(struct tramp_data, jmp64_off) == 0x30, "TD_JMP64");
_Static_assert(__builtin_offsetof(struct tramp_data, cr3) == 0x38, "TD_CR3");
_Static_assert(__builtin_offsetof(struct tramp_data, next) == 0x40, "TD_NEXT");
_Static_assert(__builtin_offsetof(struct tramp_data, nslots) == 0x44, "TD_NSLOTS");
_Static_assert(__builtin_offsetof(struct tramp_data, entry) == 0x48, "TD_ENTRY");

static void (*ap_main_fn)(struct cpu *c);
static uint64_t bsp_cr0, bsp_cr4, bsp_efer;
static uint8_t *tramp_page;

volatile bool cpus_halt;

void smp_halt_others(void)
{
	cpus_halt = true;
	if (cpu_count > 1 && apic_ready())
		apic_send_ipi_others(APIC_KICK_VECTOR);
}

void cpu_kick(struct cpu *c)
{
	if (c != this_cpu() && c->state == CPU_ONLINE)
		apic_send_ipi(c->apic_id, APIC_KICK_VECTOR);
}

/* Four free pages in a row below 640 KiB, which the page allocator keeps
 * for itself (it never hands out the first MiB). */
static uint64_t tramp_find(const struct boot_info *bi)
{
	uint64_t best = 0;

	for (uint32_t i = 0; i < bi->nmem; i++) {
		const struct bi_mem *m = &bi->mem[i];
		uint64_t lo = m->base < 0x1000 ? 0x1000 : m->base;
		uint64_t hi = m->base + m->pages * 4096;
		if (m->type != BI_MEM_FREE)
			continue;
		if (hi > 0xa0000)
			hi = 0xa0000;
		if (hi >= lo + TRAMP_PAGES * 4096 && hi - TRAMP_PAGES * 4096 > best)
			best = hi - TRAMP_PAGES * 4096;
	}
	return best & ~0xfffULL;
}

/* Where an AP lands in the core: the real page tables, the boot CPU's
 * control registers, its own GDT/TSS and GS. */
static void ap_entry(struct cpu *c) __attribute__((noreturn, used));
static void ap_entry(struct cpu *c)
{
	uint64_t df, nmi, mc;

	write_cr3(mmu_root());
	wrmsr(MSR_EFER, bsp_efer);
	write_cr0(bsp_cr0);
	write_cr4(bsp_cr4);
	c->apic_id = apic_id();
	c->state = CPU_STARTING;   /* out of the trampoline */
	df = mmu_stack_alloc(2);
	nmi = mmu_stack_alloc(2);
	mc = mmu_stack_alloc(2);
	cpu_desc_init(c, df, nmi, mc);
	if (!df || !nmi || !mc) {
		c->fail = "no memory for its exception stacks";
		c->state = CPU_FAILED;
		cpu_halt_forever();
	}
	ap_main_fn(c);
	cpu_halt_forever();
}

static void wait_us(uint64_t us)
{
	uint64_t t0 = rdtsc(), khz = hv.tsc_khz ? hv.tsc_khz : 2000000;

	while (rdtsc() - t0 < us * khz / 1000)
		cpu_relax();
}

/* Fills slot i of the trampoline with c and a new stack for it. */
static int slot_set(unsigned i, struct cpu *c)
{
	c->stack_top = mmu_stack_alloc(8);
	if (!c->stack_top)
		return -ENOMEM;
	((uint64_t *)(tramp_page + TD_CPUS))[i] = (uint64_t)c;
	((uint64_t *)(tramp_page + TD_STACKS))[i] = c->stack_top;
	c->state = CPU_ABSENT;
	return 0;
}

/* Waits up to ms for c to finish starting (online or failed). */
static bool wait_started(struct cpu *c, uint64_t ms)
{
	uint64_t t0 = rdtsc(), khz = hv.tsc_khz ? hv.tsc_khz : 2000000;

	while (c->state != CPU_ONLINE && c->state != CPU_FAILED && rdtsc() - t0 < khz * ms)
		cpu_relax();
	return c->state == CPU_ONLINE || c->state == CPU_FAILED;
}

static int start_one(struct cpu *c, volatile struct tramp_data *td, uint64_t tramp)
{
	int r = slot_set(0, c);

	if (r)
		return r;
	td->next = 0;
	td->nslots = 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	apic_send_init(c->apic_id);
	wait_us(10000);
	apic_send_sipi(c->apic_id, (uint8_t)(tramp >> 12));
	wait_us(200);
	if (!td->next)
		apic_send_sipi(c->apic_id, (uint8_t)(tramp >> 12));
	/* A second to leave the trampoline (emulators are slow), five to
	 * finish setting up. */
	if (wait_started(c, 1000))
		return 0;
	if (td->next && wait_started(c, 5000))
		return 0;
	return -ETIMEDOUT;
}

/* Without a MADT the CPUs are not listed: INIT and start-up IPIs to all
 * but this one (as before ACPI), and each CPU that arrives takes a slot. */
static unsigned start_all(volatile struct tramp_data *td, uint64_t tramp)
{
	unsigned slots = TD_SLOTS < CPU_MAX - 1 ? TD_SLOTS : CPU_MAX - 1, n;

	if (slots > 7)
		slots = 7;       /* stacks for that many, allocated up front */
	for (n = 0; n < slots; n++) {
		memset(&cpu_table[1 + n], 0, sizeof(cpu_table[0]));
		cpu_table[1 + n].id = 1 + n;
		if (slot_set(n, &cpu_table[1 + n]))
			break;
	}
	slots = n;
	td->next = 0;
	td->nslots = slots;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	apic_send_init_others();
	wait_us(10000);
	apic_send_sipi_others((uint8_t)(tramp >> 12));
	wait_us(200);
	apic_send_sipi_others((uint8_t)(tramp >> 12));
	wait_us(300000);
	n = td->next < slots ? td->next : slots;
	if (td->next > slots)
		pr_warn("smp: %u CPU(s) answered; %u are used", td->next + 1, slots + 1);
	for (unsigned i = 0; i < n; i++)
		if (!wait_started(&cpu_table[1 + i], 5000)) {
			cpu_table[1 + i].fail = "did not finish starting";
			cpu_table[1 + i].state = CPU_FAILED;
		}
	return n;
}

unsigned smp_boot(const struct boot_info *bi, const struct acpi_info *acpi,
		  void (*ap_main)(struct cpu *c))
{
	uint32_t self = apic_id();
	uint64_t tramp, *pml4, *pdpt, *pd;
	const uint64_t *root;
	volatile struct tramp_data *td;
	uint8_t *page;
	unsigned online = 1;

	cpu_table[0].apic_id = self;
	if (acpi && !acpi->ncpus)
		acpi = NULL;     /* no MADT: found by broadcast below */
	if (acpi && acpi->ncpus == 1) {
		pr_info("smp: the MADT lists one CPU: running on the boot CPU only");
		return 1;
	}
	if (!apic_ready()) {
		pr_warn("smp: no working local APIC: running on the boot CPU only");
		return 1;
	}
	tramp = tramp_find(bi);
	if (!tramp) {
		pr_warn("smp: no free low memory for the start-up code: boot CPU only");
		return 1;
	}
	ap_main_fn = ap_main;
	bsp_cr0 = read_cr0();
	bsp_cr4 = read_cr4() & ~CR4_VMXE;
	bsp_efer = rdmsr(MSR_EFER) & ~EFER_SVME;

	page = phys_to_virt(tramp);
	tramp_page = page;
	memset(page, 0, TRAMP_PAGES * 4096);
	memcpy(page, tramp_start, (size_t)(tramp_end - tramp_start));
	pml4 = (uint64_t *)(page + 4096);
	pdpt = (uint64_t *)(page + 2 * 4096);
	pd = (uint64_t *)(page + 3 * 4096);
	/* The core's half of the address space, plus the low 2 MiB 1:1 for
	 * the instructions around the switch to paging. */
	root = phys_to_virt(mmu_root());
	for (unsigned i = 256; i < 512; i++)
		pml4[i] = root[i];
	pml4[0] = (tramp + 2 * 4096) | 3;
	pdpt[0] = (tramp + 3 * 4096) | 3;
	pd[0] = 0x83;                                /* 2 MiB, present, writable */

	td = (volatile struct tramp_data *)(page + TD);
	td->gdt[0] = 0;
	td->gdt[1] = 0x00cf9a000000ffffULL;          /* 0x08: 32-bit code */
	td->gdt[2] = 0x00cf92000000ffffULL;          /* 0x10: data */
	td->gdt[3] = 0x00af9a000000ffffULL;          /* 0x18: 64-bit code */
	td->gdtr_limit = 31;
	td->gdtr_base = (uint32_t)(tramp + TD);
	td->jmp32_off = (uint32_t)(tramp + (uint64_t)(tramp_pm32 - tramp_start));
	td->jmp32_sel = 0x08;
	td->jmp64_off = (uint32_t)(tramp + (uint64_t)(tramp_pm64 - tramp_start));
	td->jmp64_sel = 0x18;
	td->cr3 = (uint32_t)(tramp + 4096);
	td->efer = (uint32_t)(EFER_LME | (bsp_efer & EFER_NXE));
	td->entry = (uint64_t)ap_entry;

	if (!acpi) {
		unsigned n = start_all(td, tramp);
		pr_info("smp: no MADT: %u other CPU(s) answered a broadcast start-up", n);
		cpu_count = 1 + n;
		for (unsigned i = 1; i < cpu_count; i++) {
			if (cpu_table[i].state == CPU_ONLINE)
				online++;
			else
				pr_warn("smp: CPU %u (APIC ID %u) is not used: %s", i,
					cpu_table[i].apic_id, cpu_table[i].fail ? cpu_table[i].fail : "?");
		}
		pr_info("smp: %u CPU(s) online", online);
		return online;
	}

	for (unsigned i = 0; i < acpi->ncpus && cpu_count < CPU_MAX; i++) {
		struct cpu *c = &cpu_table[cpu_count];
		int r;

		if (acpi->cpus[i].apic_id == self || !acpi->cpus[i].enabled)
			continue;    /* this one, or online-capable but not present */
		if (acpi->cpus[i].apic_id > 0xff && !acpi->cpus[i].x2apic) {
			pr_warn("smp: CPU with APIC ID %u skipped", acpi->cpus[i].apic_id);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->id = cpu_count;
		c->apic_id = acpi->cpus[i].apic_id;
		r = start_one(c, td, tramp);
		if (r) {
			pr_warn("smp: CPU with APIC ID %u did not come up (%s)", c->apic_id,
				err_name(r));
			if (c->state != CPU_ABSENT) {
				/* It may still be running start-up code with this slot:
				 * keep the slot, never use the CPU. */
				c->fail = "did not finish starting";
				c->state = CPU_FAILED;
				cpu_count++;
			}
			/* The trampoline may be mid-use by a late CPU: stop here. */
			break;
		}
		cpu_count++;
		if (c->state == CPU_ONLINE)
			online++;
		else
			pr_warn("smp: CPU %u (APIC ID %u) is up but not used: %s", c->id,
				c->apic_id, c->fail ? c->fail : "unknown reason");
	}
	if (acpi->ncpus > CPU_MAX)
		pr_warn("smp: the MADT lists %u CPUs; this build uses at most %u", acpi->ncpus,
			CPU_MAX);
	pr_info("smp: %u of %u CPU(s) online", online, acpi->ncpus);
	return online;
}
