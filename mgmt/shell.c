/* The serial shell: one transport over the command table (commands.h).
 * It edits lines, hands each to the dispatcher with the admin role and
 * the console as the reply sink, and moves keystrokes to a partition
 * while the console is attached to it. Nothing typed here can stop the
 * hypervisor except `reboot` and `poweroff`. */
#include "mgmt/shell.h"
#include "mgmt/commands.h"
#include "mgmt/console.h"
#include "mgmt/lineedit.h"
#include "vmm/part_ops.h"
#include "drivers/uart.h"
#include "lib/log.h"
#include "lib/strutil.h"

static unsigned ctrl_a;                  /* Ctrl-A presses in a row */

/* Line editing (mgmt/lineedit.c: cursor keys, history, Ctrl-U/K/W/C).
 * Non-blocking: takes what the UART has and returns, so partitions run
 * between keystrokes. */
static struct led ed;
static bool prompted;

static void ed_out(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	sink_write(&log_console_sink, s, n);
}

static void prompt(void)
{
	kprintf("vatra> ");
}

static void detach(const char *fmt, unsigned id)
{
	if (console_detach())
		kprintf("\n");
	kputline(fmt, part_op_name(id));
	prompt();
}

/* Attached: keystrokes belong to the partition, except Ctrl-A three
 * times in a row (Xen's escape). */
static void attached_key(unsigned id, uint8_t c)
{
	static const uint8_t ca[2] = { 0x01, 0x01 };

	if (c == 0x01 && ++ctrl_a < 3)
		return;
	if (c == 0x01) {
		ctrl_a = 0;
		detach("[detached from %s]\n", id);
		return;
	}
	/* Ctrl-As that did not make three go to the guest first. */
	part_op_console_input(id, ca, ctrl_a);
	part_op_console_input(id, &c, 1);
	ctrl_a = 0;
}

void shell_poll(void)
{
	const char *done;
	int c, id;

	if (!prompted) {
		led_init(&ed, ed_out, NULL);
		prompt();
		prompted = true;
	}
	id = console_attached();
	if (id != CONSOLE_NONE && !part_op_running((unsigned)id))
		detach("[%s stopped: detached]\n", (unsigned)id);
	while ((c = uart_getc()) >= 0) {
		id = console_attached();
		if (id != CONSOLE_NONE) {
			attached_key((unsigned)id, (uint8_t)c);
			continue;
		}
		if (led_feed(&ed, (uint8_t)c, &done) != 1)
			continue;
		cmd_exec(done, CMD_ROLE_ADMIN, &log_console_sink);
		if (console_attached() == CONSOLE_NONE)
			prompt();
	}
}
