/* The common guest-loader contract: a loader copies a guest image into the
 * partition's RAM and says how the boot vCPU must start; the vendor code
 * (VMX or SVM) turns the boot_state into a VMCS / VMCB. Loaders are pure
 * code: no allocation, no I/O, testable on the host. */
#ifndef VATRA_VMM_LOADER_LOADER_H
#define VATRA_VMM_LOADER_LOADER_H

#include <stdint.h>

/* Guest-physical [start, end) that Vatra fills itself (its ACPI tables):
 * a loader must not put anything there; what names it in a refusal. */
struct loader_range {
	uint64_t start, end;
	const char *what;
};

/* Guest RAM as the loaders see it: guest-physical [0, size) at host
 * pointer ram, and the ranges in it that are Vatra's. */
struct guest_image {
	uint8_t *ram;
	uint64_t size;
	const struct loader_range *reserved;
	unsigned nreserved;
};

enum boot_mode { BOOT_REAL16, BOOT_PROT32, BOOT_LONG64 };

/* Where and how the boot vCPU starts. For BOOT_PROT32 the vendor code sets
 * flat 4 GiB 32-bit code/data segments, CR0 = PE (paging off), IF = 0
 * (Multiboot 0.6.96, 3.2). For BOOT_REAL16, CS = cs_sel with base
 * cs_sel*16, IP = rip, other segments 0.
 *
 * For BOOT_LONG64 the vCPU starts in 64-bit mode with paging on, exactly
 * as the loader describes it: CR0/CR3/CR4/EFER as given (vendor code may
 * add the bits VMX or SVM force underneath, behind the read shadows), the
 * GDTR = gdt_base/gdt_limit, a GDT the loader wrote into guest RAM at
 * gdt_base. CS = cs_sel, a 64-bit code segment (L = 1); DS, ES, SS (and
 * FS, GS) = ds_sel, a flat 4 GiB read/write data segment; the hidden
 * parts of every segment register match those descriptors. RFLAGS = 0x2
 * (IF = 0), IDTR and LDTR empty. The other fields are unused there. */
struct boot_state {
	enum boot_mode mode;
	uint64_t rip, rsp;
	uint64_t rax, rbx, rsi;
	uint16_t cs_sel;
	/* BOOT_LONG64 only (0 otherwise). */
	uint64_t cr0, cr3, cr4, efer;
	uint64_t gdt_base;       /* guest-physical = linear: paging is identity there */
	uint16_t gdt_limit;      /* GDTR limit: size in bytes - 1 */
	uint16_t ds_sel;         /* data segment selector for DS, ES, SS, FS, GS */
	char err[96];            /* on failure: what was wrong, for the operator */
};

/* The start of every loader: clears *st and checks that there is guest
 * RAM. 0, or -EINVAL (with st->err saying why when st is not NULL). */
int loader_begin(const struct guest_image *img, struct boot_state *st);
/* Says why in st->err (cut to fit) and returns -EINVAL. */
int loader_fail(struct boot_state *st, const char *why);

struct loader_module {
	const uint8_t *data;
	uint64_t size;
	const char *args;        /* path + arguments, as the multiboot "string" */
};

#endif
