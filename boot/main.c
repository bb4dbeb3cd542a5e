/* hv_main: the hypervisor core from the loader's hand-off to the idle
 * shell. It reads as a table of contents: one init step per line. */
#include "include/vatra/hv.h"
#include "mgmt/config.h"
#include "arch/x86/cpu.h"
#include "arch/x86/desc.h"
#include "arch/x86/mmu.h"
#include "arch/x86/caps.h"
#include "arch/x86/power.h"
#include "drivers/uart.h"
#include "drivers/pci.h"
#include "drivers/iommu.h"
#include "drivers/iommu_selftest.h"
#include "drivers/ioapic.h"
#include "mm/mem.h"
#include "mgmt/shell.h"
#include "mgmt/console.h"
#include "mgmt/api.h"
#include "arch/x86/tsc.h"
#include "arch/x86/apic.h"
#include "arch/x86/vectors.h"
#include "arch/x86/rtc.h"
#include "arch/x86/smp.h"
#include "vmm/virtio.h"
#include "vmm/sched.h"
#include "vmm/vmm_ops.h"
#include "vmm/vmm.h"
#include "vmm/partition.h"
#include "vmm/passthru.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/errno.h"

struct hv hv;
static struct vatra_config cfg;
static struct acpi_info acpi;

static void console_sink(const char *s, size_t n)
{
	uart_write(s, n);
}

/* A hypervisor fault (panic, an unexpected exception) stops every CPU. */
static void fatal_stop(void)
{
	smp_halt_others();
	pr_err("vatra: stopped");
	if (cfg.on_all_stopped == CFG_STOP_EXIT)
		power_debug_exit(0x7f);
	cpu_halt_forever();
}

/* COM1 at 115200 until vatra.cfg says otherwise. */
static void console_early(void)
{
	uart_init(0x3f8, 115200);
	log_set_sink(console_sink);
	log_set_fatal_hook(fatal_stop);
}

static void boot_info_check(const struct boot_info *bi)
{
	if (bi->magic != BOOTINFO_MAGIC || bi->version != BOOTINFO_VERSION)
		panic("boot info from the loader has magic %#llx version %u, expected version %u",
		      (unsigned long long)bi->magic, bi->version, BOOTINFO_VERSION);
	hv.bi = bi;
}

static void config_load(const struct boot_info *bi)
{
	const char *text = bi->cfg_phys ? phys_to_virt(bi->cfg_phys) : "";

	cfg_parse(&cfg, text, bi->cfg_phys ? bi->cfg_size : 0);
	hv.cfg = &cfg;
	hv.tlb_tags = cfg.tlb_tags;
	hv.allow_unsafe_interrupts = cfg.allow_unsafe_interrupts;
	hv.no_virtual_nmis = cfg.no_virtual_nmis;
	log_set_level((enum log_level)cfg.log_level);
	console_set_quiet(cfg.console_quiet);
	if (!uart_init(cfg.console_port, cfg.console_baud)) {
		uart_init(0x3f8, 115200);
		pr_warn("vatra.cfg: no UART answers at port %#x; console stays on COM1",
			cfg.console_port);
	}
}

static void banner(void)
{
	kprintf("\nVatra %s - bare-metal hypervisor\n", VATRA_VERSION);
}

static void config_report(const struct boot_info *bi)
{
	if (bi->cfg_status)
		pr_warn("vatra.cfg: not read (%s): running with defaults", err_name(bi->cfg_status));
	else
		pr_info("vatra.cfg: %llu bytes, %u partition(s), %u error(s)",
			(unsigned long long)bi->cfg_size, cfg.nparts,
			cfg.nerrors + cfg.errors_dropped);
	for (unsigned i = 0; i < cfg.nerrors; i++)
		pr_err("vatra.cfg:%u: %s", cfg.errors[i].line, cfg.errors[i].msg);
	if (cfg.errors_dropped)
		pr_err("vatra.cfg: %u more error(s) not shown", cfg.errors_dropped);
	pr_info("config: console %#x,%u log_level %s on_all_stopped %s",
		cfg.console_port, cfg.console_baud, cfg_log_name(cfg.log_level),
		cfg_on_stop_name(cfg.on_all_stopped));
}

static void memory_init(const struct boot_info *bi)
{
	int r = mem_init(bi);

	if (r)
		panic("no room for the page allocator: %s", err_name(r));
	r = mmu_init(bi);
	if (r)
		panic("cannot build the hypervisor's page tables: %s", err_name(r));
	pr_info("mmu: W^X page tables on (nx %s, wp on, smep %s, smap %s), %llu table pages",
		mmu_state()->nx ? "on" : "off", mmu_state()->smep ? "on" : "off",
		mmu_state()->smap ? "on" : "off", (unsigned long long)mmu_state()->table_pages);
	mem_report(bi);
}

static const void *acpi_map(void *ctx, uint64_t phys, size_t len)
{
	(void)ctx;
	return mmu_map_phys(phys, len, false);
}

static void acpi_init(const struct boot_info *bi)
{
	static const struct acpi_env env = { .map = acpi_map };
	int r = acpi_parse(&acpi, &env, bi->rsdp);

	for (unsigned i = 0; i < acpi.nerrors; i++)
		pr_err("acpi: %s (table not trusted)", acpi.errors[i]);
	if (r == -ENOENT) {
		pr_warn("acpi: the firmware gave no RSDP: no CPU list, power-off or reset from ACPI");
		snprintf(hv.iommu, sizeof(hv.iommu), "unknown (no ACPI)");
		return;
	}
	if (r) {
		pr_err("acpi: unusable (%s): no CPU list, power-off or reset from ACPI",
		       err_name(r));
		snprintf(hv.iommu, sizeof(hv.iommu), "unknown (no ACPI)");
		return;
	}
	hv.acpi = &acpi;
	pr_info("acpi: RSDP rev %u, %s, OEM '%s', %u tables", acpi.rsdp_rev,
		acpi.xsdt ? "XSDT" : "RSDT", acpi.oem_id, acpi.ntables);
	for (unsigned i = 0; i < acpi.ntables; i++)
		pr_info("acpi: table %s at %#llx, %u bytes, rev %u, OEM '%s'%s",
			acpi.tables[i].sig, (unsigned long long)acpi.tables[i].phys,
			acpi.tables[i].len, acpi.tables[i].rev, acpi.tables[i].oem_id,
			acpi.tables[i].valid ? "" : " (invalid, ignored)");
	pr_info("acpi: %u CPU(s), %u IOAPIC(s), LAPIC at %#x, %u PCI segment(s) (MCFG)",
		acpi.ncpus, acpi.nioapics, acpi.lapic_addr, acpi.nmcfg);
	pr_info("acpi: power-off %s, reset %s",
		acpi.have_s5 ? "via PM1 control (S5)" : "unavailable",
		acpi.reset_supported ? "via FADT reset register" : "via legacy ports");
	if (acpi.have_dmar)
		snprintf(hv.iommu, sizeof(hv.iommu), "Intel VT-d (DMAR, %u unit(s))",
			 acpi.dmar_drhd);
	else if (acpi.have_ivrs)
		snprintf(hv.iommu, sizeof(hv.iommu), "AMD-Vi (IVRS, %u IVHD block(s))",
			 acpi.ivrs_ivhd);
	else
		snprintf(hv.iommu, sizeof(hv.iommu), "none (no DMAR or IVRS table)");
}

static void caps_init(void)
{
	struct caps c;

	caps_probe(&c);
	caps_print(&log_console_sink, &c, hv.iommu);
}

/* The IOMMU takes every device's DMA before any partition exists: every
 * requester ID blocked; a missing or refused IOMMU is reported (caps)
 * and only passthrough is lost. */
static void iommu_init(void)
{
	char base[sizeof(hv.iommu)];
	struct iommu_info inf;

	memcpy(base, hv.iommu, sizeof(base));
	if (iommu_setup(hv.acpi) || !iommu) {
		if (strcmp(base, "none (no DMAR or IVRS table)") && hv.acpi)
			snprintf(hv.iommu, sizeof(hv.iommu), "%.60s: unusable: %.100s", base,
				 iommu_absent_reason);
		if (cfg.iommu_selftest)
			iommu_selftest();	/* says there is nothing to test */
		return;
	}
	iommu->info(&inf);
	/* The IOMMU's own PCI functions are the hypervisor's for good. */
	for (unsigned i = 0; i < pci_host_tree()->ndevs; i++) {
		struct pci_dev *d = &pci_host_tree()->devs[i];

		if (iommu->is_unit && iommu->is_unit(d->seg, (uint16_t)(d->bus << 8 | d->devfn)))
			pci_set_hypervisor(d, "the IOMMU");
	}
	snprintf(hv.iommu, sizeof(hv.iommu), "%.60s: translation on, every device blocked, IR %s",
		 base, inf.intr_remap ? "on" : "off");
	if (cfg.iommu_selftest)
		iommu_selftest();
}

/* The boot CPU between its vCPUs: the shell, IOMMU faults (their
 * interrupt only marks them pending), the management network. */
static void boot_cpu_poll(void)
{
	shell_poll();
	iommu_poll();
	mgmt_net_poll();
}

/* A PCI serial card carrying the console is the hypervisor's: no
 * partition may take the console away. */
static void console_pci_claim(void)
{
	struct pci_tree *t = pci_host_tree();

	for (unsigned i = 0; i < t->ndevs; i++)
		for (unsigned b = 0; b < t->devs[i].nbars && b < PCI_MAX_BARS; b++) {
			const struct pci_bar *r = &t->devs[i].bar[b];

			if (r->type == PCI_BAR_IO && r->size && cfg.console_port >= r->base &&
			    cfg.console_port < r->base + r->size)
				pci_set_hypervisor(&t->devs[i], "the serial console");
		}
}

static void files_report(const struct boot_info *bi)
{
	for (uint32_t i = 0; i < bi->nfiles; i++) {
		const struct bi_file *f = &bi->files[i];
		if (f->status)
			pr_err("file %s: not loaded (%s)", f->path, err_name(f->status));
		else
			pr_info("file %s: %llu bytes", f->path, (unsigned long long)f->size);
	}
}

static void tsc_init(void)
{
	hv.boot_epoch = rtc_read_epoch();
	hv.boot_tsc = rdtsc();
	hv.tsc_khz = tsc_calibrate(hv.acpi ? hv.acpi->pm_tmr : 0, hv.acpi && hv.acpi->pm_tmr_32bit);
	if (hv.tsc_khz)
		pr_info("tsc: %llu.%03llu MHz", (unsigned long long)(hv.tsc_khz / 1000),
			(unsigned long long)(hv.tsc_khz % 1000));
	else
		pr_warn("tsc: no reference timer answered; TSC frequency unknown");
}

static void host_timer_init(void)
{
	int r = apic_init(hv.tsc_khz);

	if (r) {
		pr_warn("apic: no working LAPIC timer (%s): guests are preempted only at their exits",
			err_name(r));
		return;
	}
	if (cfg.selftest) {
		r = vectors_selftest(hv.tsc_khz);
		if (r)
			pr_err("selftest: host interrupt vectors: %s", err_name(r));
	}
}

static void selftest(void)
{
	int bad;

	if (!cfg.selftest)
		return;
	bad = mmu_selftest();
	if (bad)
		pr_err("selftest: %d protection probe(s) failed", bad);
	else
		pr_info("selftest: W^X and guard pages hold");
	if (cfg.selftest_trap) {
		pr_info("selftest: taking a deliberate invalid-opcode exception");
		__asm__ volatile("ud2");
	}
}

/* Every partition has stopped: ends the run the way vatra.cfg's
 * on_all_stopped says (exit, poweroff), or returns to keep the shell. */
static void all_stopped(int status)
{
	switch (cfg.on_all_stopped) {
	case CFG_STOP_EXIT:
		pr_info("vatra: all partitions stopped, exit status %d", status);
		power_debug_exit((uint8_t)status);
		break;
	case CFG_STOP_POWEROFF:
		pr_info("vatra: all partitions stopped, powering off");
		power_off(hv.acpi);
		pr_err("vatra: power-off failed");
		break;
	case CFG_STOP_SHELL:
		if (npartitions)
			pr_info("vatra: all partitions stopped");
		kprintf("Type 'help' for commands.\n");
		return;
	}
	cpu_halt_forever();
}

/* What the VMM calls back: partitions' console output, the shell on
 * the boot CPU, the end of the last partition. */
static const struct vmm_hooks hooks = {
	.console_put = console_put,
	.console_flush = console_flush,
	.boot_cpu_poll = boot_cpu_poll,
	.console_drain = console_drain,
	.all_stopped = all_stopped,
};

/* Each application processor, on its own stack: its LAPIC, then AMD-V or
 * VT-x, then the scheduler for the vCPUs pinned to it. */
static void ap_main(struct cpu *c)
{
	int r = apic_init_ap();

	if (r) {
		c->fail = "its local APIC did not answer";
		c->state = CPU_FAILED;
		return;
	}
	r = vmm_cpu_init();
	if (r)
		c->fail = "virtualization could not be turned on here";
	c->state = CPU_ONLINE;     /* online; runs vCPUs only with virt_on */
	sched_loop(c);
}

static void smp_init(void)
{
	unsigned usable = 0;

	smp_boot(hv.bi, hv.acpi, ap_main);
	for (unsigned i = 0; i < cpu_count; i++)
		usable += cpu_table[i].state == CPU_ONLINE && cpu_table[i].virt_on;
	if (vmm && usable < cpu_count)
		pr_warn("smp: %u CPU(s) can run vCPUs", usable);
}

__attribute__((noreturn)) void hv_main(struct boot_info *bi);
void hv_main(struct boot_info *bi)
{
	console_early();          /* COM1, so anything below can report */
	desc_init();              /* own GDT/TSS/IDT: exceptions dump and stop */
	boot_info_check(bi);      /* the loader's hand-off is what we expect */
	config_load(bi);          /* vatra.cfg: console, log level, partitions */
	banner();
	config_report(bi);        /* every config error with its line number */
	memory_init(bi);          /* page allocator, W^X page tables */
	acpi_init(bi);            /* RSDP -> XSDT -> MADT, MCFG, FADT, DMAR/IVRS */
	pci_init(hv.acpi);        /* the machine's PCI functions: ECAM per MCFG segment, or CF8 */
	console_pci_claim();      /* a PCI UART carrying the console stays the hypervisor's */
	caps_init();              /* what the CPU offers: the caps block */
	files_report(bi);         /* guest files the loader read */
	selftest();               /* optional: prove W^X and guard pages */
	tsc_init();               /* TSC frequency, for time slices and guests */
	host_timer_init();        /* own LAPIC timer: preempts guests that never exit; vector self-test */
	iommu_init();             /* VT-d or AMD-Vi: translation on, every device blocked; optional DMA self-test */
	ioapic_init(hv.acpi);     /* the host's IOAPICs: every input masked */
	passthru_intx_init(hv.acpi);   /* the root buses' _PRT, for passed-through INTx */
	mgmt_net_init(&cfg, bi);   /* management NIC, lwIP, TLS API, syslog (if configured) */
	vmm_set_hooks(&hooks);    /* consoles, the shell, the end of the run */
	vmm_init();               /* AMD-V or VT-x on, or the reason why not */
	smp_init();               /* the other CPUs: each turns it on and schedules */
	pr_info("vatra: ready");
	virtio_switches_init(cfg.switches, cfg.nswitches);   /* before the NICs plug in */
	vmm_start_partitions(cfg.parts, cfg.nparts);   /* every autostart partition */
	sched_loop(&cpu_table[0]);   /* run vCPUs and the shell, forever */
}
