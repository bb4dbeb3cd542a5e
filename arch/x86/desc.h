/* The hypervisor's own GDT, TSS and IDT (the firmware's live in boot
 * services memory, which the core reclaims). */
#ifndef VATRA_ARCH_X86_DESC_H
#define VATRA_ARCH_X86_DESC_H

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS  0x18

/* Loads the GDT, reloads segments, loads TSS (IST stacks) and the IDT. */
void desc_init(void);

#endif
