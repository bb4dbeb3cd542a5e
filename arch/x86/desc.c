/* GDT, TSS and IDT for long mode (Intel SDM Vol. 3A, 3.4.5, 7.7, 6.14). */
#include <stdint.h>
#include "arch/x86/desc.h"
#include "lib/string.h"

struct tss64 {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iomap_base;
} __attribute__((packed));

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
extern char irq_0x20[], irq_0xff[];
/* Stacks for exceptions that must not run on a possibly broken stack;
 * placed between guard pages by linker.ld. */
extern char __ist_df_top[], __ist_nmi_top[], __ist_mc_top[];

static uint64_t gdt[5] = {
	0,
	0x00af9a000000ffffULL,  /* 0x08: 64-bit code, DPL 0 */
	0x00cf92000000ffffULL,  /* 0x10: data, DPL 0 */
	0, 0,                   /* 0x18: TSS (16 bytes), filled in below */
};
static struct tss64 tss;
static struct idt_gate idt[256];

static void set_gate(unsigned vec, uint64_t handler, unsigned ist)
{
	idt[vec].off0 = (uint16_t)handler;
	idt[vec].sel = SEL_CODE;
	idt[vec].ist = (uint8_t)ist;
	idt[vec].type = 0x8e;
	idt[vec].off1 = (uint16_t)(handler >> 16);
	idt[vec].off2 = (uint32_t)(handler >> 32);
}

void desc_init(void)
{
	uint64_t t = (uint64_t)&tss;
	struct dtr gdtr = { sizeof(gdt) - 1, (uint64_t)gdt };
	struct dtr idtr = { sizeof(idt) - 1, (uint64_t)idt };

	memset(&tss, 0, sizeof(tss));
	tss.ist[0] = (uint64_t)__ist_df_top;
	tss.ist[1] = (uint64_t)__ist_nmi_top;
	tss.ist[2] = (uint64_t)__ist_mc_top;
	tss.iomap_base = sizeof(tss);   /* no I/O bitmap */
	gdt[3] = (sizeof(tss) - 1) | ((t & 0xffffff) << 16) | (0x89ULL << 40) |
		 (((t >> 24) & 0xff) << 56);
	gdt[4] = t >> 32;

	for (unsigned v = 0; v < 32; v++)
		set_gate(v, isr_table[v], v == 8 ? 1 : v == 2 ? 2 : v == 18 ? 3 : 0);
	set_gate(0x20, (uint64_t)irq_0x20, 0);
	set_gate(0xff, (uint64_t)irq_0xff, 0);

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
}
