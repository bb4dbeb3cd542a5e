/* Guest memory by guest linear address, through the guest's own page
 * tables with the rights of the access (vmm/gwalk.c): what every emulated
 * instruction uses for the guest's side of its access. A fault is
 * described, not acted on, so that the caller can first commit what an
 * instruction completed before it (a REP's finished iterations). */
#ifndef VATRA_VMM_GLA_H
#define VATRA_VMM_GLA_H

#include <stdint.h>
#include "vmm/gwalk.h"

struct vcpu;

enum gla_fault_kind {
	GLA_PF,          /* a page fault the guest takes: err, addr (CR2) */
	GLA_GP,          /* a non-canonical address: #GP(0) */
	GLA_TABLE_IO,    /* a paging-structure entry outside RAM, at gpa */
	GLA_NOT_RAM,     /* the translation leads outside RAM, to gpa */
	GLA_RETRY,       /* the tables kept changing: run the instruction again */
};

struct gla_fault {
	enum gla_fault_kind kind;
	uint32_t err;
	uint64_t addr, gpa;
};

/* access: GWALK_READ, GWALK_WRITE or GWALK_FETCH (| GWALK_IMPLICIT), at
 * the guest's current CPL. 0, or -EFAULT with *f filled in. len is at most
 * 4096; gla_write with buf NULL only checks that the write may be done. */
int gla_translate(struct vcpu *v, uint64_t gla, unsigned access, uint64_t *gpa,
		  struct gla_fault *f);
int gla_read(struct vcpu *v, uint64_t gla, void *buf, unsigned len, unsigned access,
	     struct gla_fault *f);
int gla_write(struct vcpu *v, uint64_t gla, const void *buf, unsigned len,
	      struct gla_fault *f);
/* Instruction bytes at CS:RIP, up to max, of an instruction the CPU has
 * just fetched (it exited on it or on its data access): how many could be
 * fetched; *f says why the next byte could not be. In 64-bit mode read
 * through the entries as that fetch left them (present, accessed: no
 * rights to check, no A bit to set); otherwise, and when they are not,
 * with the rights of an instruction fetch. */
struct guest_ctl;
/* c: the vCPU's vmm->get_ctl() when the caller has it, else NULL. */
unsigned gla_fetch(struct vcpu *v, const struct guest_ctl *c, uint8_t *b, unsigned max,
		   struct gla_fault *f);
/* Where the instruction the CPU has just executed at RIP is, for its
 * length only (no next RIP from the hardware): in 64-bit mode, found
 * through the guest's page tables without the rights checks and A/D
 * updates of an access, which the CPU's own fetch made. The host pointer
 * and in *n the bytes to the end of its page, or NULL (not 64-bit mode,
 * or entries not as that fetch left them) for gla_fetch() to read them.
 * c is the vCPU's vmm->get_ctl(). */
struct guest_ctl;
const uint8_t *gla_code_ptr(struct vcpu *v, const struct guest_ctl *c, unsigned *n);
/* Does to the guest what the fault means: #PF with its error code and
 * CR2, #GP(0), nothing for a retry, or — for tables or buffers outside
 * RAM — stops the partition with a message that names what and where. */
void gla_raise(struct vcpu *v, const struct gla_fault *f, const char *what);
/* Logs the guest's walk of gla entry by entry, and where the nested
 * tables put each table page: for the report of a failed vCPU. */
void gla_report(struct vcpu *v, uint64_t gla, const char *what);
/* For the same report: what the guest's own walk of gla gives an access
 * (GWALK_*) under the paging mode its state holds now — no fault, or the
 * #PF error code — with no accessed or dirty bit set. Long mode only. A
 * CPU that faulted where this finds none walked in another mode. */
void gla_report_access(struct vcpu *v, uint64_t gla, unsigned access, const char *what);

#endif
