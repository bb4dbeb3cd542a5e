/* What this machine's CPU offers for virtualization, probed once at boot
 * and printed as the `caps` block. Missing features are facts to report
 * and work around, never a reason to panic. */
#ifndef VATRA_ARCH_X86_CAPS_H
#define VATRA_ARCH_X86_CAPS_H

#include <stdint.h>
#include <stdbool.h>
#include "lib/sink.h"

enum virt_kind { VIRT_NONE, VIRT_VMX, VIRT_SVM };

struct caps {
	char vendor[13];
	char brand[49];
	uint32_t family, model, stepping;
	enum virt_kind virt;
	const char *virt_off;     /* why virtualization is unusable, or NULL */
	/* AMD-V */
	uint32_t svm_rev, asids;
	bool npt, nrip_save, decode_assists, flush_by_asid, vmcb_clean, avic, vgif;
	/* VT-x */
	uint32_t vmcs_rev;
	bool ept, vpid, unrestricted, preempt_timer, apicv, posted_intr;
	bool invpcid_exec;        /* the enable-INVPCID control exists */
	bool ept_2m, ept_1g, ept_ad, ept_wb, invept_single, invvpid_single;
	/* both */
	bool x2apic, gbpages, nx, smep, smap, invariant_tsc;
	uint32_t phys_bits;
};

void caps_probe(struct caps *c);
const struct caps *caps_get(void);

/* Prints the `caps` block; iommu describes the IOMMU(s) ACPI reported. */
void caps_print(struct sink *out, const struct caps *c, const char *iommu);

#endif
