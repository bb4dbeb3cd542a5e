/* The machine's own reports and power (host.h). */
#include "mgmt/host.h"
#include "mgmt/config.h"
#include "include/vatra/hv.h"
#include "arch/x86/caps.h"
#include "arch/x86/percpu.h"
#include "arch/x86/power.h"
#include "arch/x86/vectors.h"
#include "mm/mem.h"
#include "drivers/iommu.h"
#include "lib/log.h"
#include "lib/errno.h"

int host_caps(struct sink *out)
{
	unsigned online = 0, usable = 0;

	caps_print(out, caps_get(), hv.iommu);
	for (unsigned i = 0; i < cpu_count; i++) {
		online += cpu_table[i].state == CPU_ONLINE;
		usable += cpu_table[i].state == CPU_ONLINE && cpu_table[i].virt_on;
	}
	sink_printf(out, "caps: cpus       %u online (%u run vCPUs) of %u in the MADT\n", online,
		    usable, hv.acpi ? hv.acpi->ncpus : 1);
	vectors_report(out);
	return 0;
}

int host_mem(struct sink *out)
{
	for (uint32_t i = 0; i < hv.bi->nmem; i++) {
		const struct bi_mem *m = &hv.bi->mem[i];
		sink_printf(out, "%#014llx-%#014llx %10llu KiB  %s\n", (unsigned long long)m->base,
			    (unsigned long long)(m->base + m->pages * 4096 - 1),
			    (unsigned long long)(m->pages * 4), mem_type_name(m->type));
	}
	sink_printf(out, "allocator: %llu KiB managed, %llu KiB free\n",
		    (unsigned long long)(mem_managed_pages() * 4),
		    (unsigned long long)(mem_free_pages() * 4));
	return 0;
}

int host_acpi(struct sink *out)
{
	const struct acpi_info *a = hv.acpi;

	if (!a) {
		sink_printf(out, "acpi: unavailable\n");
		return 0;
	}
	for (unsigned i = 0; i < a->ntables; i++)
		sink_printf(out, "%s  %#llx  %6u bytes  rev %u  %s%s\n", a->tables[i].sig,
			    (unsigned long long)a->tables[i].phys, a->tables[i].len,
			    a->tables[i].rev, a->tables[i].oem_id,
			    a->tables[i].valid ? "" : "  INVALID");
	for (unsigned i = 0; i < a->ncpus; i++)
		sink_printf(out, "cpu %u: apic id %u%s%s\n", i, a->cpus[i].apic_id,
			    a->cpus[i].x2apic ? " (x2apic)" : "",
			    a->cpus[i].enabled ? "" : " disabled");
	return 0;
}

int host_iommu(struct sink *out)
{
	iommu_report(out);
	return 0;
}

int host_config(struct sink *out)
{
	const struct vatra_config *c = hv.cfg;

	sink_printf(out, "console %#x,%u  log_level %s  on_all_stopped %s  selftest %s\n",
		    c->console_port, c->console_baud, cfg_log_name(c->log_level),
		    cfg_on_stop_name(c->on_all_stopped), c->selftest ? "yes" : "no");
	for (unsigned i = 0; i < c->nswitches; i++)
		sink_printf(out, "switch %s\n", c->switches[i]);
	for (unsigned i = 0; i < c->nparts; i++) {
		const struct part_config *pt = &c->parts[i];

		sink_printf(out, "partition %s (line %u): kernel %s, %llu MiB, %u vCPU(s), format %s%s\n",
			    pt->name, pt->line, pt->kernel, (unsigned long long)(pt->memory >> 20),
			    pt->vcpus, cfg_format_name(pt->format), pt->valid ? "" : ", INVALID");
		for (unsigned d = 0; d < pt->ndisks; d++)
			sink_printf(out, "  disk %s%s\n", pt->disks[d].path, pt->disks[d].ro ? " ro" : "");
		for (unsigned n = 0; n < pt->nnics; n++) {
			const uint8_t *m = pt->nics[n].mac;

			if (pt->nics[n].mac_set)
				sink_printf(out, "  net %s mac=%02x:%02x:%02x:%02x:%02x:%02x\n", pt->nics[n].sw,
					    m[0], m[1], m[2], m[3], m[4], m[5]);
			else
				sink_printf(out, "  net %s\n", pt->nics[n].sw);
		}
		if (pt->hvc)
			sink_printf(out, "  hvc %s\n", pt->hvc_input ? "console" : "yes");
	}
	for (unsigned i = 0; i < c->nerrors; i++)
		sink_printf(out, "vatra.cfg:%u: %s\n", c->errors[i].line, c->errors[i].msg);
	return 0;
}

int host_log(struct sink *out)
{
	char buf[128];
	size_t pos = 0, n;

	while ((n = log_ring_read(&pos, buf, sizeof(buf))) > 0)
		sink_write(out, buf, n);
	return 0;
}

int host_reboot(struct sink *out)
{
	sink_printf(out, "rebooting\n");
	power_reset(hv.acpi);
	sink_printf(out, "reboot: no reset method worked\n");
	return -ENOSYS;
}

int host_poweroff(struct sink *out)
{
	sink_printf(out, "powering off\n");
	if (!power_off(hv.acpi))
		return 0;
	sink_printf(out, "poweroff: ACPI gave no way to power off\n");
	return -ENOSYS;
}
