/* GDT, TSS and IDT for long mode (Intel SDM Vol. 3A, 3.4.5, 7.7, 6.14). */
#include <stdint.h>
#include "arch/x86/desc.h"
#include "arch/x86/percpu.h"
#include "arch/x86/cpu.h"
#include "arch/x86/vectors.h"
#include "lib/string.h"

struct idt_gate {
	uint16_t off0;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;           /* P=1, DPL=0, type 0xE = 64-bit interrupt gate */
	uint16_t off1;
	uint32_t off2;
	uint32_t rsvd;
} __attribute__((packed));

struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern const uint64_t isr_table[32];
extern const uint64_t irq_table[256 - 32];
/* Stacks for exceptions that must not run on a possibly broken stack;
 * placed between guard pages by linker.ld. */
extern char __ist_df_top[], __ist_nmi_top[], __ist_mc_top[], __boot_stack_top[];

struct cpu cpu_table[CPU_MAX];
unsigned cpu_count = 1;
static struct idt_gate idt[256];    /* shared by every CPU */

static void set_gate(unsigned vec, uint64_t handler, unsigned ist)
{
	idt[vec].off0 = (uint16_t)handler;
	idt[vec].sel = SEL_CODE;
	idt[vec].ist = (uint8_t)ist;
	idt[vec].type = 0x8e;
	idt[vec].off1 = (uint16_t)(handler >> 16);
	idt[vec].off2 = (uint32_t)(handler >> 32);
}

void cpu_desc_init(struct cpu *c, uint64_t ist_df, uint64_t ist_nmi, uint64_t ist_mc)
{
	uint64_t t = (uint64_t)&c->tss;
	struct dtr gdtr = { sizeof(c->gdt) - 1, (uint64_t)c->gdt };
	struct dtr idtr = { sizeof(idt) - 1, (uint64_t)idt };

	c->self = c;
	c->gdt[0] = 0;
	c->gdt[1] = 0x00af9a000000ffffULL;  /* 0x08: 64-bit code, DPL 0 */
	c->gdt[2] = 0x00cf92000000ffffULL;  /* 0x10: data, DPL 0 */
	memset(&c->tss, 0, sizeof(c->tss));
	c->tss.ist[0] = ist_df;
	c->tss.ist[1] = ist_nmi;
	c->tss.ist[2] = ist_mc;
	c->tss.iomap_base = sizeof(c->tss);   /* no I/O bitmap */
	/* 0x18: the TSS, a 16-byte descriptor */
	c->gdt[3] = (sizeof(c->tss) - 1) | ((t & 0xffffff) << 16) | (0x89ULL << 40) |
		    (((t >> 24) & 0xff) << 56);
	c->gdt[4] = t >> 32;

	__asm__ volatile(
		"lgdt %0\n\t"
		"mov %2, %%ds\n\t"
		"mov %2, %%es\n\t"
		"mov %2, %%ss\n\t"
		"xor %%eax, %%eax\n\t"
		"mov %%ax, %%fs\n\t"
		"mov %%ax, %%gs\n\t"
		"pushq %1\n\t"
		"lea 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"ltr %w3\n\t"
		"lidt %4"
		: : "m"(gdtr), "i"(SEL_CODE), "r"(SEL_DATA), "r"(SEL_TSS), "m"(idtr)
		: "rax", "memory");
	/* After the GS selector load, which cleared the base. */
	wrmsr(MSR_GS_BASE, (uint64_t)c);
}

void desc_init(void)
{
	vectors_init();
	for (unsigned v = 0; v < 32; v++)
		set_gate(v, isr_table[v], v == 8 ? 1 : v == 2 ? 2 : v == 18 ? 3 : 0);
	/* Every other vector reaches vectors_dispatch: an interrupt nobody
	 * owns is counted there, not a #NP on an empty gate. */
	for (unsigned v = 32; v < 256; v++)
		set_gate(v, irq_table[v - 32], 0);
	cpu_table[0].id = 0;
	cpu_table[0].state = CPU_ONLINE;
	cpu_table[0].stack_top = (uint64_t)__boot_stack_top;
	cpu_desc_init(&cpu_table[0], (uint64_t)__ist_df_top, (uint64_t)__ist_nmi_top,
		      (uint64_t)__ist_mc_top);
}
