/* Unit tests for the console rings (mgmt/console.c): writers only fill
 * the rings; console_drain writes whole prefixed lines (or the attached
 * partition's raw bytes), at most CONSOLE_DRAIN_MAX bytes a call, round
 * robin, and says what the ring lost. The serial line and the log are
 * fakes that record what reached them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <cmocka.h>
#include <string.h>
#include "mgmt/console.h"
#include "vmm/part_config.h"
#include "lib/printf.h"

static char serial[1 << 16];
static size_t serial_len;
static unsigned writes;

void uart_write(const char *s, size_t n)
{
	memcpy(serial + serial_len, s, n);
	serial_len += n;
	serial[serial_len] = '\0';
	writes++;
}

void kputline(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	serial_len += (size_t)vsnprintf(serial + serial_len, sizeof(serial) - serial_len, fmt, ap);
	va_end(ap);
	writes++;
}

static void put_str(int id, const char *name, const char *s)
{
	while (*s)
		console_put(id, name, (uint8_t)*s++);
}

static void drain_all(void)
{
	while (console_drain())
		;
}

static int reset(void **st)
{
	(void)st;
	drain_all();
	console_detach();
	serial_len = 0;
	serial[0] = '\0';
	writes = 0;
	return 0;
}

static void test_put_writes_nothing(void **st)
{
	(void)st;
	put_str(0, "web", "hello\nwor");
	assert_int_equal(writes, 0);
	console_drain();
	assert_string_equal(serial, "[web] hello\n");
	/* The partial line waits for its end, or for the flush at a stop. */
	put_str(0, "web", "ld\n");
	drain_all();
	assert_string_equal(serial, "[web] hello\n[web] world\n");
	put_str(0, "web", "tail");
	console_flush(0, "web");
	drain_all();
	assert_string_equal(serial, "[web] hello\n[web] world\n[web] tail\n");
}

static void test_flush_then_restart(void **st)
{
	(void)st;
	/* A run stops mid-line, the partition restarts and writes before
	 * the drain comes: the old partial line ends at the stop, the new
	 * run's line stays whole. */
	put_str(7, "rs", "old run par");
	console_flush(7, "rs");
	put_str(7, "rs", "new run ");
	console_drain();
	put_str(7, "rs", "line\n");
	drain_all();
	assert_string_equal(serial, "[rs] old run par\n[rs] new run line\n");
}

static void test_drain_budget(void **st)
{
	char line[101];

	(void)st;
	memset(line, 'x', 99);
	line[99] = '\n';
	line[100] = '\0';
	for (int i = 0; i < 40; i++)       /* 4000 bytes, one partition */
		put_str(1, "db", line);
	assert_true(console_drain());
	assert_true(serial_len <= CONSOLE_DRAIN_MAX + 8);
	assert_true(serial_len > 0);
	drain_all();
	assert_int_equal(serial_len, 40 * (5 + 100));
}

static void test_round_robin(void **st)
{
	char line[201];

	(void)st;
	memset(line, 'a', 199);
	line[199] = '\n';
	line[200] = '\0';
	for (int i = 0; i < 20; i++)
		put_str(2, "chatty", line);
	put_str(3, "quiet", "one line\n");
	/* Within a few drains the quiet partition's line is out, long before
	 * the chatty one's 4000 bytes are. */
	for (int i = 0; i < 3; i++)
		console_drain();
	assert_non_null(strstr(serial, "[quiet] one line\n"));
	assert_true(console_drain());
	drain_all();
}

static void test_lost_output(void **st)
{
	(void)st;
	for (int i = 0; i < CONSOLE_RING + 100; i++)
		console_put(4, "flood", i % 64 == 63 ? '\n' : 'f');
	drain_all();
	assert_non_null(strstr(serial, "[flood] (100 bytes of console output lost)\n"));
}

static void test_attached_raw(void **st)
{
	(void)st;
	put_str(5, "sh", "before\n");
	assert_int_equal(console_attach(5, 5), 0);
	/* The replay is written at once; what follows waits for the drain. */
	assert_string_equal(serial, "before\n");
	put_str(5, "sh", "$ ls\r\n");
	put_str(6, "other", "not shown while attached\n");
	assert_string_equal(serial, "before\n");
	drain_all();
	assert_string_equal(serial, "before\n$ ls\r\n");
	console_detach();
	drain_all();
	assert_null(strstr(serial, "not shown while attached"));
}

/* A detach mid-line tells the shell so, which ends the line before its
 * own; the rest of the partition's line comes prefixed on its own line,
 * and a partial line the replay showed is not shown a second time. */
static void test_detach_mid_line(void **st)
{
	(void)st;
	put_str(12, "blk", "part");
	drain_all();
	assert_string_equal(serial, "");
	assert_int_equal(console_attach(12, 5), 0);
	assert_string_equal(serial, "part");
	assert_true(console_detach());
	put_str(12, "blk", "ial\n");
	drain_all();
	assert_string_equal(serial, "part[blk] ial\n");
	/* No lines asked for: no replay. */
	assert_int_equal(console_attach(12, 0), 0);
	assert_string_equal(serial, "part[blk] ial\n");
	put_str(12, "blk", "VATRA: wr");
	drain_all();
	assert_true(console_detach());
	put_str(12, "blk", "ote 1\nnext\n");
	drain_all();
	assert_string_equal(serial, "part[blk] ial\nVATRA: wr[blk] ote 1\n[blk] next\n");
	/* A whole line before the detach: nothing to end. */
	assert_int_equal(console_attach(12, 0), 0);
	put_str(12, "blk", "whole\n");
	drain_all();
	assert_false(console_detach());
}

/* A network reader follows a ring at its own position: the replay of
 * the last lines, then what comes, without disturbing the serial drain;
 * a reader left behind by more than the ring is told what it lost. */
static void test_network_reader(void **state)
{
	char buf[CONSOLE_RING + 16];
	uint64_t pos, lost;
	size_t n;

	(void)state;
	put_str(6, "net", "one\ntwo\nthree\n");
	pos = console_tail_pos(6, 2);
	n = console_read(6, &pos, buf, sizeof(buf), &lost);
	assert_int_equal(lost, 0);
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "two\nthree\n", 10);
	assert_int_equal(console_read(6, &pos, buf, sizeof(buf), &lost), 0);
	put_str(6, "net", "four");
	n = console_read(6, &pos, buf, 2, &lost);
	assert_int_equal(n, 2);
	assert_memory_equal(buf, "fo", 2);
	n = console_read(6, &pos, buf, sizeof(buf), &lost);
	assert_memory_equal(buf, "ur", 2);
	/* The serial line still shows every line once. */
	drain_all();
	assert_non_null(strstr(serial, "[net] one\n[net] two\n[net] three\n"));
	/* Left behind: skips to the oldest byte kept and says how much. */
	for (unsigned i = 0; i < CONSOLE_RING + 100; i++)
		console_put(6, "net", 'x');
	n = console_read(6, &pos, buf, sizeof(buf), &lost);
	assert_int_equal(lost, 100);
	assert_int_equal(n, CONSOLE_RING);
	/* Out-of-range ids read nothing. */
	assert_int_equal(console_read(-1, &pos, buf, sizeof(buf), &lost), 0);
	assert_int_equal(console_read(PART_MAX, &pos, buf, sizeof(buf), &lost), 0);
	assert_int_equal(console_tail_pos(PART_MAX, 3), 0);
	drain_all();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_put_writes_nothing, reset),
		cmocka_unit_test_setup(test_flush_then_restart, reset),
		cmocka_unit_test_setup(test_drain_budget, reset),
		cmocka_unit_test_setup(test_round_robin, reset),
		cmocka_unit_test_setup(test_lost_output, reset),
		cmocka_unit_test_setup(test_attached_raw, reset),
		cmocka_unit_test_setup(test_detach_mid_line, reset),
		cmocka_unit_test_setup(test_network_reader, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
