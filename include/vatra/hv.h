/* The hypervisor's boot-time state that the management code reads. */
#ifndef VATRA_HV_H
#define VATRA_HV_H

#include "include/vatra/bootinfo.h"
#include "drivers/acpi.h"
#include "include/vatra/version.h"



struct hv {
	const struct boot_info *bi;
	struct vatra_config *cfg;
	struct acpi_info *acpi;       /* NULL when ACPI was unusable */
	char iommu[192];              /* summary for the caps block */
	const char *virt_off;         /* why partitions cannot run, or NULL */
	uint64_t tsc_khz;             /* TSC frequency, 0 if unknown */
	uint64_t boot_epoch;          /* wall time at boot_tsc (host RTC), 0 if unknown */
	uint64_t boot_tsc;
	uint16_t pm_tmr_passthrough;  /* the machine's PM timer port guests read, or 0 */
	bool allow_unsafe_interrupts; /* [vatra]: passthrough without interrupt remapping */
	uint32_t tlb_tags;            /* [vatra] tlb_tags: ASIDs/VPIDs per CPU at most, 0 = all */
};

extern struct hv hv;

#endif
