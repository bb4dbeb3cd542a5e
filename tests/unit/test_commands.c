/* The command table and dispatcher (mgmt/commands.c) and the partition
 * operations behind them (vmm/part_ops.c), for real; what those reach
 * below (partition start/stop, the scheduler, the device models, the
 * machine's reports) is faked at link time and records what it was asked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <cmocka.h>
#include "mgmt/commands.h"
#include "mgmt/console.h"
#include "mgmt/host.h"
#include "vmm/part_ops.h"
#include "vmm/partition.h"
#include "vmm/sched.h"
#include "drivers/pci.h"
#include "include/vatra/hv.h"
#include "lib/errno.h"

/* ---- link-time fakes ------------------------------------------------- */

struct partition partitions[PART_MAX];
unsigned npartitions;
struct hv hv;
struct cpu cpu_table[CPU_MAX];
unsigned cpu_count;

static unsigned locked, kicks, starts, stops, resets, power_buttons, pci_lists, nmi_buttons;
static unsigned nmi_takers;     /* what the fake NMI button says took it */
static char host_called[32];
static int attached_id = CONSOLE_NONE;
static uint8_t uart_rx[16];
static unsigned uart_nrx;

void part_lock(struct partition *p)
{
	(void)p;
	locked++;
}

void part_unlock(struct partition *p)
{
	(void)p;
	assert_true(locked > 0);
	locked--;
}

static unsigned virtio_infos;

void virtio_part_info(const struct partition *p, struct sink *out)
{
	(void)p;
	(void)out;
	virtio_infos++;
}

static unsigned switch_reports;

bool virtio_console_input(struct partition *p, const uint8_t *s, size_t n)
{
	(void)p;
	(void)s;
	(void)n;
	return false;   /* no hvc0 with input here: the UART takes it */
}

void virtio_switch_report(struct sink *out)
{
	(void)out;
	switch_reports++;
}

const char *part_name(const struct partition *p)
{
	return p->cfg.name[0] ? p->cfg.name : "?";
}

struct partition *part_find(const char *name)
{
	for (unsigned i = 0; i < npartitions; i++)
		if (!strcmp(partitions[i].cfg.name, name))
			return &partitions[i];
	return NULL;
}

int part_start(struct partition *p, unsigned id, const struct part_config *c)
{
	assert_true(locked > 0);
	assert_ptr_equal(p, &partitions[id]);
	assert_ptr_equal(c, &p->cfg);
	p->state = PART_RUNNING;
	starts++;
	return 0;
}

void part_stop(struct partition *p, int status, const char *fmt, ...)
{
	assert_true(locked > 0);
	(void)status;
	(void)fmt;
	p->state = PART_STOPPED;
	stops++;
}

void part_reset(struct partition *p)
{
	assert_true(locked > 0);
	p->restart = true;
	resets++;
}

unsigned platform_nmi_button(struct partition *p)
{
	assert_true(locked > 0);
	(void)p;
	nmi_buttons++;
	return nmi_takers;
}

void sched_kick_partition(struct partition *p)
{
	(void)p;
	kicks++;
}

unsigned sched_weight(const struct vcpu *v)
{
	(void)v;
	return 256;
}

void vpm_power_button(struct vpm *pm)
{
	(void)pm;
	power_buttons++;
}

bool vuart_rx(struct vuart *u, uint8_t c)
{
	(void)u;
	if (uart_nrx < sizeof(uart_rx))
		uart_rx[uart_nrx++] = c;
	return true;
}

const char *exit_reason_name(enum vm_exit_reason r)
{
	(void)r;
	return "reason";
}

void net_report(struct sink *out)
{
	sink_printf(out, "net: off\n");
	snprintf(host_called, sizeof(host_called), "net");
}

void pci_report(struct sink *out)
{
	pci_lists++;
	sink_printf(out, "pci report\n");
}

/* The devices a partition has, for info NAME. */
void passthru_report(const struct partition *p, struct sink *out)
{
	sink_printf(out, "  devices  of %s\n", p->cfg.name);
}

int console_attach(int id, unsigned replay_lines)
{
	(void)replay_lines;
	attached_id = id;
	return 0;
}

/* The machine's reports: each says who it is into the sink it is given. */
#define HOST_FAKE(name)                                             \
	int host_##name(struct sink *out)                           \
	{                                                           \
		snprintf(host_called, sizeof(host_called), #name);  \
		sink_printf(out, "host " #name "\n");               \
		return 0;                                           \
	}
HOST_FAKE(caps)
HOST_FAKE(mem)
HOST_FAKE(acpi)
HOST_FAKE(iommu)
HOST_FAKE(config)
HOST_FAKE(log)
HOST_FAKE(reboot)
HOST_FAKE(poweroff)

/* ---- helpers ---------------------------------------------------------- */

static char outbuf[8192];
static struct sink_buf sb;

/* Two partitions: web runs (2 vCPUs), db is stopped. */
static int setup(void **state)
{
	(void)state;
	memset(partitions, 0, sizeof(partitions));
	npartitions = 2;
	snprintf(partitions[0].cfg.name, PART_NAME_MAX, "web");
	partitions[0].cfg.vcpus = 2;
	partitions[0].cfg.memory = 256ull << 20;
	partitions[0].nvcpus = 2;
	partitions[0].state = PART_RUNNING;
	partitions[0].id = 0;
	snprintf(partitions[1].cfg.name, PART_NAME_MAX, "db");
	partitions[1].cfg.vcpus = 1;
	partitions[1].cfg.memory = 16ull << 20;
	partitions[1].state = PART_STOPPED;
	partitions[1].id = 1;
	snprintf(partitions[1].stop_reason, sizeof(partitions[1].stop_reason), "exited");
	cpu_count = 1;
	cpu_table[0].state = CPU_ONLINE;
	locked = kicks = starts = stops = resets = power_buttons = pci_lists = nmi_buttons = 0;
	nmi_takers = 0;
	host_called[0] = '\0';
	attached_id = CONSOLE_NONE;
	uart_nrx = 0;
	sink_buf_init(&sb, outbuf, sizeof(outbuf));
	return 0;
}

static int run(const char *line, enum cmd_role role)
{
	sink_buf_init(&sb, outbuf, sizeof(outbuf));
	return cmd_exec(line, role, &sb.sink);
}

/* Nothing below the dispatcher was asked to do anything. */
static void assert_nothing_done(void)
{
	assert_int_equal(starts + stops + resets + power_buttons + kicks + pci_lists + nmi_buttons, 0);
	assert_string_equal(host_called, "");
	assert_int_equal(attached_id, CONSOLE_NONE);
	assert_int_equal(locked, 0);
}

/* ---- the table -------------------------------------------------------- */

static const struct {
	const char *name, *args;
	enum cmd_role perm;
} expected[] = {
	{ "help", "", CMD_ROLE_READ },       { "version", "", CMD_ROLE_READ },
	{ "caps", "", CMD_ROLE_READ },       { "mem", "", CMD_ROLE_READ },
	{ "cpus", "", CMD_ROLE_READ },       { "pci", "", CMD_ROLE_READ },
	{ "acpi", "", CMD_ROLE_READ },       { "iommu", "", CMD_ROLE_READ },
	{ "net", "", CMD_ROLE_READ },
	{ "config", "", CMD_ROLE_READ },
	{ "log", "", CMD_ROLE_READ },        { "list", "", CMD_ROLE_READ },
	{ "stats", "[NAME]", CMD_ROLE_READ }, { "info", "NAME", CMD_ROLE_READ },
	{ "switch", "", CMD_ROLE_READ },
	{ "start", "NAME", CMD_ROLE_OPERATOR }, { "stop", "NAME", CMD_ROLE_OPERATOR },
	{ "reset", "NAME", CMD_ROLE_OPERATOR }, { "nmi", "NAME", CMD_ROLE_OPERATOR },
	{ "pause", "NAME", CMD_ROLE_OPERATOR },
	{ "resume", "NAME", CMD_ROLE_OPERATOR }, { "destroy", "NAME", CMD_ROLE_OPERATOR },
	{ "console", "NAME", CMD_ROLE_OPERATOR }, { "reboot", "", CMD_ROLE_ADMIN },
	{ "poweroff", "", CMD_ROLE_ADMIN },
};
#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

static void test_table_permissions(void **state)
{
	(void)state;
	assert_int_equal(cmd_count, NEXPECTED);
	for (size_t i = 0; i < NEXPECTED; i++) {
		const struct cmd *c = cmd_find(expected[i].name);
		assert_non_null(c);
		assert_string_equal(c->args, expected[i].args);
		assert_int_equal(c->perm, expected[i].perm);
		assert_non_null(c->fn);
		assert_true(c->help && c->help[0]);
	}
	assert_null(cmd_find("Help"));
	assert_null(cmd_find("hel"));
	assert_null(cmd_find(""));
}

/* A read-only caller gets one clear line and -EPERM for every operator
 * and admin command, whatever its arguments, and nothing happens; an
 * operator likewise for the admin commands. */
static void test_role_check(void **state)
{
	char line[64];

	(void)state;
	for (size_t i = 0; i < NEXPECTED; i++) {
		if (expected[i].perm == CMD_ROLE_READ)
			continue;
		for (int form = 0; form < 6; form++) {
			char want[80];
			enum cmd_role who = form < 3 ? CMD_ROLE_READ : CMD_ROLE_OPERATOR;
			if (who >= expected[i].perm)
				continue;
			snprintf(line, sizeof(line), "%s%s", expected[i].name,
				 form % 3 == 0 ? "" : form % 3 == 1 ? " web" : " web db");
			assert_int_equal(run(line, who), -EPERM);
			snprintf(want, sizeof(want), "error: %s needs the %s role\n",
				 expected[i].name,
				 expected[i].perm == CMD_ROLE_ADMIN ? "admin" : "operator");
			assert_string_equal(outbuf, want);
			assert_nothing_done();
		}
	}
	assert_int_equal(partitions[0].state, PART_RUNNING);
	assert_int_equal(partitions[1].state, PART_STOPPED);
	/* The same caller runs every read-only command. */
	assert_int_equal(run("list", CMD_ROLE_READ), 0);
	assert_int_equal(run("info web", CMD_ROLE_READ), 0);
	assert_int_equal(virtio_infos, 1);   /* its virtio devices are listed */
	assert_int_equal(run("switch", CMD_ROLE_READ), 0);
	assert_int_equal(switch_reports, 1);
	assert_int_equal(run("stats", CMD_ROLE_READ), 0);
	assert_int_equal(run("caps", CMD_ROLE_READ), 0);
	assert_string_equal(host_called, "caps");
	assert_int_equal(run("iommu", CMD_ROLE_READ), 0);
	assert_string_equal(host_called, "iommu");
	/* An operator runs the partitions' commands. */
	assert_int_equal(run("pause web", CMD_ROLE_OPERATOR), 0);
	assert_true(partitions[0].paused);
}

static void test_bad_arguments(void **state)
{
	char line[64], want[96];

	(void)state;
	for (size_t i = 0; i < NEXPECTED; i++) {
		const char *n = expected[i].name, *a = expected[i].args;
		if (!a[0]) {
			snprintf(line, sizeof(line), "%s web", n);
			snprintf(want, sizeof(want), "error: %s takes no arguments\n", n);
		} else if (a[0] == '[') {
			snprintf(line, sizeof(line), "%s web db", n);
			snprintf(want, sizeof(want), "error: %s takes at most one argument\n", n);
		} else {
			/* Too few. */
			assert_int_equal(run(n, CMD_ROLE_ADMIN), -EINVAL);
			snprintf(want, sizeof(want), "error: %s takes a partition name\n", n);
			assert_string_equal(outbuf, want);
			assert_nothing_done();
			snprintf(line, sizeof(line), "%s web db", n);
			snprintf(want, sizeof(want), "error: %s takes one argument\n", n);
		}
		/* Too many. */
		assert_int_equal(run(line, CMD_ROLE_ADMIN), -EINVAL);
		assert_string_equal(outbuf, want);
		assert_nothing_done();
	}
}

/* Every command that takes a partition refuses an unknown one, through
 * the VMM's lookup. */
static void test_unknown_partition(void **state)
{
	char line[64];

	(void)state;
	for (size_t i = 0; i < NEXPECTED; i++) {
		if (!expected[i].args[0])
			continue;
		snprintf(line, sizeof(line), "%s nosuch", expected[i].name);
		assert_int_equal(run(line, CMD_ROLE_ADMIN), -ENOENT);
		assert_string_equal(outbuf, "error: no partition named 'nosuch'\n");
		assert_nothing_done();
	}
	/* Names are exact. */
	assert_int_equal(run("info WEB", CMD_ROLE_READ), -ENOENT);
	assert_int_equal(run("info we", CMD_ROLE_READ), -ENOENT);
}

static void test_partition_states(void **state)
{
	(void)state;
	assert_int_equal(run("start web", CMD_ROLE_ADMIN), -EBUSY);
	assert_string_equal(outbuf, "error: partition web is already running\n");
	assert_int_equal(starts, 0);
	static const char *const need_running[] = { "stop", "reset", "nmi", "pause", "resume", "destroy" };
	for (size_t i = 0; i < sizeof(need_running) / sizeof(need_running[0]); i++) {
		char line[32];
		snprintf(line, sizeof(line), "%s db", need_running[i]);
		assert_int_equal(run(line, CMD_ROLE_ADMIN), -EINVAL);
		assert_string_equal(outbuf, "error: partition db is not running\n");
	}
	assert_int_equal(run("resume web", CMD_ROLE_ADMIN), -EINVAL);
	assert_string_equal(outbuf, "error: partition web is not paused\n");
	assert_nothing_done();

	assert_int_equal(run("start db", CMD_ROLE_ADMIN), 0);
	assert_int_equal(starts, 1);
	assert_int_equal(partitions[1].state, PART_RUNNING);
	assert_int_equal(run("pause db", CMD_ROLE_ADMIN), 0);
	assert_string_equal(outbuf, "partition db: paused\n");
	assert_true(partitions[1].paused);
	assert_int_equal(run("resume db", CMD_ROLE_ADMIN), 0);
	assert_string_equal(outbuf, "partition db: resumed\n");
	assert_false(partitions[1].paused);
	assert_int_equal(run("stop db", CMD_ROLE_ADMIN), 0);
	assert_string_equal(outbuf, "partition db: power button pressed\n");
	assert_int_equal(power_buttons, 1);
	assert_int_equal(run("reset db", CMD_ROLE_ADMIN), 0);
	assert_int_equal(resets, 1);
	assert_int_equal(run("nmi db", CMD_ROLE_ADMIN), 0);
	assert_int_equal(nmi_buttons, 1);
	assert_string_equal(outbuf, "partition db: NMI button pressed: LINT1 is masked on every vCPU, "
				    "nothing delivered\n");
	nmi_takers = 2;
	assert_int_equal(run("nmi db", CMD_ROLE_ADMIN), 0);
	assert_int_equal(nmi_buttons, 2);
	assert_true(strstr(outbuf, ": 2 of ") != NULL);
	assert_int_equal(run("destroy db", CMD_ROLE_ADMIN), 0);
	assert_int_equal(stops, 1);
	assert_int_equal(partitions[1].state, PART_STOPPED);
	assert_int_equal(locked, 0);
}

/* Replies go to the sink the caller hands in, and only there. */
static void test_output_to_sink(void **state)
{
	char other[256];
	struct sink_buf ob;

	(void)state;
	assert_int_equal(run("list", CMD_ROLE_READ), 0);
	assert_non_null(strstr(outbuf, "NAME"));
	assert_non_null(strstr(outbuf, "\nweb              running      2     256M  \n"));
	assert_non_null(strstr(outbuf, "\ndb               stopped      1      16M  exited\n"));
	assert_int_equal(run("info db", CMD_ROLE_READ), 0);
	assert_non_null(strstr(outbuf, "partition db (vatra.cfg line 0)\n"));
	assert_non_null(strstr(outbuf, "  stopped  exited (status 0)\n"));
	assert_int_equal(run("stats web", CMD_ROLE_READ), 0);
	assert_non_null(strstr(outbuf, "partition web: running\n  vCPU 0 on CPU 0: 0 exits"));
	assert_null(strstr(outbuf, "partition db"));
	assert_int_equal(run("stats", CMD_ROLE_READ), 0);
	assert_non_null(strstr(outbuf, "partition db: exited\n"));
	assert_int_equal(run("cpus", CMD_ROLE_READ), 0);
	assert_non_null(strstr(outbuf, "cpu 0: apic id 0, online, boot CPU (shell)"));
	assert_int_equal(run("version", CMD_ROLE_READ), 0);
	assert_string_equal(outbuf, "Vatra " VATRA_VERSION "\n");
	assert_int_equal(run("help", CMD_ROLE_READ), 0);
	for (size_t i = 0; i < NEXPECTED; i++) {
		char want[32];
		snprintf(want, sizeof(want), "  %-10s ", expected[i].name);
		assert_non_null(strstr(outbuf, want));
	}
	assert_non_null(strstr(outbuf, "power the machine off (admin)\n"));

	static const char *const host[] = { "caps", "mem", "acpi", "config", "log" };
	for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
		char want[32];
		sink_buf_init(&ob, other, sizeof(other));
		sink_buf_init(&sb, outbuf, sizeof(outbuf));
		assert_int_equal(cmd_exec(host[i], CMD_ROLE_READ, &ob.sink), 0);
		snprintf(want, sizeof(want), "host %s\n", host[i]);
		assert_string_equal(other, want);
		assert_string_equal(outbuf, "");
	}
	sink_buf_init(&ob, other, sizeof(other));
	assert_int_equal(cmd_exec("pci", CMD_ROLE_READ, &ob.sink), 0);
	assert_int_equal(pci_lists, 1);
	assert_string_equal(other, "pci report\n");
	/* Errors too. */
	sink_buf_init(&ob, other, sizeof(other));
	assert_int_equal(cmd_exec("nosuch", CMD_ROLE_READ, &ob.sink), -ENOSYS);
	assert_string_equal(other, "error: unknown command 'nosuch' (try 'help')\n");
}

static void test_console(void **state)
{
	static const uint8_t keys[] = { 'l', 's', '\n' };

	(void)state;
	assert_int_equal(run("console db", CMD_ROLE_ADMIN), 0);
	assert_string_equal(outbuf, "[attached to db: Ctrl-A three times returns to the shell]\n");
	assert_int_equal(attached_id, 1);
	assert_true(part_op_running(0));
	assert_false(part_op_running(1));
	assert_false(part_op_running(PART_MAX));
	assert_string_equal(part_op_name(1), "db");
	assert_string_equal(part_op_name(7), "?");
	/* Keystrokes reach a running partition's UART, under its lock. */
	assert_int_equal(part_op_console_input(0, keys, 3), 0);
	assert_int_equal(uart_nrx, 3);
	assert_memory_equal(uart_rx, keys, 3);
	assert_int_equal(part_op_console_input(1, keys, 3), -EINVAL);
	assert_int_equal(part_op_console_input(9, keys, 3), -EINVAL);
	assert_int_equal(uart_nrx, 3);
	assert_int_equal(locked, 0);
}

static void test_lines(void **state)
{
	char longline[CMD_LINE_MAX + 8];

	(void)state;
	assert_int_equal(run("", CMD_ROLE_ADMIN), 0);
	assert_int_equal(run(" \t\r ", CMD_ROLE_ADMIN), 0);
	assert_string_equal(outbuf, "");
	assert_int_equal(run("  list\t", CMD_ROLE_READ), 0);
	assert_non_null(strstr(outbuf, "NAME"));
	assert_int_equal(run("a b c d e f g h i", CMD_ROLE_ADMIN), -E2BIG);
	assert_string_equal(outbuf, "error: too many words (at most 8)\n");
	assert_int_equal(run("start a b c d e f g", CMD_ROLE_ADMIN), -EINVAL);
	memset(longline, 'x', sizeof(longline));
	longline[CMD_LINE_MAX] = '\0';
	assert_int_equal(run(longline, CMD_ROLE_ADMIN), -E2BIG);
	assert_string_equal(outbuf, "error: line too long (at most 255 characters)\n");
	longline[CMD_LINE_MAX - 1] = '\0';
	assert_int_equal(run(longline, CMD_ROLE_ADMIN), -ENOSYS);
	assert_nothing_done();
}

static void test_split(void **state)
{
	char line[] = "  start   web\tnow ", a[] = "", b[] = " \t \r";
	char many[] = "a b c d", ok[] = "a b c";
	char *argv[CMD_MAX_ARGS];

	(void)state;
	assert_int_equal(cmd_split(line, argv, CMD_MAX_ARGS), 3);
	assert_string_equal(argv[0], "start");
	assert_string_equal(argv[1], "web");
	assert_string_equal(argv[2], "now");
	assert_int_equal(cmd_split(a, argv, CMD_MAX_ARGS), 0);
	assert_int_equal(cmd_split(b, argv, CMD_MAX_ARGS), 0);
	assert_int_equal(cmd_split(many, argv, 3), -E2BIG);
	assert_int_equal(cmd_split(ok, argv, 3), 3);
	assert_string_equal(argv[2], "c");
}

/* Exactly max words, also with blanks around them, fit; one more does
 * not. Through the dispatcher: CMD_MAX_ARGS words reach the command
 * lookup, one more is too many. */
static void test_split_exact_limit(void **state)
{
	char trail[] = "a b c \t ", lead[] = " \t a b c", more[] = "a b c d ", *argv[3];

	(void)state;
	assert_int_equal(cmd_split(trail, argv, 3), 3);
	assert_string_equal(argv[2], "c");
	assert_int_equal(cmd_split(lead, argv, 3), 3);
	assert_string_equal(argv[0], "a");
	assert_int_equal(cmd_split(more, argv, 3), -E2BIG);
	assert_int_equal(CMD_MAX_ARGS, 8);
	assert_int_equal(run("nosuch 2 3 4 5 6 7 8", CMD_ROLE_ADMIN), -ENOSYS);
	assert_int_equal(run("nosuch 2 3 4 5 6 7 8 9", CMD_ROLE_ADMIN), -E2BIG);
	assert_nothing_done();
}

/* Random lines of any bytes but NUL (what the line editor can hand over),
 * in a buffer with guard bytes on both sides, through the whole
 * dispatcher as a read-only caller: a documented status every time, the
 * line untouched, and no admin command ever run. */
static void test_exec_fuzz(void **state)
{
	enum { GUARD = 32, MAXLEN = 300 };
	unsigned seed = 12345;

	(void)state;
	for (int iter = 0; iter < 100000; iter++) {
		unsigned char raw[GUARD + MAXLEN + 1 + GUARD];
		char copy[MAXLEN + 1], *line = (char *)raw + GUARD;
		size_t len;
		int r;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % MAXLEN;
		memset(raw, 0xa5, sizeof(raw));
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			switch ((seed >> 16) % 6) {
			case 0: line[i] = ' '; break;
			case 1: line[i] = "\t\r\n\v\f"[(seed >> 20) % 5]; break;
			case 2: line[i] = "helpliststatsstartconsole web db"[(seed >> 20) % 32]; break;
			default: line[i] = (char)(1 + (seed >> 20) % 255);
			}
		}
		line[len] = '\0';
		memcpy(copy, line, len + 1);
		r = run(line, CMD_ROLE_READ);
		for (int g = 0; g < GUARD; g++) {
			assert_int_equal(raw[g], 0xa5);
			assert_int_equal(raw[GUARD + MAXLEN + 1 + g], 0xa5);
		}
		assert_string_equal(line, copy);
		assert_true(r == 0 || r == -E2BIG || r == -ENOSYS || r == -EPERM || r == -EINVAL ||
			    r == -ENOENT);
		assert_true(r == 0 || strncmp(outbuf, "error: ", 7) == 0);
		assert_int_equal(starts + stops + resets + power_buttons, 0);
		assert_int_equal(attached_id, CONSOLE_NONE);
	}
}

/* cmd_permit: the role check alone, for the network console stream, with
 * the dispatcher's own lines; and the partition snapshot and metrics that
 * the network API reads. */
static void test_permit_and_snapshots(void **state)
{
	struct part_snap s;

	(void)state;
	sink_buf_init(&sb, outbuf, sizeof(outbuf));
	assert_int_equal(cmd_permit("console", CMD_ROLE_READ, &sb.sink), -EPERM);
	assert_string_equal(outbuf, "error: console needs the operator role\n");
	sink_buf_init(&sb, outbuf, sizeof(outbuf));
	assert_int_equal(cmd_permit("console", CMD_ROLE_OPERATOR, &sb.sink), 0);
	assert_int_equal(cmd_permit("poweroff", CMD_ROLE_ADMIN, &sb.sink), 0);
	assert_string_equal(outbuf, "");
	assert_int_equal(cmd_permit("poweroff", CMD_ROLE_OPERATOR, &sb.sink), -EPERM);
	assert_string_equal(outbuf, "error: poweroff needs the admin role\n");
	sink_buf_init(&sb, outbuf, sizeof(outbuf));
	assert_int_equal(cmd_permit("fly", CMD_ROLE_ADMIN, &sb.sink), -ENOSYS);
	assert_string_equal(outbuf, "error: unknown command 'fly' (try 'help')\n");
	assert_nothing_done();

	assert_int_equal(part_op_count(), 2);
	assert_true(part_op_snap(0, &s));
	assert_string_equal(s.name, "web");
	assert_string_equal(s.state, "running");
	assert_int_equal(s.vcpus, 2);
	assert_int_equal(s.memory, 256ull << 20);
	assert_string_equal(s.note, "");
	partitions[0].paused = true;
	assert_true(part_op_snap(0, &s));
	assert_string_equal(s.state, "paused");
	assert_true(part_op_snap(1, &s));
	assert_string_equal(s.state, "stopped");
	assert_string_equal(s.note, "exited");
	assert_false(part_op_snap(2, &s));

	partitions[0].vcpus[1].exits[1] = 7;
	sink_buf_init(&sb, outbuf, sizeof(outbuf));
	part_op_metrics(&sb.sink);
	assert_non_null(strstr(outbuf, "# TYPE vatra_partition_up gauge\n"));
	assert_non_null(strstr(outbuf, "vatra_partition_up{partition=\"web\"} 1\n"));
	assert_non_null(strstr(outbuf, "vatra_partition_up{partition=\"db\"} 0\n"));
	assert_non_null(strstr(outbuf, "vatra_partition_paused{partition=\"web\"} 1\n"));
	assert_non_null(strstr(outbuf, "vatra_partition_memory_bytes{partition=\"db\"} 16777216\n"));
	assert_non_null(strstr(outbuf, "vatra_vcpu_exits_total{partition=\"web\",vcpu=\"1\",reason=\""));
	assert_int_equal(outbuf[strlen(outbuf) - 1], '\n');
	assert_int_equal(sb.dropped, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_table_permissions, setup),
		cmocka_unit_test_setup(test_role_check, setup),
		cmocka_unit_test_setup(test_permit_and_snapshots, setup),
		cmocka_unit_test_setup(test_bad_arguments, setup),
		cmocka_unit_test_setup(test_unknown_partition, setup),
		cmocka_unit_test_setup(test_partition_states, setup),
		cmocka_unit_test_setup(test_output_to_sink, setup),
		cmocka_unit_test_setup(test_console, setup),
		cmocka_unit_test_setup(test_lines, setup),
		cmocka_unit_test_setup(test_split, setup),
		cmocka_unit_test_setup(test_split_exact_limit, setup),
		cmocka_unit_test_setup(test_exec_fuzz, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
