/* The serial shell: read a line, run a command, one clear line per
 * error. Nothing typed here can stop the hypervisor except `reboot` and
 * `poweroff`. */
#include "mgmt/shell.h"
#include "include/vatra/hv.h"
#include "arch/x86/caps.h"
#include "arch/x86/vectors.h"
#include "arch/x86/cpu.h"
#include "arch/x86/power.h"
#include "drivers/uart.h"
#include "mm/mem.h"
#include "mgmt/console.h"
#include "drivers/pci.h"
#include "mgmt/lineedit.h"
#include "lib/strutil.h"
#include "vmm/partition.h"
#include "vmm/sched.h"
#include "vmm/vmm.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/errno.h"

#define LINE_MAX 256

static struct partition *attached_to;   /* the console the serial line feeds */
static unsigned ctrl_a;                  /* Ctrl-A presses in a row */

struct cmd {
	struct shell_cmd_spec spec;
	const char *help;
	void (*run)(int argc, char **argv);
};

static void cmd_help(int argc, char **argv);

static void cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("Vatra %s\n", VATRA_VERSION);
}

static void cmd_caps(int argc, char **argv)
{
	(void)argv;
	unsigned online = 0, usable = 0;

	(void)argc;
	caps_print(caps_get(), hv.iommu);
	for (unsigned i = 0; i < cpu_count; i++) {
		online += cpu_table[i].state == CPU_ONLINE;
		usable += cpu_table[i].state == CPU_ONLINE && cpu_table[i].virt_on;
	}
	kprintf("caps: cpus       %u online (%u run vCPUs) of %u in the MADT\n", online, usable,
		hv.acpi ? hv.acpi->ncpus : 1);
	vectors_report(&log_console_sink);
}

static void cmd_mem(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (uint32_t i = 0; i < hv.bi->nmem; i++) {
		const struct bi_mem *m = &hv.bi->mem[i];
		kprintf("%#014llx-%#014llx %10llu KiB  %s\n", (unsigned long long)m->base,
			(unsigned long long)(m->base + m->pages * 4096 - 1),
			(unsigned long long)(m->pages * 4), mem_type_name(m->type));
	}
	kprintf("allocator: %llu KiB managed, %llu KiB free\n",
		(unsigned long long)(mem_managed_pages() * 4),
		(unsigned long long)(mem_free_pages() * 4));
}

static void cmd_acpi(int argc, char **argv)
{
	const struct acpi_info *a = hv.acpi;

	(void)argc;
	(void)argv;
	if (!a) {
		kprintf("acpi: unavailable\n");
		return;
	}
	for (unsigned i = 0; i < a->ntables; i++)
		kprintf("%s  %#llx  %6u bytes  rev %u  %s%s\n", a->tables[i].sig,
			(unsigned long long)a->tables[i].phys, a->tables[i].len,
			a->tables[i].rev, a->tables[i].oem_id,
			a->tables[i].valid ? "" : "  INVALID");
	for (unsigned i = 0; i < a->ncpus; i++)
		kprintf("cpu %u: apic id %u%s%s\n", i, a->cpus[i].apic_id,
			a->cpus[i].x2apic ? " (x2apic)" : "",
			a->cpus[i].enabled ? "" : " disabled");
}

static void cmd_log(int argc, char **argv)
{
	char buf[128];
	size_t pos = 0, n;

	(void)argc;
	(void)argv;
	while ((n = log_ring_read(&pos, buf, sizeof(buf))) > 0)
		uart_write(buf, n);
}

static void cmd_config(int argc, char **argv)
{
	const struct vatra_config *c = hv.cfg;

	(void)argc;
	(void)argv;
	kprintf("console %#x,%u  log_level %s  on_all_stopped %s  selftest %s\n",
		c->console_port, c->console_baud, cfg_log_name(c->log_level),
		cfg_on_stop_name(c->on_all_stopped), c->selftest ? "yes" : "no");
	for (unsigned i = 0; i < c->nparts; i++)
		kprintf("partition %s (line %u): kernel %s, %llu MiB, %u vCPU(s), format %s%s\n",
			c->parts[i].name, c->parts[i].line, c->parts[i].kernel,
			(unsigned long long)(c->parts[i].memory >> 20), c->parts[i].vcpus,
			cfg_format_name(c->parts[i].format),
			c->parts[i].valid ? "" : ", INVALID");
	for (unsigned i = 0; i < c->nerrors; i++)
		kprintf("vatra.cfg:%u: %s\n", c->errors[i].line, c->errors[i].msg);
}

static void cmd_list(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("%-16s %-8s %5s %8s  %s\n", "NAME", "STATE", "VCPUS", "MEMORY", "NOTE");
	for (unsigned i = 0; i < npartitions; i++) {
		const struct partition *p = &partitions[i];
		kprintf("%-16s %-8s %5u %7lluM  %s\n", part_name(p),
			p->state != PART_RUNNING ? "stopped" : p->paused ? "paused" : "running",
			p->cfg->vcpus,
			(unsigned long long)(p->cfg->memory >> 20),
			p->state == PART_RUNNING ? "" : p->stop_reason);
	}
}

/* The partition named by argv[1], or NULL after saying why. */
static struct partition *arg_part(int argc, char **argv, const char *verb)
{
	struct partition *p;

	if (argc != 2) {
		kprintf("error: %s takes a partition name\n", verb);
		return NULL;
	}
	p = part_find(argv[1]);
	if (!p)
		kprintf("error: no partition named '%s'\n", argv[1]);
	return p;
}

static bool running(struct partition *p)
{
	if (p->state == PART_RUNNING)
		return true;
	kprintf("error: partition %s is not running\n", part_name(p));
	return false;
}

static void cmd_destroy(int argc, char **argv)
{
	struct partition *p = arg_part(argc, argv, "destroy");

	if (!p || !running(p))
		return;
	part_lock(p);
	part_stop(p, 0, "destroyed by the operator");
	part_unlock(p);
}

static void cmd_info(int argc, char **argv)
{
	struct partition *p = arg_part(argc, argv, "info");
	const struct cfg_part *c;
	uint64_t secs;

	if (!p)
		return;
	c = p->cfg;
	kprintf("partition %s (vatra.cfg line %u)\n", c->name, c->line);
	kprintf("  state    %s%s%s\n", p->state == PART_RUNNING ? "running" : "stopped",
		p->paused ? ", paused" : "", p->state == PART_RUNNING ? "" : "");
	if (p->state != PART_RUNNING)
		kprintf("  stopped  %s (status %d)\n", p->stop_reason, p->status);
	kprintf("  kernel   %s (%s)\n", c->kernel, cfg_format_name(c->format));
	if (c->initrd[0])
		kprintf("  initrd   %s\n", c->initrd);
	if (c->cmdline[0])
		kprintf("  cmdline  %s\n", c->cmdline);
	kprintf("  memory   %llu MiB at host %#llx\n", (unsigned long long)(c->memory >> 20),
		(unsigned long long)p->ram_hpa);
	kprintf("  vcpus    %u, starts %u\n", c->vcpus, p->starts);
	if (p->state == PART_RUNNING && hv.tsc_khz) {
		secs = (rdtsc() - p->start_tsc) / (hv.tsc_khz * 1000);
		kprintf("  uptime   %02llu:%02llu:%02llu\n", (unsigned long long)(secs / 3600),
			(unsigned long long)(secs / 60 % 60), (unsigned long long)(secs % 60));
	}
	for (unsigned i = 0; i < p->nvcpus; i++)
		kprintf("  vCPU %u   %s, RIP %#llx, %llu exits\n", i,
			p->vcpus[i].state == VCPU_RUNNABLE ? "runnable" :
			p->vcpus[i].state == VCPU_HALTED ? "halted" :
			p->vcpus[i].state == VCPU_WAIT_SIPI ? "waiting for SIPI" : "stopped",
			(unsigned long long)p->vcpus[i].regs.rip,
			(unsigned long long)p->vcpus[i].exits_total);
}

static void cmd_start(int argc, char **argv)
{
	struct partition *p = arg_part(argc, argv, "start");

	if (!p)
		return;
	if (p->state == PART_RUNNING) {
		kprintf("error: partition %s is already running\n", part_name(p));
		return;
	}
	part_lock(p);
	part_start(p, p->id, p->cfg);
	part_unlock(p);
}

static void cmd_stop(int argc, char **argv)
{
	struct partition *p = arg_part(argc, argv, "stop");

	if (!p || !running(p))
		return;
	/* Graceful: the ACPI power button; `destroy` if the guest ignores it. */
	part_lock(p);
	if (p->state == PART_RUNNING) {
		vpm_power_button(&p->plat.pm);
		p->plat.dirty = true;
		sched_kick_partition(p);
	}
	part_unlock(p);
	kprintf("partition %s: power button pressed\n", part_name(p));
}

static void cmd_reset(int argc, char **argv)
{
	struct partition *p = arg_part(argc, argv, "reset");

	if (!p || !running(p))
		return;
	part_lock(p);
	if (p->state == PART_RUNNING)
		part_reset(p);
	part_unlock(p);
}

static void cmd_pause(int argc, char **argv)
{
	struct partition *p = arg_part(argc, argv, "pause");

	if (!p || !running(p))
		return;
	part_lock(p);
	p->paused = true;
	sched_kick_partition(p);      /* its CPUs leave its slices now */
	part_unlock(p);
	kprintf("partition %s: paused\n", part_name(p));
}

static void cmd_resume(int argc, char **argv)
{
	struct partition *p = arg_part(argc, argv, "resume");

	if (!p || !running(p))
		return;
	if (!p->paused) {
		kprintf("error: partition %s is not paused\n", part_name(p));
		return;
	}
	part_lock(p);
	p->paused = false;
	sched_kick_partition(p);
	part_unlock(p);
	kprintf("partition %s: resumed\n", part_name(p));
}

static void cmd_cpus(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (unsigned i = 0; i < cpu_count; i++) {
		const struct cpu *c = &cpu_table[i];
		uint64_t total = c->busy_cycles + c->idle_cycles;
		char vcpus[160];
		size_t n = 0;

		vcpus[0] = '\0';
		for (unsigned j = 0; j < npartitions; j++) {
			const struct partition *p = &partitions[j];
			if (p->state != PART_RUNNING)
				continue;
			for (unsigned k = 0; k < p->nvcpus && n + 40 < sizeof(vcpus); k++)
				if (p->vcpus[k].pcpu == c)
					n += (size_t)snprintf(vcpus + n, sizeof(vcpus) - n, " %s/%u",
							      part_name(p), k);
		}
		kprintf("cpu %u: apic id %u, %s%s%s, %u vCPU(s)%s%s, busy %llu%%\n", i, c->apic_id,
			c->state == CPU_ONLINE ? "online" : "failed",
			i == 0 ? ", boot CPU (shell)" : "",
			c->state == CPU_ONLINE && !c->virt_on ? ", no virtualization" : "",
			c->nvcpus, c->dedicated ? " dedicated:" : n ? ":" : "", vcpus,
			(unsigned long long)(total ? c->busy_cycles * 100 / total : 0));
		if (c->fail)
			kprintf("       not used: %s\n", c->fail);
	}
	if (hv.acpi && hv.acpi->ncpus > cpu_count)
		kprintf("%u more CPU(s) in the MADT did not come up\n", hv.acpi->ncpus - cpu_count);
}

static void cmd_pci(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	pci_report(&log_console_sink);
}

static void cmd_console(int argc, char **argv)
{
	struct partition *p = arg_part(argc, argv, "console");

	if (!p)
		return;
	kprintf("[attached to %s: Ctrl-A three times returns to the shell]\n", argv[1]);
	console_attach((int)p->id, 20);
	attached_to = p;
}

static void cmd_stats(int argc, char **argv)
{
	vmm_stats(argc > 1 ? argv[1] : NULL);
}

static void cmd_reboot(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("rebooting\n");
	power_reset(hv.acpi);
	kprintf("reboot: no reset method worked\n");
}

static void cmd_poweroff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("powering off\n");
	if (power_off(hv.acpi))
		kprintf("poweroff: ACPI gave no way to power off\n");
}

static const struct cmd cmds[] = {
	{ { "help", "" }, "list commands", cmd_help },
	{ { "version", "" }, "show the Vatra version", cmd_version },
	{ { "caps", "" }, "CPU virtualization capabilities", cmd_caps },
	{ { "mem", "" }, "memory map and allocator", cmd_mem },
	{ { "cpus", "" }, "physical CPUs", cmd_cpus },
	{ { "pci", "" }, "PCI devices of the machine", cmd_pci },
	{ { "acpi", "" }, "ACPI tables and CPUs", cmd_acpi },
	{ { "config", "" }, "the parsed vatra.cfg and its errors", cmd_config },
	{ { "log", "" }, "the log ring", cmd_log },
	{ { "list", "" }, "partitions and their state", cmd_list },
	{ { "stats", "[NAME]" }, "exit statistics per vCPU and reason", cmd_stats },
	{ { "info", "NAME" }, "one partition in detail", cmd_info },
	{ { "start", "NAME" }, "start a stopped partition", cmd_start },
	{ { "stop", "NAME" }, "press its ACPI power button", cmd_stop },
	{ { "reset", "NAME" }, "reset a partition (start it again)", cmd_reset },
	{ { "pause", "NAME" }, "stop running its vCPUs for now", cmd_pause },
	{ { "resume", "NAME" }, "run a paused partition again", cmd_resume },
	{ { "destroy", "NAME" }, "stop a partition at once", cmd_destroy },
	{ { "console", "NAME" }, "attach to a partition's console (Ctrl-A x3 detaches)", cmd_console },
	{ { "reboot", "" }, "reset the machine", cmd_reboot },
	{ { "poweroff", "" }, "power the machine off", cmd_poweroff },
};

static void cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		kprintf("  %-10s %-12s %s\n", cmds[i].spec.name, cmds[i].spec.args, cmds[i].help);
}

static void run_line(char *line)
{
	static struct shell_cmd_spec specs[sizeof(cmds) / sizeof(cmds[0])];
	char *argv[SHELL_MAX_ARGS];
	int argc, i;

	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		specs[k] = cmds[k].spec;
	i = shell_parse(line, specs, sizeof(cmds) / sizeof(cmds[0]), argv, &argc);
	switch (i) {
	case -ENOENT:
		return;
	case -E2BIG:
		kprintf("error: too many words (at most %d)\n", SHELL_MAX_ARGS);
		return;
	case -ENOSYS:
		kprintf("error: unknown command '%s' (try 'help')\n", argv[0]);
		return;
	case -EINVAL:
		for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
			if (!strcmp(argv[0], cmds[k].spec.name))
				kprintf("error: %s takes %s\n", argv[0],
					cmds[k].spec.args[0] ? "one argument" : "no arguments");
		return;
	default:
		cmds[i].run(argc, argv);
	}
}

/* Line editing (mgmt/lineedit.c: cursor keys, history, Ctrl-U/K/W/C).
 * Non-blocking: takes what the UART has and returns, so partitions run
 * between keystrokes. */
static struct led ed;
static bool prompted;

static void ed_out(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	kprintf("%.*s", (int)n, s);
}

void shell_poll(void)
{
	char buf[LINE_MAX];
	const char *done;
	int c;

	if (!prompted) {
		led_init(&ed, ed_out, NULL);
		kprintf("vatra> ");
		prompted = true;
	}
	if (attached_to && attached_to->state != PART_RUNNING) {
		console_detach();
		kputline("[%s stopped: detached]\n", part_name(attached_to));
		attached_to = NULL;
		kprintf("vatra> ");
	}
	while ((c = uart_getc()) >= 0) {
		if (attached_to) {
			/* Attached: keystrokes belong to the partition, except
			 * Ctrl-A three times in a row (Xen's escape). */
			if (c == 0x01 && ++ctrl_a < 3)
				continue;
			if (c == 0x01) {
				ctrl_a = 0;
				console_detach();
				kputline("[detached from %s]\n", part_name(attached_to));
				attached_to = NULL;
				kprintf("vatra> ");
				continue;
			}
			/* The guest's UART (and the interrupt it may raise) is the
			 * partition's: its vCPUs on other CPUs use it too. */
			part_lock(attached_to);
			if (attached_to->state == PART_RUNNING) {
				for (; ctrl_a; ctrl_a--)
					vuart_rx(&attached_to->uart, 0x01);
				vuart_rx(&attached_to->uart, (uint8_t)c);
			}
			ctrl_a = 0;
			part_unlock(attached_to);
			continue;
		}
		if (led_feed(&ed, (uint8_t)c, &done) != 1)
			continue;
		/* shell_split edits in place: work on a copy. */
		str_copy(buf, done, sizeof(buf));
		run_line(buf);
		if (!attached_to)
			kprintf("vatra> ");
	}
}
