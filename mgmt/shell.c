/* The serial shell: read a line, run a command, one clear line per
 * error. Nothing typed here can stop the hypervisor except `reboot` and
 * `poweroff`. */
#include "mgmt/shell.h"
#include "include/vatra/hv.h"
#include "arch/x86/caps.h"
#include "arch/x86/cpu.h"
#include "arch/x86/power.h"
#include "drivers/uart.h"
#include "mm/mem.h"
#include "mgmt/console.h"
#include "mgmt/lineedit.h"
#include "lib/strutil.h"
#include "vmm/partition.h"
#include "vmm/vmm.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/errno.h"

#define LINE_MAX 256

static struct partition *attached_to;   /* the console the serial line feeds */
static unsigned ctrl_a;                  /* Ctrl-A presses in a row */

struct cmd {
	const char *name;
	const char *args;
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
	(void)argc;
	(void)argv;
	caps_print(caps_get(), hv.iommu);
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
			p->state == PART_RUNNING ? "running" : "stopped", p->cfg->vcpus,
			(unsigned long long)(p->cfg->memory >> 20),
			p->state == PART_RUNNING ? "" : p->stop_reason);
	}
}

static void cmd_destroy(int argc, char **argv)
{
	struct partition *p;

	if (argc != 2) {
		kprintf("error: destroy takes a partition name\n");
		return;
	}
	p = part_find(argv[1]);
	if (!p) {
		kprintf("error: no partition named '%s'\n", argv[1]);
		return;
	}
	if (p->state != PART_RUNNING) {
		kprintf("error: partition %s is not running\n", argv[1]);
		return;
	}
	part_stop(p, 0, "destroyed by the operator");
}

static void cmd_console(int argc, char **argv)
{
	struct partition *p;

	if (argc != 2) {
		kprintf("error: console takes a partition name\n");
		return;
	}
	p = part_find(argv[1]);
	if (!p) {
		kprintf("error: no partition named '%s'\n", argv[1]);
		return;
	}
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
	{ "help", "", "list commands", cmd_help },
	{ "version", "", "show the Vatra version", cmd_version },
	{ "caps", "", "CPU virtualization capabilities", cmd_caps },
	{ "mem", "", "memory map and allocator", cmd_mem },
	{ "acpi", "", "ACPI tables and CPUs", cmd_acpi },
	{ "config", "", "the parsed vatra.cfg and its errors", cmd_config },
	{ "log", "", "the log ring", cmd_log },
	{ "list", "", "partitions and their state", cmd_list },
	{ "stats", "[NAME]", "exit statistics per vCPU and reason", cmd_stats },
	{ "destroy", "NAME", "stop a partition at once", cmd_destroy },
	{ "console", "NAME", "attach to a partition's console (Ctrl-A x3 detaches)", cmd_console },
	{ "reboot", "", "reset the machine", cmd_reboot },
	{ "poweroff", "", "power the machine off", cmd_poweroff },
};

static void cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		kprintf("  %-10s %-12s %s\n", cmds[i].name, cmds[i].args, cmds[i].help);
}

static void run_line(char *line)
{
	char *argv[SHELL_MAX_ARGS];
	int argc = shell_split(line, argv, SHELL_MAX_ARGS);

	if (argc < 0) {
		kprintf("error: too many words (at most %d)\n", SHELL_MAX_ARGS);
		return;
	}
	if (argc == 0)
		return;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[0], cmds[i].name)) {
			if ((argc > 1 && !cmds[i].args[0]) || argc > 2) {
				kprintf("error: %s takes %s\n", cmds[i].name,
					cmds[i].args[0] ? "one argument" : "no arguments");
				return;
			}
			cmds[i].run(argc, argv);
			return;
		}
	}
	kprintf("error: unknown command '%s' (try 'help')\n", argv[0]);
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
			while (ctrl_a) {
				ctrl_a--;
				vuart_rx(&attached_to->uart, 0x01);
			}
			if (attached_to->state == PART_RUNNING)
				vuart_rx(&attached_to->uart, (uint8_t)c);
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
