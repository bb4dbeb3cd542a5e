/* The command table and its dispatcher (commands.h). Handlers are thin:
 * the work and the report are the VMM's (vmm/part_ops.h) or the
 * machine's (mgmt/host.h); pci is the host PCI layer's. */
#include "mgmt/commands.h"
#include "mgmt/console.h"
#include "mgmt/host.h"
#include "vmm/virtio.h"
#include "vmm/part_ops.h"
#include "drivers/pci.h"
#include "net/stack.h"
#include "include/vatra/version.h"
#include "lib/strutil.h"
#include "lib/string.h"
#include "lib/errno.h"

/* How many replayed lines `console` shows on attaching. */
#define CMD_CONSOLE_REPLAY 20

static int cmd_help(struct sink *out, int argc, char **argv);

static int cmd_version(struct sink *out, int argc, char **argv)
{
	sink_printf(out, "Vatra %s\n", VATRA_VERSION);
	return 0;
}

static int cmd_caps(struct sink *out, int argc, char **argv)
{
	return host_caps(out);
}

static int cmd_mem(struct sink *out, int argc, char **argv)
{
	return host_mem(out);
}

static int cmd_cpus(struct sink *out, int argc, char **argv)
{
	return part_op_cpus(out);
}

static int cmd_pci(struct sink *out, int argc, char **argv)
{
	pci_report(out);
	return 0;
}

static int cmd_net(struct sink *out, int argc, char **argv)
{
	net_report(out);
	return 0;
}

static int cmd_iommu(struct sink *out, int argc, char **argv)
{
	return host_iommu(out);
}

static int cmd_acpi(struct sink *out, int argc, char **argv)
{
	return host_acpi(out);
}

static int cmd_config(struct sink *out, int argc, char **argv)
{
	return host_config(out);
}

static int cmd_log(struct sink *out, int argc, char **argv)
{
	return host_log(out);
}

static int cmd_list(struct sink *out, int argc, char **argv)
{
	return part_op_list(out);
}

static int cmd_stats(struct sink *out, int argc, char **argv)
{
	return part_op_stats(argc > 1 ? argv[1] : NULL, out);
}

static int cmd_info(struct sink *out, int argc, char **argv)
{
	return part_op_info(argv[1], out);
}

static int cmd_switch(struct sink *out, int argc, char **argv)
{
	virtio_switch_report(out);
	return 0;
}

static int cmd_start(struct sink *out, int argc, char **argv)
{
	return part_op_start(argv[1], out);
}

static int cmd_stop(struct sink *out, int argc, char **argv)
{
	return part_op_stop(argv[1], out);
}

static int cmd_reset(struct sink *out, int argc, char **argv)
{
	return part_op_reset(argv[1], out);
}

static int cmd_nmi(struct sink *out, int argc, char **argv)
{
	return part_op_nmi(argv[1], out);
}

static int cmd_pause(struct sink *out, int argc, char **argv)
{
	return part_op_pause(argv[1], out);
}

static int cmd_resume(struct sink *out, int argc, char **argv)
{
	return part_op_resume(argv[1], out);
}

static int cmd_destroy(struct sink *out, int argc, char **argv)
{
	return part_op_destroy(argv[1], out);
}

/* Attaches the serial line: the shell sees console_attached() and hands
 * keystrokes to the partition from then on. */
static int cmd_console(struct sink *out, int argc, char **argv)
{
	unsigned id;
	int r = part_op_find(argv[1], &id, out);

	if (r)
		return r;
	sink_printf(out, "[attached to %s: Ctrl-A three times returns to the shell]\n", argv[1]);
	return console_attach((int)id, CMD_CONSOLE_REPLAY);
}

static int cmd_reboot(struct sink *out, int argc, char **argv)
{
	return host_reboot(out);
}

static int cmd_poweroff(struct sink *out, int argc, char **argv)
{
	return host_poweroff(out);
}

#define R CMD_ROLE_READ
#define O CMD_ROLE_OPERATOR
#define A CMD_ROLE_ADMIN
const struct cmd cmd_table[] = {
	{ "help", "", "list commands", R, cmd_help },
	{ "version", "", "show the Vatra version", R, cmd_version },
	{ "caps", "", "CPU virtualization capabilities", R, cmd_caps },
	{ "mem", "", "memory map and allocator", R, cmd_mem },
	{ "cpus", "", "physical CPUs", R, cmd_cpus },
	{ "pci", "", "PCI devices of the machine", R, cmd_pci },
	{ "acpi", "", "ACPI tables and CPUs", R, cmd_acpi },
	{ "net", "", "the management network: NIC, address, counters", R, cmd_net },
	{ "iommu", "", "IOMMU units, domains, devices and faults", R, cmd_iommu },
	{ "config", "", "the parsed vatra.cfg and its errors", R, cmd_config },
	{ "log", "", "the log ring", R, cmd_log },
	{ "list", "", "partitions and their state", R, cmd_list },
	{ "stats", "[NAME]", "exit statistics per vCPU and reason", R, cmd_stats },
	{ "info", "NAME", "one partition in detail", R, cmd_info },
	{ "switch", "", "virtual switches: ports, MAC tables, counters", R, cmd_switch },
	{ "start", "NAME", "start a stopped partition", O, cmd_start },
	{ "stop", "NAME", "press its ACPI power button", O, cmd_stop },
	{ "reset", "NAME", "reset a partition (start it again)", O, cmd_reset },
	{ "nmi", "NAME", "press its NMI button (LINT1 of every vCPU)", O, cmd_nmi },
	{ "pause", "NAME", "stop running its vCPUs for now", O, cmd_pause },
	{ "resume", "NAME", "run a paused partition again", O, cmd_resume },
	{ "destroy", "NAME", "stop a partition at once", O, cmd_destroy },
	{ "console", "NAME", "attach to a partition's console (Ctrl-A x3 detaches)", O, cmd_console },
	{ "reboot", "", "reset the machine", A, cmd_reboot },
	{ "poweroff", "", "power the machine off", A, cmd_poweroff },
};
#undef R
#undef O
#undef A
const size_t cmd_count = sizeof(cmd_table) / sizeof(cmd_table[0]);

static int cmd_help(struct sink *out, int argc, char **argv)
{
	for (size_t i = 0; i < cmd_count; i++)
		sink_printf(out, "  %-10s %-12s %s%s\n", cmd_table[i].name, cmd_table[i].args,
			    cmd_table[i].help, cmd_table[i].perm == CMD_ROLE_ADMIN ? " (admin)" :
			    cmd_table[i].perm == CMD_ROLE_OPERATOR ? " (operator)" : "");
	return 0;
}

const struct cmd *cmd_find(const char *name)
{
	for (size_t i = 0; i < cmd_count; i++)
		if (!strcmp(cmd_table[i].name, name))
			return &cmd_table[i];
	return NULL;
}

int cmd_split(char *line, char **argv, int max)
{
	int n = 0;

	for (char *p = line; *p;) {
		while (str_isspace(*p))
			*p++ = '\0';
		if (!*p)
			break;
		if (n == max)
			return -E2BIG;
		argv[n++] = p;
		while (*p && !str_isspace(*p))
			p++;
	}
	return n;
}

/* The words a command's argument spec allows: "" none, "NAME" exactly
 * one, "[NAME]" none or one. */
static void arg_range(const char *spec, int *min, int *max)
{
	*min = spec[0] && spec[0] != '[';
	*max = spec[0] != '\0';
}

int cmd_permit(const char *name, enum cmd_role role, struct sink *out)
{
	const struct cmd *c = cmd_find(name);

	if (!c) {
		sink_printf(out, "error: unknown command '%s' (try 'help')\n", name);
		return -ENOSYS;
	}
	if (role < c->perm) {
		sink_printf(out, "error: %s needs the %s role\n", c->name,
			    c->perm == CMD_ROLE_ADMIN ? "admin" : "operator");
		return -EPERM;
	}
	return 0;
}

int cmd_exec_argv(int argc, char **argv, enum cmd_role role, struct sink *out)
{
	const struct cmd *c;
	int min, max, r;

	if (argc < 1)
		return 0;
	if (argc > CMD_MAX_ARGS) {
		sink_printf(out, "error: too many words (at most %d)\n", CMD_MAX_ARGS);
		return -E2BIG;
	}
	r = cmd_permit(argv[0], role, out);
	if (r)
		return r;
	c = cmd_find(argv[0]);
	arg_range(c->args, &min, &max);
	if (argc - 1 < min) {
		sink_printf(out, "error: %s takes a partition name\n", c->name);
		return -EINVAL;
	}
	if (argc - 1 > max) {
		sink_printf(out, "error: %s takes %s\n", c->name,
			    !max ? "no arguments" : min ? "one argument" : "at most one argument");
		return -EINVAL;
	}
	return c->fn(out, argc, argv);
}

int cmd_exec(const char *line, enum cmd_role role, struct sink *out)
{
	char buf[CMD_LINE_MAX], *argv[CMD_MAX_ARGS];
	size_t len = strnlen(line, sizeof(buf));
	int argc;

	if (len == sizeof(buf)) {
		sink_printf(out, "error: line too long (at most %d characters)\n", CMD_LINE_MAX - 1);
		return -E2BIG;
	}
	memcpy(buf, line, len + 1);
	argc = cmd_split(buf, argv, CMD_MAX_ARGS);
	if (argc < 0) {
		sink_printf(out, "error: too many words (at most %d)\n", CMD_MAX_ARGS);
		return -E2BIG;
	}
	return cmd_exec_argv(argc, argv, role, out);
}
