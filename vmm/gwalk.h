/* Guest page-table walk: translates a guest linear address to a
 * guest-physical one exactly as the guest's own MMU would for an access of
 * a given type and privilege, for every access Vatra emulates (fetching
 * the instruction behind an exit, string I/O, MMIO string instructions).
 * It checks what the CPU checks (present, reserved bits per paging mode
 * and MAXPHYADDR, R/W with CR0.WP, U/S, NX, SMEP, SMAP with RFLAGS.AC,
 * protection keys), sets the accessed and dirty bits the CPU would set,
 * and on a violation gives the #PF error code the CPU would push (Intel
 * SDM Vol. 3A, 4.6-4.8; AMD APM Vol. 2, 5.3-5.6). Pure code; guest
 * memory is reached through callbacks. */
#ifndef VATRA_VMM_GWALK_H
#define VATRA_VMM_GWALK_H

#include <stdbool.h>
#include <stdint.h>

/* Access types (gwalk_req.access). An implicit access is a supervisor-
 * mode access whatever the CPL (descriptor tables, the TSS, the stack an
 * exception is delivered on: SDM Vol. 3A, 4.6). */
#define GWALK_READ     0u
#define GWALK_WRITE    1u
#define GWALK_FETCH    2u
#define GWALK_IMPLICIT 4u

/* #PF error code bits (SDM Vol. 3A, 4.7, Figure 4-12). */
#define PF_P    (1u << 0)
#define PF_W    (1u << 1)
#define PF_U    (1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I    (1u << 4)
#define PF_PK   (1u << 5)

struct gwalk_env {
	/* Reads size (4 or 8) bytes of a paging-structure entry at gpa; 0
	 * or negative (the entry is not in guest RAM). */
	int (*read)(void *ctx, uint64_t gpa, unsigned size, uint64_t *val);
	/* Replaces the entry at gpa by new if it still holds old, atomically
	 * (the CPU's locked update of A/D bits): 0, -EAGAIN if it changed,
	 * or another negative error. */
	int (*update)(void *ctx, uint64_t gpa, unsigned size, uint64_t old, uint64_t new);
	void *ctx;
};

/* The guest's paging state and the access to translate. */
struct gwalk_req {
	uint64_t cr0, cr3, cr4, efer, rflags;
	uint32_t pkru;          /* used only with CR4.PKE in 4- and 5-level paging */
	uint8_t cpl;
	uint8_t maxphyaddr;     /* CPUID 0x80000008 EAX[7:0] as the guest sees it */
	bool page1g;            /* 1 GiB pages exist (CPUID 0x80000001 EDX bit 26) */
	unsigned access;        /* GWALK_* */
};

struct gwalk_result {
	uint64_t gpa;           /* 0: the translation; -ENXIO: the entry's address */
	uint32_t pf_err;        /* -EFAULT: the #PF error code; CR2 is the address */
	unsigned levels;        /* paging-structure entries read (0 without paging) */
};

/* 0 with res->gpa; -EFAULT for a page fault the guest must take (error
 * code in res->pf_err); -EINVAL for a non-canonical address in 4- or
 * 5-level paging (#GP or #SS, not #PF); -ENXIO when a paging-structure
 * entry is not in guest RAM (res->gpa is its address: nothing a guest can
 * do on real hardware through its own RAM); -EAGAIN when the tables kept
 * changing under the walk. Accessed and dirty bits are set only when the
 * access is allowed. */
int gwalk(const struct gwalk_req *rq, uint64_t gla, const struct gwalk_env *env,
	  struct gwalk_result *res);

#endif
