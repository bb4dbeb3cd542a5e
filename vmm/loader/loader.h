/* The common guest-loader contract: a loader copies a guest image into the
 * partition's RAM and says how the boot vCPU must start; the vendor code
 * (VMX or SVM) turns the boot_state into a VMCS / VMCB. Loaders are pure
 * code: no allocation, no I/O, testable on the host. */
#ifndef VATRA_VMM_LOADER_LOADER_H
#define VATRA_VMM_LOADER_LOADER_H

#include <stdint.h>

/* Guest RAM as the loaders see it: guest-physical [0, size) at host pointer ram. */
struct guest_image {
	uint8_t *ram;
	uint64_t size;
};

enum boot_mode { BOOT_REAL16, BOOT_PROT32, BOOT_LONG64 };

/* Where and how the boot vCPU starts. For BOOT_PROT32 the vendor code sets
 * flat 4 GiB 32-bit code/data segments, CR0 = PE (paging off), IF = 0
 * (Multiboot 0.6.96, 3.2). For BOOT_REAL16, CS = cs_sel with base
 * cs_sel*16, IP = rip, other segments 0. */
struct boot_state {
	enum boot_mode mode;
	uint64_t rip, rsp;
	uint64_t rax, rbx, rsi;
	uint16_t cs_sel;
	char err[96];            /* on failure: what was wrong, for the operator */
};

struct loader_module {
	const uint8_t *data;
	uint64_t size;
	const char *args;        /* path + arguments, as the multiboot "string" */
};

#endif
