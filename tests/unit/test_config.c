/* Unit tests for mgmt/config.c, the vatra.cfg parser.
 *
 * Every parse goes through an exact-size heap copy of the text with no
 * NUL after it, so AddressSanitizer catches any read past len. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mgmt/config.h"
#include "lib/errno.h"

static const char example[] =
	"# comment line (also ';' at line start)\n"
	"[vatra]\n"
	"console = com1,115200        # inline comment: whitespace then '#'\n"
	"log_level = info\n"
	"on_all_stopped = shell\n"
	"\n"
	"[partition web]\n"
	"kernel = /guests/vmlinuz\n"
	"initrd = /guests/web.cpio.gz\n"
	"cmdline = console=ttyS0 quiet\n"
	"memory = 512M\n"
	"vcpus = 2\n"
	"cpus = 2,3\n"
	"autostart = yes\n";

/* ---- helpers ---------------------------------------------------------- */

static int last_rc;

static struct vatra_config *parse_n(const char *text, size_t len)
{
	struct vatra_config *c = malloc(sizeof(*c));
	char *copy = malloc(len ? len : 1);

	assert_non_null(c);
	assert_non_null(copy);
	/* Poison so a parser that ignores cfg_defaults shows up. */
	memset(c, 0xa5, sizeof(*c));
	memcpy(copy, text, len);
	last_rc = cfg_parse(c, copy, len);
	free(copy);
	return c;
}

static struct vatra_config *parse(const char *text)
{
	return parse_n(text, strlen(text));
}

/* Errors must come back as {line, message}; check both. */
static void expect_err(const struct vatra_config *c, unsigned i,
		       unsigned line, const char *substr)
{
	if (i >= c->nerrors)
		fail_msg("expected error #%u (line %u, '%s'), only %u errors",
			 i, line, substr, c->nerrors);
	if (c->errors[i].line != line || !strstr(c->errors[i].msg, substr))
		fail_msg("error #%u: got line %u '%s', want line %u '%s'", i,
			 c->errors[i].line, c->errors[i].msg, line, substr);
}

static void expect_one_err(const struct vatra_config *c, unsigned line,
			   const char *substr)
{
	if (c->nerrors != 1) {
		unsigned i;

		for (i = 0; i < c->nerrors; i++)
			print_message("  error line %u: %s\n", c->errors[i].line,
				      c->errors[i].msg);
		fail_msg("want exactly 1 error, got %u", c->nerrors);
	}
	assert_int_equal(last_rc, 1);
	expect_err(c, 0, line, substr);
}

static void expect_no_err(const struct vatra_config *c)
{
	if (c->nerrors) {
		unsigned i;

		for (i = 0; i < c->nerrors; i++)
			print_message("  error line %u: %s\n", c->errors[i].line,
				      c->errors[i].msg);
		fail_msg("want no errors, got %u", c->nerrors);
	}
	assert_int_equal(last_rc, 0);
	assert_int_equal(c->errors_dropped, 0);
}

/* A minimal valid partition followed by extra lines (lines 1-4 fixed). */
static struct vatra_config *part_with(const char *extra)
{
	char buf[8192];

	snprintf(buf, sizeof(buf),
		 "[partition p]\n"
		 "kernel = /k\n"
		 "memory = 64M\n"
		 "# extra follows\n"
		 "%s\n", extra);
	return parse(buf);
}

/* Global section with one extra line at line 2. */
static struct vatra_config *global_with(const char *extra)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "[vatra]\n%s\n", extra);
	return parse(buf);
}

static bool nul_within(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* What must hold after parsing anything at all. */
static void check_invariants(const struct vatra_config *c, int rc,
			     size_t nlines)
{
	unsigned i, j;

	assert_true(rc >= 0);
	assert_true(c->nerrors <= CFG_MAX_ERRORS);
	assert_int_equal((unsigned)rc, c->nerrors + c->errors_dropped);
	if (c->errors_dropped)
		assert_int_equal(c->nerrors, CFG_MAX_ERRORS);
	assert_true(c->nparts <= CFG_MAX_PARTS);
	assert_true(c->log_level <= CFG_LOG_DEBUG);
	assert_true(c->on_all_stopped <= CFG_STOP_EXIT);
	assert_true(c->console_port != 0);
	assert_true(c->console_baud == 9600 || c->console_baud == 19200 ||
		    c->console_baud == 38400 || c->console_baud == 57600 ||
		    c->console_baud == 115200);
	for (i = 0; i < c->nerrors; i++) {
		assert_true(nul_within(c->errors[i].msg, CFG_MSG_MAX));
		assert_true(strlen(c->errors[i].msg) > 0);
		assert_true(c->errors[i].line >= 1);
		assert_true(c->errors[i].line <= nlines);
	}
	for (i = 0; i < c->nparts; i++) {
		const struct part_config *p = &c->parts[i];

		assert_true(nul_within(p->name, CFG_NAME_MAX));
		assert_true(nul_within(p->kernel, CFG_PATH_MAX));
		assert_true(nul_within(p->initrd, CFG_PATH_MAX));
		assert_true(nul_within(p->cmdline, CFG_CMDLINE_MAX));
		assert_true(p->name[0] != '\0');
		assert_true(p->line >= 1 && p->line <= nlines);
		assert_true(p->nmodules <= CFG_MAX_MODULES);
		assert_true(p->ncpus <= VCPU_MAX);
		assert_true(p->format <= PART_FMT_FLAT);
		for (j = 0; j < p->nmodules; j++) {
			assert_true(nul_within(p->modules[j].path, CFG_PATH_MAX));
			assert_true(nul_within(p->modules[j].args, CFG_PATH_MAX));
			assert_int_equal(p->modules[j].path[0], '/');
		}
		for (j = 0; j < i; j++)
			assert_true(strcasecmp(p->name, c->parts[j].name) != 0);
		if (!p->valid)
			continue;
		/* A partition reported valid must be bootable as described. */
		assert_int_equal(p->kernel[0], '/');
		assert_true(p->memory >= (1u << 20));
		assert_true(p->memory <= (1ull << 40));
		assert_int_equal(p->memory % 4096, 0);
		assert_true(p->vcpus >= 1 && p->vcpus <= VCPU_MAX);
		assert_true(p->ncpus == 0 || p->ncpus == p->vcpus);
		assert_int_equal(p->load_addr % 4096, 0);
		assert_true(p->initrd[0] == '\0' || p->initrd[0] == '/');
	}
	if (rc == 0)
		for (i = 0; i < c->nparts; i++)
			assert_true(c->parts[i].valid);
}

static size_t count_lines(const char *t, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		if (t[i] == '\n')
			n++;
	return n + (len && t[len - 1] != '\n');
}

/* ---- whole-file behaviour --------------------------------------------- */

static void test_defaults(void **state)
{
	struct vatra_config *c = malloc(sizeof(*c));

	(void)state;
	memset(c, 0xff, sizeof(*c));
	cfg_defaults(c);
	assert_int_equal(c->console_port, 0x3f8);
	assert_int_equal(c->console_baud, 115200);
	assert_int_equal(c->log_level, CFG_LOG_INFO);
	assert_int_equal(c->on_all_stopped, CFG_STOP_SHELL);
	assert_false(c->selftest);
	assert_int_equal(c->nparts, 0);
	assert_int_equal(c->nerrors, 0);
	assert_int_equal(c->errors_dropped, 0);
	free(c);
}

static void test_full_example(void **state)
{
	struct vatra_config *c = parse(example);
	const struct part_config *p = &c->parts[0];

	(void)state;
	expect_no_err(c);
	assert_int_equal(c->console_port, 0x3f8);
	assert_int_equal(c->console_baud, 115200);
	assert_int_equal(c->log_level, CFG_LOG_INFO);
	assert_int_equal(c->on_all_stopped, CFG_STOP_SHELL);
	assert_false(c->selftest);
	assert_int_equal(c->nparts, 1);
	assert_string_equal(p->name, "web");
	assert_int_equal(p->line, 7);
	assert_string_equal(p->kernel, "/guests/vmlinuz");
	assert_string_equal(p->initrd, "/guests/web.cpio.gz");
	assert_string_equal(p->cmdline, "console=ttyS0 quiet");
	assert_int_equal(p->nmodules, 0);
	assert_int_equal(p->memory, 512ull << 20);
	assert_int_equal(p->vcpus, 2);
	assert_int_equal(p->ncpus, 2);
	assert_int_equal(p->cpus[0], 2);
	assert_int_equal(p->cpus[1], 3);
	assert_int_equal(p->format, PART_FMT_AUTO);
	assert_int_equal(p->load_addr, 0x8000);
	assert_true(p->autostart);
	assert_false(p->debug_exit);
	assert_true(p->valid);
	free(c);
}

static void test_full_featured(void **state)
{
	struct vatra_config *c = parse(
		"[vatra]\n"
		"console = 0x2f8,9600\n"
		"log_level = debug\n"
		"on_all_stopped = poweroff\n"
		"selftest = on\n"
		"[partition a]\n"
		"kernel = /a/kernel.elf\n"
		"format = multiboot\n"
		"modules = /a/m1 arg1 arg2, /a/m2 ,/a/m3 x=1\n"
		"memory = 1G\n"
		"debug_exit = true\n"
		"autostart = no\n"
		"[partition B-2_x]\n"
		"kernel = /b.bin\n"
		"format = flat\n"
		"load_addr = 0x200000\n"
		"memory = 4096K\n"
		"vcpus = 4\n"
		"cpus = 0-1,4,6\n"
		"cmdline =\n");
	const struct part_config *a = &c->parts[0], *b = &c->parts[1];

	(void)state;
	expect_no_err(c);
	assert_int_equal(c->console_port, 0x2f8);
	assert_int_equal(c->console_baud, 9600);
	assert_int_equal(c->log_level, CFG_LOG_DEBUG);
	assert_int_equal(c->on_all_stopped, CFG_STOP_POWEROFF);
	assert_true(c->selftest);
	assert_int_equal(c->nparts, 2);

	assert_string_equal(a->name, "a");
	assert_int_equal(a->format, PART_FMT_MULTIBOOT);
	assert_int_equal(a->nmodules, 3);
	assert_string_equal(a->modules[0].path, "/a/m1");
	assert_string_equal(a->modules[0].args, "arg1 arg2");
	assert_string_equal(a->modules[1].path, "/a/m2");
	assert_string_equal(a->modules[1].args, "");
	assert_string_equal(a->modules[2].path, "/a/m3");
	assert_string_equal(a->modules[2].args, "x=1");
	assert_int_equal(a->memory, 1ull << 30);
	assert_true(a->debug_exit);
	assert_false(a->autostart);
	assert_string_equal(a->initrd, "");
	assert_int_equal(a->vcpus, 1);
	assert_int_equal(a->ncpus, 0);
	assert_true(a->valid);

	assert_string_equal(b->name, "B-2_x");
	assert_int_equal(b->line, 13);
	assert_int_equal(b->format, PART_FMT_FLAT);
	assert_int_equal(b->load_addr, 0x200000);
	assert_int_equal(b->memory, 4ull << 20);
	assert_int_equal(b->vcpus, 4);
	assert_int_equal(b->ncpus, 4);
	assert_memory_equal(b->cpus, ((uint8_t[]){ 0, 1, 4, 6 }), 4);
	assert_string_equal(b->cmdline, "");
	assert_true(b->valid);
	free(c);
}

static void test_empty_inputs(void **state)
{
	struct vatra_config *c;

	(void)state;
	c = parse("");
	expect_no_err(c);
	assert_int_equal(c->nparts, 0);
	assert_int_equal(c->console_port, 0x3f8);
	free(c);

	c = parse("\n\n   \n\t\n# only comments\n; and this\n   # indented\n");
	expect_no_err(c);
	assert_int_equal(c->nparts, 0);
	free(c);

	/* NULL text is an empty file. */
	c = malloc(sizeof(*c));
	assert_int_equal(cfg_parse(c, NULL, 0), 0);
	assert_int_equal(c->nerrors, 0);
	assert_int_equal(cfg_parse(c, NULL, 100), 0);
	assert_int_equal(c->nparts, 0);
	assert_int_equal(cfg_parse(NULL, "x", 1), -EINVAL);
	free(c);
}

static void test_reparse_resets(void **state)
{
	struct vatra_config *c = parse(example);

	(void)state;
	assert_int_equal(c->nparts, 1);
	/* A second parse into the same struct starts from the defaults. */
	assert_int_equal(cfg_parse(c, "[vatra]\nbogus = 1\n", 18), 1);
	assert_int_equal(c->nparts, 0);
	assert_int_equal(c->nerrors, 1);
	assert_int_equal(c->errors[0].line, 2);
	free(c);
}

/* ---- comments, quoting, line endings ---------------------------------- */

static void test_comments(void **state)
{
	struct vatra_config *c = parse(
		"# top\n"
		"; semicolon\n"
		"[vatra] # comment after header\n"
		"  # indented comment\n"
		"\t; indented semicolon\n"
		"log_level = warn\t# tab before hash\n"
		"[partition p]#tight comment after header\n"
		"kernel = /k#not-a-comment\n"
		"memory = 64M # comment\n"
		"cmdline = a=b#c d # real comment\n");

	(void)state;
	expect_no_err(c);
	assert_int_equal(c->log_level, CFG_LOG_WARN);
	assert_int_equal(c->nparts, 1);
	assert_string_equal(c->parts[0].kernel, "/k#not-a-comment");
	assert_string_equal(c->parts[0].cmdline, "a=b#c d");
	assert_int_equal(c->parts[0].memory, 64ull << 20);
	free(c);
}

static void test_comment_only_value(void **state)
{
	struct vatra_config *c;

	(void)state;
	/* A value that is only a comment is empty. */
	c = part_with("cmdline = # nothing here");
	expect_no_err(c);
	assert_string_equal(c->parts[0].cmdline, "");
	free(c);

	/* '#' right after '=' is not preceded by white space: it is data. */
	c = part_with("cmdline =#data");
	expect_no_err(c);
	assert_string_equal(c->parts[0].cmdline, "#data");
	free(c);

	/* A '#' comment before any '=' hides the '='. */
	c = part_with("vcpus # = 2");
	expect_one_err(c, 5, "expected 'key = value', got 'vcpus'");
	assert_false(c->parts[0].valid);
	free(c);
}

static void test_quotes(void **state)
{
	struct vatra_config *c = part_with(
		"cmdline = \"console=ttyS0 # not a comment\"   # comment\n"
		"initrd = \"/with space/initrd\"\n"
		"format=\"linux\"");

	(void)state;
	expect_no_err(c);
	assert_string_equal(c->parts[0].cmdline, "console=ttyS0 # not a comment");
	assert_string_equal(c->parts[0].initrd, "/with space/initrd");
	assert_int_equal(c->parts[0].format, PART_FMT_LINUX);
	free(c);

	/* Empty quoted value, and quotes keep surrounding white space. */
	c = part_with("cmdline = \"\"");
	expect_no_err(c);
	assert_string_equal(c->parts[0].cmdline, "");
	free(c);
	c = part_with("cmdline = \"  padded  \"");
	expect_no_err(c);
	assert_string_equal(c->parts[0].cmdline, "  padded  ");
	free(c);

	/* Quotes not at the start of the value are data. */
	c = part_with("cmdline = init=\"/bin/sh\"");
	expect_no_err(c);
	assert_string_equal(c->parts[0].cmdline, "init=\"/bin/sh\"");
	free(c);
}

static void test_quote_errors(void **state)
{
	struct vatra_config *c;

	(void)state;
	c = part_with("cmdline = \"console=ttyS0 # oops");
	expect_one_err(c, 5, "unterminated quote in value for 'cmdline'");
	assert_false(c->parts[0].valid);
	assert_string_equal(c->parts[0].cmdline, "");
	free(c);

	c = part_with("cmdline = \"a\" b");
	expect_one_err(c, 5, "unexpected text after closing quote for 'cmdline'");
	assert_false(c->parts[0].valid);
	free(c);

	/* In [vatra] the default stays. */
	c = global_with("log_level = \"debug");
	expect_one_err(c, 2, "unterminated quote");
	assert_int_equal(c->log_level, CFG_LOG_INFO);
	free(c);
}

static void test_crlf_and_no_trailing_newline(void **state)
{
	static const char crlf[] =
		"[vatra]\r\n"
		"log_level = debug\r\n"
		"\r\n"
		"# c\r\n"
		"[partition web]\r\n"
		"kernel = /k\r\n"
		"cmdline = quiet\r\n"
		"memory = 2M";		/* no newline at all */
	struct vatra_config *c = parse(crlf);

	(void)state;
	expect_no_err(c);
	assert_int_equal(c->log_level, CFG_LOG_DEBUG);
	assert_string_equal(c->parts[0].cmdline, "quiet");
	assert_string_equal(c->parts[0].kernel, "/k");
	assert_int_equal(c->parts[0].memory, 2ull << 20);
	free(c);

	/* Line numbers still count LF-terminated lines with CRLF. */
	c = parse("[vatra]\r\n\r\nbad = 1\r\n");
	expect_one_err(c, 3, "unknown key 'bad' in [vatra]");
	free(c);

	/* The final unterminated line still gets its line number. */
	c = parse("[vatra]\nlog_level = debug\nnope");
	expect_one_err(c, 3, "expected 'key = value', got 'nope'");
	assert_int_equal(c->log_level, CFG_LOG_DEBUG);
	free(c);
}

static void test_not_nul_terminated(void **state)
{
	/* Only len bytes count, whatever follows in memory. */
	static const char text[] = "[partition p]\nkernel = /k\nmemory = 16M\nvcpus = 3";
	size_t vc = (size_t)(strstr(text, "vcpus") - text);
	size_t mem = (size_t)(strstr(text, "16M") - text);
	struct vatra_config *c;

	(void)state;
	c = parse_n(text, strlen(text));
	expect_no_err(c);
	assert_int_equal(c->parts[0].vcpus, 3);
	free(c);
	c = parse_n(text, strlen(text) - 1);		/* "vcpus = " */
	expect_one_err(c, 4, "bad value '' for 'vcpus'");
	free(c);
	c = parse_n(text, vc + 6);			/* "vcpus " */
	expect_one_err(c, 4, "expected 'key = value', got 'vcpus'");
	free(c);
	c = parse_n(text, mem + 2);			/* "memory = 16" */
	expect_one_err(c, 3, "bad value '16' for 'memory': must be at least 1M");
	assert_int_equal(c->nparts, 1);
	assert_false(c->parts[0].valid);
	free(c);
}

static void test_long_lines(void **state)
{
	static const char tail1[] = "\r\n[vatra]\nlog_level = warn\n";
	static const char tail2[] = "\n[vatra]\nlog_level = warn\n";
	static const char head3[] = "[partition p]\nkernel = /k\nmemory = 64M\ncmdline = ";
	static const char tail3[] = "\n[partition q]\nkernel = /q\nmemory = 2M\n";
	char *buf = malloc(4096);
	struct vatra_config *c;

	(void)state;
	/* 1023 characters is fine, even followed by CRLF. */
	memset(buf, 'x', 1023);
	buf[0] = '#';
	memcpy(buf + 1023, tail1, strlen(tail1));
	c = parse_n(buf, 1023 + strlen(tail1));
	expect_no_err(c);
	assert_int_equal(c->log_level, CFG_LOG_WARN);
	free(c);

	/* 1024 is an error on that line only; the next line still parses. */
	memset(buf, 'x', 1024);
	buf[0] = '#';
	memcpy(buf + 1024, tail2, strlen(tail2));
	c = parse_n(buf, 1024 + strlen(tail2));
	expect_one_err(c, 1, "line too long: at most 1023");
	assert_int_equal(c->log_level, CFG_LOG_WARN);
	free(c);

	/* A too-long line inside a partition invalidates it. */
	memcpy(buf, head3, strlen(head3));
	memset(buf + strlen(head3), 'a', 2000);
	memcpy(buf + strlen(head3) + 2000, tail3, strlen(tail3));
	c = parse_n(buf, strlen(head3) + 2000 + strlen(tail3));
	expect_one_err(c, 4, "line too long");
	assert_int_equal(c->nparts, 2);
	assert_false(c->parts[0].valid);
	assert_true(c->parts[1].valid);
	free(c);
	free(buf);
}

static void test_nul_byte(void **state)
{
	static const char text[] =
		"[partition p]\nkernel = /k\nmemory = 64M\ncmd\0line = x\n"
		"[vatra]\nlog_level = error\n";
	struct vatra_config *c = parse_n(text, sizeof(text) - 1);

	(void)state;
	expect_one_err(c, 4, "NUL byte");
	assert_int_equal(c->nparts, 1);
	assert_false(c->parts[0].valid);
	assert_int_equal(c->log_level, CFG_LOG_ERROR);
	free(c);

	/* A lone NUL line outside any section. */
	c = parse_n("\0\n[vatra]\n", 10);
	expect_one_err(c, 1, "NUL byte");
	free(c);
}

/* ---- sections --------------------------------------------------------- */

static void test_section_headers_ok(void **state)
{
	struct vatra_config *c = parse(
		"[ vatra ]\n"
		"log_level = error\n"
		"[partition   one]\n"
		"kernel = /1\nmemory = 1M\n"
		"[partition\ttwo]\n"
		"kernel = /2\nmemory = 1M\n"
		"  [ partition three ]  \n"
		"kernel = /3\nmemory = 1M\n");

	(void)state;
	expect_no_err(c);
	assert_int_equal(c->log_level, CFG_LOG_ERROR);
	assert_int_equal(c->nparts, 3);
	assert_string_equal(c->parts[0].name, "one");
	assert_string_equal(c->parts[1].name, "two");
	assert_string_equal(c->parts[2].name, "three");
	assert_int_equal(c->parts[2].line, 9);
	free(c);
}

static void test_unknown_section(void **state)
{
	struct vatra_config *c = parse(
		"[vatra]\n"
		"[network]\n"
		"bridge = br0\n"
		"junk without equals\n"
		"also = bad\n"
		"[vatra]\n"
		"log_level = debug\n");

	(void)state;
	/* One error for the section, none for the keys under it. */
	expect_one_err(c, 2, "unknown section 'network'");
	assert_true(strstr(c->errors[0].msg, "[partition NAME]") != NULL);
	assert_int_equal(c->log_level, CFG_LOG_DEBUG);
	free(c);

	/* Section names are case-sensitive, like keys. */
	c = parse("[VATRA]\nlog_level = debug\n[Partition x]\nkernel = /k\n");
	assert_int_equal(c->nerrors, 2);
	expect_err(c, 0, 1, "unknown section 'VATRA'");
	expect_err(c, 1, 3, "unknown section 'Partition x'");
	assert_int_equal(c->log_level, CFG_LOG_INFO);
	assert_int_equal(c->nparts, 0);
	free(c);

	/* "partitionweb" is not "partition web". */
	c = parse("[partitionweb]\n");
	expect_one_err(c, 1, "unknown section 'partitionweb'");
	free(c);

	c = parse("[]\n");
	expect_one_err(c, 1, "unknown section ''");
	free(c);
}

static void test_bad_headers(void **state)
{
	struct vatra_config *c;

	(void)state;
	c = parse("[vatra\nlog_level = debug\n");
	expect_one_err(c, 1, "missing ']'");
	assert_int_equal(c->log_level, CFG_LOG_INFO);	/* keys skipped */
	free(c);

	c = parse("[partition web\nkernel = /k\nmemory = 1M\n");
	expect_one_err(c, 1, "missing ']'");
	assert_int_equal(c->nparts, 0);
	free(c);

	c = parse("[vatra] trailing\nlog_level = debug\n");
	expect_one_err(c, 1, "unexpected text 'trailing' after section header");
	assert_int_equal(c->log_level, CFG_LOG_INFO);
	free(c);

	c = parse("[partition]\nkernel = /k\n");
	expect_one_err(c, 1, "missing partition name");
	assert_int_equal(c->nparts, 0);
	free(c);

	c = parse("[partition   ]\n");
	expect_one_err(c, 1, "missing partition name");
	free(c);
}

static void test_partition_names(void **state)
{
	static const char *const bad[] = {
		"9web", "_web", "-web", "we.b", "we b", "web!", "wéb", "a/b",
	};
	char buf[256];
	struct vatra_config *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "\n[partition %s]\nkernel = /k\nmemory = 1M\n",
			 bad[i]);
		c = parse(buf);
		expect_one_err(c, 2, "bad partition name");
		assert_true(strstr(c->errors[0].msg, "starting with a letter") != NULL);
		assert_int_equal(c->nparts, 0);
		free(c);
	}

	/* 31 characters fit, 32 do not. */
	snprintf(buf, sizeof(buf), "[partition %s]\nkernel = /k\nmemory = 1M\n",
		 "A234567890123456789012345678901");
	c = parse(buf);
	expect_no_err(c);
	assert_int_equal(strlen(c->parts[0].name), 31);
	free(c);
	snprintf(buf, sizeof(buf), "[partition %s]\nkernel = /k\nmemory = 1M\n",
		 "A2345678901234567890123456789012");
	c = parse(buf);
	expect_one_err(c, 1, "too long: at most 31 characters");
	assert_int_equal(c->nparts, 0);
	free(c);
}

static void test_keys_before_section(void **state)
{
	struct vatra_config *c = parse(
		"# header comment\n"
		"log_level = debug\n"
		"stray text\n"
		"= 1\n"
		"[vatra]\n"
		"log_level = warn\n");

	(void)state;
	assert_int_equal(last_rc, 3);
	expect_err(c, 0, 2, "key 'log_level' before any section");
	expect_err(c, 1, 3, "text 'stray text' before any section");
	expect_err(c, 2, 4, "missing key before '='");
	/* The early key did not count: no duplicate in [vatra]. */
	assert_int_equal(c->log_level, CFG_LOG_WARN);
	free(c);
}

static void test_malformed_lines(void **state)
{
	struct vatra_config *c;

	(void)state;
	c = part_with("just words");
	expect_one_err(c, 5, "expected 'key = value', got 'just words'");
	assert_false(c->parts[0].valid);
	free(c);

	c = part_with("   = /x");
	expect_one_err(c, 5, "missing key before '='");
	assert_false(c->parts[0].valid);
	free(c);

	c = global_with("garbage");
	expect_one_err(c, 2, "expected 'key = value'");
	free(c);
}

/* ---- [vatra] keys ----------------------------------------------------- */

static void test_console_good(void **state)
{
	static const struct { const char *v; unsigned port, baud; } t[] = {
		{ "com1", 0x3f8, 115200 },
		{ "com2", 0x2f8, 115200 },
		{ "com3", 0x3e8, 115200 },
		{ "com4", 0x2e8, 115200 },
		{ "COM2", 0x2f8, 115200 },
		{ "0x2f8", 0x2f8, 115200 },
		{ "0X3E8", 0x3e8, 115200 },
		{ "0xe000", 0xe000, 115200 },
		{ "0xfff8", 0xfff8, 115200 },
		{ "com1,9600", 0x3f8, 9600 },
		{ "com2 , 19200", 0x2f8, 19200 },
		{ "com3,38400", 0x3e8, 38400 },
		{ "com4,57600", 0x2e8, 57600 },
		{ "0x3f8,115200", 0x3f8, 115200 },
		{ "\"com2,9600\"", 0x2f8, 9600 },
	};
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct vatra_config *c;

		snprintf(buf, sizeof(buf), "console = %s", t[i].v);
		c = global_with(buf);
		expect_no_err(c);
		assert_int_equal(c->console_port, t[i].port);
		assert_int_equal(c->console_baud, t[i].baud);
		free(c);
	}
}

static void test_console_bad(void **state)
{
	static const char *const t[] = {
		"", "com5", "com0", "com", "ttyS0", "1016", "0x", "0xzz",
		"0x0", "0x10000", "0xfff9", "0x1ffffffffffffffff",
		"com1,", "com1,1234", "com1,115200,8", "com1,0x1c200",
		"com1,115200x", ",9600", "0x2f8,-9600",
	};
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct vatra_config *c;

		snprintf(buf, sizeof(buf), "console = %s", t[i]);
		c = global_with(buf);
		expect_one_err(c, 2, "for 'console': ");
		assert_true(strstr(c->errors[0].msg, "bad value '") != NULL);
		/* Neither half of a bad console line is applied. */
		assert_int_equal(c->console_port, 0x3f8);
		assert_int_equal(c->console_baud, 115200);
		free(c);
	}
}

static void test_global_enums(void **state)
{
	static const struct { const char *line; int val; bool log; } t[] = {
		{ "log_level = error", CFG_LOG_ERROR, true },
		{ "log_level = warn", CFG_LOG_WARN, true },
		{ "log_level = info", CFG_LOG_INFO, true },
		{ "log_level = DEBUG", CFG_LOG_DEBUG, true },
		{ "on_all_stopped = shell", CFG_STOP_SHELL, false },
		{ "on_all_stopped = poweroff", CFG_STOP_POWEROFF, false },
		{ "on_all_stopped = Exit", CFG_STOP_EXIT, false },
	};
	struct vatra_config *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c = global_with(t[i].line);
		expect_no_err(c);
		assert_int_equal(t[i].log ? (int)c->log_level : (int)c->on_all_stopped,
				 t[i].val);
		free(c);
	}

	c = global_with("log_level = verbose");
	expect_one_err(c, 2, "bad value 'verbose' for 'log_level': expected error, warn, info or debug");
	assert_int_equal(c->log_level, CFG_LOG_INFO);
	free(c);

	c = global_with("log_level =");
	expect_one_err(c, 2, "bad value '' for 'log_level'");
	free(c);

	c = global_with("on_all_stopped = reboot");
	expect_one_err(c, 2, "bad value 'reboot' for 'on_all_stopped': expected shell, poweroff or exit");
	assert_int_equal(c->on_all_stopped, CFG_STOP_SHELL);
	free(c);
}

static void test_booleans(void **state)
{
	static const struct { const char *v; bool b; } t[] = {
		{ "yes", true }, { "no", false }, { "true", true },
		{ "false", false }, { "on", true }, { "off", false },
		{ "1", true }, { "0", false }, { "YES", true }, { "No", false },
		{ "TRUE", true }, { "False", false }, { "oN", true }, { "OFF", false },
	};
	static const char *const bad[] = { "y", "n", "2", "enable", "", "yes please", "01" };
	char buf[128];
	struct vatra_config *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(buf, sizeof(buf), "selftest = %s", t[i].v);
		c = global_with(buf);
		expect_no_err(c);
		assert_int_equal(c->selftest, t[i].b);
		free(c);

		/* Partition flags default the other way round from each
		 * other, so a value must really be applied to both. */
		snprintf(buf, sizeof(buf), "autostart = %s\ndebug_exit = %s",
			 t[i].v, t[i].v);
		c = part_with(buf);
		expect_no_err(c);
		assert_int_equal(c->parts[0].autostart, t[i].b);
		assert_int_equal(c->parts[0].debug_exit, t[i].b);
		free(c);
	}
	c = global_with("selftest = trap");
	expect_no_err(c);
	assert_true(c->selftest);
	assert_true(c->selftest_trap);
	free(c);
	c = global_with("selftest = yes");
	assert_false(c->selftest_trap);
	free(c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "selftest = %s", bad[i]);
		c = global_with(buf);
		expect_one_err(c, 2, "for 'selftest': expected yes, no or trap");
		assert_false(c->selftest);
		free(c);

		snprintf(buf, sizeof(buf), "autostart = %s", bad[i]);
		c = part_with(buf);
		expect_one_err(c, 5, "for 'autostart': expected yes or no");
		assert_true(c->parts[0].autostart);
		assert_false(c->parts[0].valid);
		free(c);

		snprintf(buf, sizeof(buf), "debug_exit = %s", bad[i]);
		c = part_with(buf);
		expect_one_err(c, 5, "for 'debug_exit': expected yes or no");
		assert_false(c->parts[0].debug_exit);
		free(c);
	}
}

static void test_global_unknown_and_case(void **state)
{
	struct vatra_config *c;

	(void)state;
	c = global_with("Log_Level = debug");
	expect_one_err(c, 2, "unknown key 'Log_Level' in [vatra]");
	assert_int_equal(c->log_level, CFG_LOG_INFO);
	free(c);

	/* Partition keys are not global keys and vice versa. */
	c = global_with("memory = 1G");
	expect_one_err(c, 2, "unknown key 'memory' in [vatra]");
	free(c);
	c = part_with("log_level = debug");
	expect_one_err(c, 5, "unknown key 'log_level' in [partition p]");
	assert_false(c->parts[0].valid);
	free(c);
}

static void test_global_errors_keep_defaults(void **state)
{
	struct vatra_config *c = parse(
		"[vatra]\n"
		"console = com9,1\n"
		"log_level = loud\n"
		"on_all_stopped = never\n"
		"selftest = maybe\n"
		"[partition ok]\n"
		"kernel = /k\nmemory = 1M\n");

	(void)state;
	assert_int_equal(last_rc, 4);
	expect_err(c, 0, 2, "'console'");
	expect_err(c, 1, 3, "'log_level'");
	expect_err(c, 2, 4, "'on_all_stopped'");
	expect_err(c, 3, 5, "'selftest'");
	assert_int_equal(c->console_port, 0x3f8);
	assert_int_equal(c->console_baud, 115200);
	assert_int_equal(c->log_level, CFG_LOG_INFO);
	assert_int_equal(c->on_all_stopped, CFG_STOP_SHELL);
	assert_false(c->selftest);
	/* Global errors do not touch partitions. */
	assert_true(c->parts[0].valid);
	free(c);
}

/* ---- partition keys --------------------------------------------------- */

static void test_unknown_key_message(void **state)
{
	struct vatra_config *c = parse(
		"[partition web]\n"
		"kernel = /k\n"
		"memroy = 512M\n"
		"memory = 512M\n");

	(void)state;
	expect_one_err(c, 3, "unknown key 'memroy' in [partition web]");
	assert_string_equal(c->errors[0].msg, "unknown key 'memroy' in [partition web]");
	assert_false(c->parts[0].valid);
	assert_int_equal(c->parts[0].memory, 512ull << 20);
	free(c);

	/* Keys are case-sensitive. */
	c = part_with("Kernel = /x");
	expect_one_err(c, 5, "unknown key 'Kernel'");
	assert_string_equal(c->parts[0].kernel, "/k");
	free(c);
}

static void test_kernel(void **state)
{
	char path[200], buf[256];
	struct vatra_config *c;

	(void)state;
	c = parse("[partition p]\nkernel = guests/vmlinuz\nmemory = 1M\n");
	expect_one_err(c, 2, "bad value 'guests/vmlinuz' for 'kernel': expected a path starting with '/'");
	assert_false(c->parts[0].valid);
	assert_string_equal(c->parts[0].kernel, "");
	free(c);

	c = parse("[partition p]\nkernel =\nmemory = 1M\n");
	expect_one_err(c, 2, "for 'kernel': expected a path");
	free(c);

	/* 127 characters fit, 128 are an error, not a truncation. */
	memset(path, 'k', sizeof(path));
	path[0] = '/';
	path[127] = '\0';
	snprintf(buf, sizeof(buf), "[partition p]\nkernel = %s\nmemory = 1M\n", path);
	c = parse(buf);
	expect_no_err(c);
	assert_string_equal(c->parts[0].kernel, path);
	free(c);
	path[127] = 'k';
	path[128] = '\0';
	snprintf(buf, sizeof(buf), "[partition p]\nkernel = %s\nmemory = 1M\n", path);
	c = parse(buf);
	expect_one_err(c, 2, "for 'kernel': too long: at most 127 characters");
	/* The echoed value is shortened so the reason still fits. */
	assert_true(strstr(c->errors[0].msg, "...'") != NULL);
	assert_string_equal(c->parts[0].kernel, "");
	assert_false(c->parts[0].valid);
	free(c);

	c = parse("[partition p]\nkernel = /a\tb\nmemory = 1M\n");
	expect_one_err(c, 2, "control character in path");
	free(c);
}

static void test_initrd(void **state)
{
	char path[200], buf[256];
	struct vatra_config *c;

	(void)state;
	c = part_with("initrd = /boot/initrd.img");
	expect_no_err(c);
	assert_string_equal(c->parts[0].initrd, "/boot/initrd.img");
	free(c);

	c = part_with("initrd =   # none");
	expect_no_err(c);
	assert_string_equal(c->parts[0].initrd, "");
	free(c);

	c = part_with("initrd = initrd.img");
	expect_one_err(c, 5, "bad value 'initrd.img' for 'initrd': expected a path starting with '/'");
	assert_false(c->parts[0].valid);
	free(c);

	memset(path, 'i', sizeof(path));
	path[0] = '/';
	path[150] = '\0';
	snprintf(buf, sizeof(buf), "initrd = %s", path);
	c = part_with(buf);
	expect_one_err(c, 5, "for 'initrd': too long");
	assert_string_equal(c->parts[0].initrd, "");
	free(c);
}

static void test_cmdline(void **state)
{
	char *buf = malloc(1024), *line = malloc(1100);
	struct vatra_config *c;

	(void)state;
	c = part_with("cmdline = root=/dev/vda1 console=ttyS0,115200 init=/sbin/init -- a=b=c");
	expect_no_err(c);
	assert_string_equal(c->parts[0].cmdline,
			    "root=/dev/vda1 console=ttyS0,115200 init=/sbin/init -- a=b=c");
	free(c);

	/* Absent and empty both give "". */
	c = part_with("");
	expect_no_err(c);
	assert_string_equal(c->parts[0].cmdline, "");
	free(c);

	/* 511 characters fit, 512 are an error. */
	memset(buf, 'c', 511);
	buf[511] = '\0';
	snprintf(line, 1100, "cmdline = %s", buf);
	c = part_with(line);
	expect_no_err(c);
	assert_int_equal(strlen(c->parts[0].cmdline), 511);
	free(c);
	memset(buf, 'c', 512);
	buf[512] = '\0';
	snprintf(line, 1100, "cmdline = %s", buf);
	c = part_with(line);
	expect_one_err(c, 5, "for 'cmdline': too long: at most 511 characters");
	assert_string_equal(c->parts[0].cmdline, "");
	assert_false(c->parts[0].valid);
	free(c);
	free(buf);
	free(line);
}

static void test_modules_good(void **state)
{
	struct vatra_config *c;
	char buf[512];
	int i;

	(void)state;
	c = part_with("modules = /m");
	expect_no_err(c);
	assert_int_equal(c->parts[0].nmodules, 1);
	assert_string_equal(c->parts[0].modules[0].path, "/m");
	assert_string_equal(c->parts[0].modules[0].args, "");
	free(c);

	c = part_with("modules = \t/m1\t  a  b  ,/m2 c");
	expect_no_err(c);
	assert_int_equal(c->parts[0].nmodules, 2);
	assert_string_equal(c->parts[0].modules[0].path, "/m1");
	assert_string_equal(c->parts[0].modules[0].args, "a  b");
	assert_string_equal(c->parts[0].modules[1].path, "/m2");
	assert_string_equal(c->parts[0].modules[1].args, "c");
	free(c);

	c = part_with("modules =");
	expect_no_err(c);
	assert_int_equal(c->parts[0].nmodules, 0);
	free(c);

	/* Exactly eight. */
	strcpy(buf, "modules = ");
	for (i = 0; i < 8; i++)
		sprintf(buf + strlen(buf), "%s/mod%d arg%d", i ? ", " : "", i, i);
	c = part_with(buf);
	expect_no_err(c);
	assert_int_equal(c->parts[0].nmodules, 8);
	assert_string_equal(c->parts[0].modules[7].path, "/mod7");
	assert_string_equal(c->parts[0].modules[7].args, "arg7");
	free(c);
}

static void test_modules_bad(void **state)
{
	static const struct { const char *v; const char *why; } t[] = {
		{ "mod", "expected a path starting with '/'" },
		{ "/a, b", "expected a path starting with '/'" },
		{ "/a,,/b", "empty entry" },
		{ "/a,", "empty entry" },
		{ ",/a", "empty entry" },
		{ "/m1,/m2,/m3,/m4,/m5,/m6,/m7,/m8,/m9", "too many modules: at most 8" },
	};
	char buf[600], big[300];
	struct vatra_config *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(buf, sizeof(buf), "modules = %s", t[i].v);
		c = part_with(buf);
		expect_one_err(c, 5, t[i].why);
		assert_true(strstr(c->errors[0].msg, "for 'modules'") != NULL);
		assert_int_equal(c->parts[0].nmodules, 0);
		assert_false(c->parts[0].valid);
		free(c);
	}

	memset(big, 'p', 200);
	big[0] = '/';
	big[200] = '\0';
	snprintf(buf, sizeof(buf), "modules = /ok, %s", big);
	c = part_with(buf);
	expect_one_err(c, 5, "too long: at most 127");
	assert_int_equal(c->parts[0].nmodules, 0);
	free(c);

	memset(big, 'a', 200);
	snprintf(buf, sizeof(buf), "modules = /ok %s", big);
	c = part_with(buf);
	expect_one_err(c, 5, "module args too long");
	assert_int_equal(c->parts[0].nmodules, 0);
	free(c);
}

static void test_disks(void **state)
{
	static const struct { const char *v; const char *why; } bad[] = {
		{ "disk.img", "expected a path starting with '/'" },
		{ "/d.img rw", "expected /path, optionally followed by ro" },
		{ "/d.img ro x", "expected /path, optionally followed by ro" },
		{ "", "expected a path starting with '/'" },
	};
	struct vatra_config *c;
	char buf[300];

	(void)state;
	c = part_with("disk = /images/web.img\ndisk = /images/data.img  ro");
	expect_no_err(c);
	assert_int_equal(c->parts[0].ndisks, 2);
	assert_string_equal(c->parts[0].disks[0].path, "/images/web.img");
	assert_false(c->parts[0].disks[0].ro);
	assert_string_equal(c->parts[0].disks[1].path, "/images/data.img");
	assert_true(c->parts[0].disks[1].ro);
	free(c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "disk = %s", bad[i].v);
		c = part_with(buf);
		expect_one_err(c, 5, bad[i].why);
		assert_int_equal(c->parts[0].ndisks, 0);
		assert_false(c->parts[0].valid);
		free(c);
	}
	c = part_with("disk = /a\ndisk = /a");
	expect_one_err(c, 6, "this partition already has that disk");
	free(c);
	c = part_with("disk = /a\ndisk = /b\ndisk = /c\ndisk = /d\ndisk = /e");
	expect_one_err(c, 9, "too many disks: at most 4");
	assert_int_equal(c->parts[0].ndisks, 4);
	free(c);
}

static void test_nets(void **state)
{
	static const struct { const char *v; const char *why; } bad[] = {
		{ "", "expected a switch name" },
		{ "9sw", "expected a switch name" },
		{ "sw0 mac=02:00:00:00:00", "bad MAC" },
		{ "sw0 mac=02:00:00:00:00:0g", "bad MAC" },
		{ "sw0 mac=02:00:00:00:00:01:", "bad MAC" },
		{ "sw0 mac=01:00:5e:00:00:01", "a multicast MAC" },
		{ "sw0 vlan=3", "expected a switch name" },
	};
	struct vatra_config *c;
	char buf[300];

	(void)state;
	c = parse("[partition a]\nkernel = /k\nmemory = 64M\nnet = sw0\n"
		  "net = lan mac=02:aB:00:00:00:7f\n[switch sw0]\n[switch lan]\n");
	expect_no_err(c);
	assert_int_equal(c->nswitches, 2);
	assert_string_equal(c->switches[1], "lan");
	assert_int_equal(c->parts[0].nnics, 2);
	assert_string_equal(c->parts[0].nics[0].sw, "sw0");
	assert_false(c->parts[0].nics[0].mac_set);
	assert_true(c->parts[0].nics[1].mac_set);
	assert_int_equal(c->parts[0].nics[1].mac[1], 0xab);
	assert_int_equal(c->parts[0].nics[1].mac[5], 0x7f);
	assert_true(c->parts[0].valid);
	free(c);
	/* A NIC on a switch no section declares. */
	c = parse("[switch sw0]\n[partition a]\nkernel = /k\nmemory = 64M\nnet = sw1\n");
	expect_one_err(c, 5, "no [switch sw1] section");
	assert_false(c->parts[0].valid);
	free(c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "net = %s", bad[i].v);
		c = part_with(buf);
		assert_int_equal(c->nerrors, 1);
		assert_int_equal(c->errors[0].line, 5);
		assert_non_null(strstr(c->errors[0].msg, bad[i].why));
		assert_false(c->parts[0].valid);
		free(c);
	}
	c = part_with("hvc = yes");
	expect_no_err(c);
	assert_true(c->parts[0].hvc);
	assert_false(c->parts[0].hvc_input);
	free(c);
	c = part_with("hvc = console");
	expect_no_err(c);
	assert_true(c->parts[0].hvc);
	assert_true(c->parts[0].hvc_input);
	free(c);
	c = part_with("hvc = maybe");
	expect_one_err(c, 5, "expected yes, no or console");
	free(c);
	c = parse("[switch sw0]\nuplink = eth0\n[switch sw0]\n[switch 0x]\n");
	assert_int_equal(c->nerrors, 3);
	assert_non_null(strstr(c->errors[0].msg, "a [switch] section has no settings"));
	assert_non_null(strstr(c->errors[1].msg, "duplicate switch name"));
	assert_non_null(strstr(c->errors[2].msg, "bad switch name"));
	free(c);
}

static void test_memory(void **state)
{
	static const struct { const char *v; uint64_t bytes; } good[] = {
		{ "1M", 1ull << 20 }, { "512M", 512ull << 20 }, { "1G", 1ull << 30 },
		{ "4096K", 4ull << 20 }, { "1048576", 1ull << 20 }, { "2MiB", 2ull << 20 },
		{ "3gb", 3ull << 30 }, { "1T", 1ull << 40 }, { "1028K", 1028ull << 10 },
		{ "1024GiB", 1ull << 40 },
	};
	static const struct { const char *v; const char *why; } bad[] = {
		{ "lots", "bad value 'lots' for 'memory': expected a size like 512M" },
		{ "", "bad value '' for 'memory': expected a size" },
		{ "-1M", "expected a size" },
		{ "1.5G", "expected a size" },
		{ "512 M", "expected a size" },
		{ "0x1000000", "expected a size" },
		{ "0", "must be at least 1M" },
		{ "1020K", "must be at least 1M" },
		{ "65536", "must be at least 1M" },
		{ "1025K", "must be a multiple of 4K" },
		{ "1048577", "must be a multiple of 4K" },
		{ "1025G", "must be at most 1T" },
		{ "2T", "must be at most 1T" },
		{ "99999999999T", "must be at most 1T" },
		{ "99999999999999999999999", "must be at most 1T" },
	};
	char buf[128];
	struct vatra_config *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(buf, sizeof(buf), "[partition p]\nkernel = /k\nmemory = %s\n", good[i].v);
		c = parse(buf);
		expect_no_err(c);
		assert_int_equal(c->parts[0].memory, good[i].bytes);
		assert_true(c->parts[0].valid);
		free(c);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "[partition p]\nkernel = /k\nmemory = %s\n", bad[i].v);
		c = parse(buf);
		/* A rejected memory= still counts as given: no second
		 * "missing required key" error on top. */
		expect_one_err(c, 3, bad[i].why);
		assert_int_equal(c->parts[0].memory, 0);
		assert_false(c->parts[0].valid);
		free(c);
	}
}

static void test_vcpus(void **state)
{
	static const char *const bad[] = { "0", "9", "64", "65", "-1", "x", "", "2 cpus", "0x2", "4294967297", "99999999999999999999999" };
	char buf[128];
	struct vatra_config *c;
	size_t i;

	(void)state;
	/* The limit is the VMM's: a partition starts with at most VCPU_MAX
	 * vCPUs, so the parser takes 1..8 and refuses 9. */
	assert_int_equal(VCPU_MAX, 8);
	c = part_with("vcpus = 8");
	expect_no_err(c);
	assert_int_equal(c->parts[0].vcpus, 8);
	free(c);
	c = part_with("vcpus = 1");
	expect_no_err(c);
	assert_int_equal(c->parts[0].vcpus, 1);
	free(c);
	c = part_with("vcpus = 007");
	expect_no_err(c);
	assert_int_equal(c->parts[0].vcpus, 7);
	free(c);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "vcpus = %s", bad[i]);
		c = part_with(buf);
		expect_one_err(c, 5, "for 'vcpus': expected a number from 1 to 8");
		assert_int_equal(c->parts[0].vcpus, 1);
		assert_false(c->parts[0].valid);
		free(c);
	}
}

static void test_sched_keys(void **state)
{
	struct vatra_config *c;

	(void)state;
	c = part_with("weight = 512\ncap = 50\ncpus = 3\ndedicated = yes");
	expect_no_err(c);
	assert_int_equal(c->parts[0].weight, 512);
	assert_int_equal(c->parts[0].cap, 50);
	assert_true(c->parts[0].dedicated);
	free(c);

	c = part_with("");
	expect_no_err(c);
	assert_int_equal(c->parts[0].weight, PART_WEIGHT_DEFAULT);
	assert_int_equal(c->parts[0].cap, 0);
	assert_false(c->parts[0].dedicated);
	free(c);

	c = part_with("weight = 0");
	expect_one_err(c, 5, "for 'weight': expected a number from 1 to 65535");
	assert_false(c->parts[0].valid);
	free(c);
	c = part_with("weight = 65536");
	expect_one_err(c, 5, "for 'weight': expected a number from 1 to 65535");
	free(c);
	c = part_with("cap = 101");
	expect_one_err(c, 5, "for 'cap': expected a percentage from 0 (no cap) to 100");
	free(c);
	c = part_with("cap = -1");
	expect_one_err(c, 5, "for 'cap'");
	free(c);
	c = part_with("dedicated = maybe");
	expect_one_err(c, 5, "for 'dedicated': expected yes or no");
	free(c);

	/* Dedicated needs its CPUs named. */
	c = part_with("dedicated = yes");
	expect_one_err(c, 5, "'dedicated = yes' needs 'cpus' to name the CPUs");
	assert_false(c->parts[0].valid);
	free(c);
	/* ...but a rejected cpus line is not reported twice. */
	c = part_with("dedicated = yes\ncpus = x");
	expect_one_err(c, 6, "for 'cpus'");
	free(c);
}

static void test_dedicated_overlap(void **state)
{
	struct vatra_config *c;

	(void)state;
	/* A later partition listing a dedicated CPU is refused, naming the
	 * owner; the others stay valid. */
	c = parse("[partition a]\nkernel = /k\nmemory = 16M\nvcpus = 2\ncpus = 1,2\ndedicated = yes\n"
		  "[partition b]\nkernel = /k\nmemory = 16M\ncpus = 2\n"
		  "[partition c]\nkernel = /k\nmemory = 16M\ncpus = 3\n");
	expect_one_err(c, 10, "CPU 2 is dedicated to partition 'a' (line 1)");
	assert_true(c->parts[0].valid);
	assert_false(c->parts[1].valid);
	assert_true(c->parts[2].valid);
	free(c);

	/* A dedicated partition after a sharing one is refused instead. */
	c = parse("[partition a]\nkernel = /k\nmemory = 16M\ncpus = 1\n"
		  "[partition b]\nkernel = /k\nmemory = 16M\ncpus = 1\ndedicated = yes\n");
	expect_one_err(c, 8, "CPU 1 is shared with partition 'a' (line 1): a dedicated CPU cannot be shared");
	assert_true(c->parts[0].valid);
	assert_false(c->parts[1].valid);
	free(c);

	/* Sharing among non-dedicated partitions is fine, and so is an
	 * invalid earlier partition's claim. */
	c = parse("[partition a]\nkernel = /k\nmemory = 16M\ncpus = 1\n"
		  "[partition b]\nkernel = /k\nmemory = 16M\ncpus = 1\n"
		  "[partition d]\nkernel = /k\nmemory = lots\ncpus = 5\ndedicated = yes\n"
		  "[partition e]\nkernel = /k\nmemory = 16M\ncpus = 5\n");
	expect_one_err(c, 11, "for 'memory'");
	assert_true(c->parts[3].valid);
	free(c);
}

static void test_console_mode(void **state)
{
	struct vatra_config *c;

	(void)state;
	c = global_with("console_mode = quiet");
	expect_no_err(c);
	assert_true(c->console_quiet);
	free(c);
	c = global_with("console_mode = mux");
	expect_no_err(c);
	assert_false(c->console_quiet);
	free(c);
	c = global_with("console_mode = loud");
	expect_one_err(c, 2, "for 'console_mode': expected mux or quiet");
	assert_false(c->console_quiet);
	free(c);
}

static void test_cpus_key(void **state)
{
	struct vatra_config *c;

	(void)state;
	c = part_with("vcpus = 4\ncpus = 0-3");
	expect_no_err(c);
	assert_int_equal(c->parts[0].ncpus, 4);
	assert_memory_equal(c->parts[0].cpus, ((uint8_t[]){ 0, 1, 2, 3 }), 4);
	free(c);

	/* Order of keys does not matter for the count check. */
	c = part_with("cpus = 7,5\nvcpus = 2");
	expect_no_err(c);
	assert_int_equal(c->parts[0].cpus[0], 7);
	assert_int_equal(c->parts[0].cpus[1], 5);
	free(c);

	/* Mismatch is reported on the cpus line at the end of the section. */
	c = part_with("cpus = 2,3\nlog = x");
	assert_int_equal(c->nerrors, 2);
	expect_err(c, 0, 6, "unknown key 'log'");
	expect_err(c, 1, 5, "'cpus' lists 2 CPUs but 'vcpus' is 1");
	assert_false(c->parts[0].valid);
	free(c);

	c = part_with("vcpus = 3\ncpus = 1,2");
	expect_one_err(c, 6, "'cpus' lists 2 CPUs but 'vcpus' is 3");
	free(c);

	c = part_with("cpus = 1,1");
	expect_one_err(c, 5, "bad value '1,1' for 'cpus': a CPU is listed twice");
	assert_int_equal(c->parts[0].ncpus, 0);
	free(c);

	/* One CPU per vCPU: a list longer than VCPU_MAX is refused itself. */
	c = part_with("cpus = 0-7\nvcpus = 8");
	expect_no_err(c);
	assert_int_equal(c->parts[0].ncpus, 8);
	free(c);
	c = part_with("cpus = 0-8\nvcpus = 8");
	expect_one_err(c, 5, "for 'cpus': too many CPUs: at most 8 (one per vCPU)");
	assert_int_equal(c->parts[0].ncpus, 0);
	free(c);

	c = part_with("cpus = 256");
	expect_one_err(c, 5, "for 'cpus': expected CPU numbers 0-255");
	free(c);

	c = part_with("cpus =");
	expect_one_err(c, 5, "for 'cpus': expected CPU numbers");
	free(c);

	/* A bad vcpus does not add a confusing count mismatch on top. */
	c = part_with("vcpus = 100\ncpus = 1,2");
	expect_one_err(c, 5, "for 'vcpus'");
	free(c);
}

/* unmapped: both values (any case), stop by default, a bad one refused
 * with the partition invalid and the default kept. */
/* devices =: places with and without a segment, identities, limits. */
static void test_devices(void **state)
{
	static const char *const bad[] = {
		"0000:03:00", "0000:3:00.0", "03:20.0", "03:00.8", "00000:03:00.0",
		"0000:03:00.0x", "8086:10d", "8086:10d3a", "ffff:1234", "zz:00.0",
		"0000:03:00.0,", ", 03:00.0", "03:00.0 04:00.0", "0000-03-00.0",
		"03:00.0, 03:00.0", "0000:03:00.0, 03:00.0",
		"1:0.0,2:0.0", "01:00.0,02:00.0,03:00.0,04:00.0,05:00.0,06:00.0,07:00.0,08:00.0,09:00.0",
	};
	struct vatra_config *c;
	char buf[256];

	(void)state;
	c = part_with("devices = 0000:03:00.0, 04:1f.7,1234:11e8 ,abcd:ff:00.1, 1234:11e8");
	expect_no_err(c);
	assert_int_equal(c->parts[0].ndevs, 5);
	assert_int_equal(c->parts[0].devs_line, 5);
	assert_int_equal(c->parts[0].devs[0].kind, PART_DEV_BDF);
	assert_int_equal(c->parts[0].devs[0].seg, 0);
	assert_int_equal(c->parts[0].devs[0].bus, 3);
	assert_int_equal(c->parts[0].devs[0].devfn, 0);
	assert_int_equal(c->parts[0].devs[1].bus, 4);
	assert_int_equal(c->parts[0].devs[1].devfn, 0x1f << 3 | 7);
	assert_int_equal(c->parts[0].devs[2].kind, PART_DEV_ID);
	assert_int_equal(c->parts[0].devs[2].vendor, 0x1234);
	assert_int_equal(c->parts[0].devs[2].device, 0x11e8);
	assert_int_equal(c->parts[0].devs[3].seg, 0xabcd);
	assert_int_equal(c->parts[0].devs[3].bus, 0xff);
	assert_int_equal(c->parts[0].devs[3].devfn, 1);
	/* the same identity twice: the first two free functions with it */
	assert_int_equal(c->parts[0].devs[4].kind, PART_DEV_ID);
	assert_true(c->parts[0].valid);
	free(c);

	c = part_with("devices =");
	expect_no_err(c);
	assert_int_equal(c->parts[0].ndevs, 0);
	free(c);
	c = part_with("cap = 0");
	assert_int_equal(c->parts[0].ndevs, 0);
	assert_int_equal(c->parts[0].devs_line, 0);
	free(c);

	c = part_with("devices = 01:00.0,02:00.0,03:00.0,04:00.0,05:00.0,06:00.0,07:00.0,08:00.0");
	expect_no_err(c);
	assert_int_equal(c->parts[0].ndevs, 8);
	free(c);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "devices = %s", bad[i]);
		c = part_with(buf);
		expect_one_err(c, 5, "for 'devices'");
		assert_false(c->parts[0].valid);
		assert_int_equal(c->parts[0].ndevs, 0);
		free(c);
	}
	c = part_with("devices = 03:00.0, 03:00.0");
	expect_one_err(c, 5, "listed twice");
	free(c);
	c = part_with("devices = 03:00.8");
	expect_one_err(c, 5, "function number above 7");
	free(c);
	c = part_with("devices = 03:20.0");
	expect_one_err(c, 5, "device number above 1f");
	free(c);
	c = part_with("devices = 1:0.0,2:0.0,3:0.0,4:0.0,5:0.0,6:0.0,7:0.0,8:0.0,9:0.0");
	expect_one_err(c, 5, "for 'devices'");
	free(c);
	c = part_with("devices = 01:00.0,02:00.0,03:00.0,04:00.0,05:00.0,06:00.0,07:00.0,08:00.0,09:00.0");
	expect_one_err(c, 5, "at most 8");
	free(c);
	c = part_with("devices = 03:00.0\ndevices = 04:00.0");
	expect_one_err(c, 6, "duplicate key 'devices'");
	assert_int_equal(c->parts[0].devs[0].bus, 3);
	free(c);
}

static void test_allow_unsafe_interrupts(void **state)
{
	struct vatra_config *c;

	(void)state;
	c = global_with("log_level = info");
	expect_no_err(c);
	assert_false(c->allow_unsafe_interrupts);
	free(c);
	c = global_with("allow_unsafe_interrupts = yes");
	expect_no_err(c);
	assert_true(c->allow_unsafe_interrupts);
	free(c);
	c = global_with("allow_unsafe_interrupts = no");
	expect_no_err(c);
	assert_false(c->allow_unsafe_interrupts);
	free(c);
	c = global_with("allow_unsafe_interrupts = maybe");
	expect_one_err(c, 2, "for 'allow_unsafe_interrupts': expected yes or no");
	assert_false(c->allow_unsafe_interrupts);
	free(c);
	/* a partition key, not a global one */
	c = part_with("allow_unsafe_interrupts = yes");
	expect_one_err(c, 5, "unknown key 'allow_unsafe_interrupts'");
	free(c);
}

static void test_unmapped(void **state)
{
	static const struct { const char *v; enum part_unmapped u; } ok[] = {
		{ "stop", PART_UNMAPPED_STOP }, { "ignore", PART_UNMAPPED_IGNORE },
		{ "IGNORE", PART_UNMAPPED_IGNORE }, { "\"ignore\"", PART_UNMAPPED_IGNORE },
	};
	static const char *const bad[] = { "ignored", "yes", "0", "", "stop ignore" };
	char buf[64];
	struct vatra_config *c;

	(void)state;
	c = part_with("cap = 0");
	expect_no_err(c);
	assert_int_equal(c->parts[0].unmapped, PART_UNMAPPED_STOP);
	free(c);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(buf, sizeof(buf), "unmapped = %s", ok[i].v);
		c = part_with(buf);
		expect_no_err(c);
		assert_int_equal(c->parts[0].unmapped, ok[i].u);
		assert_string_equal(cfg_unmapped_name(c->parts[0].unmapped),
				    ok[i].u == PART_UNMAPPED_STOP ? "stop" : "ignore");
		free(c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "unmapped = %s", bad[i]);
		c = part_with(buf);
		expect_one_err(c, 5, "for 'unmapped': expected stop or ignore");
		assert_int_equal(c->parts[0].unmapped, PART_UNMAPPED_STOP);
		assert_false(c->parts[0].valid);
		free(c);
	}
	c = part_with("unmapped = ignore\nunmapped = stop");
	assert_false(c->parts[0].valid);                 /* a key given twice */
	free(c);
}

static void test_format_and_load_addr(void **state)
{
	static const struct { const char *v; enum part_format f; } fmts[] = {
		{ "auto", PART_FMT_AUTO }, { "linux", PART_FMT_LINUX },
		{ "multiboot", PART_FMT_MULTIBOOT }, { "flat", PART_FMT_FLAT },
		{ "Linux", PART_FMT_LINUX },
	};
	static const struct { const char *v; uint64_t a; } addrs[] = {
		{ "0x100000", 0x100000 }, { "0", 0 }, { "4096", 4096 },
		{ "0X7FFFF000", 0x7ffff000 }, { "0xfffffffffffff000", 0xfffffffffffff000ull },
	};
	static const struct { const char *v; const char *why; } bad_addrs[] = {
		{ "0x100001", "must be 4K-aligned" },
		{ "4097", "must be 4K-aligned" },
		{ "0x10000000000000000", "too large" },
		{ "18446744073709551616", "too large" },
		{ "low", "expected an address like 0x100000" },
		{ "0x", "expected an address" },
		{ "", "expected an address" },
		{ "-4096", "expected an address" },
	};
	char buf[128];
	struct vatra_config *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		snprintf(buf, sizeof(buf), "format = %s", fmts[i].v);
		c = part_with(buf);
		expect_no_err(c);
		assert_int_equal(c->parts[0].format, fmts[i].f);
		free(c);
	}
	c = part_with("format = elf");
	expect_one_err(c, 5, "bad value 'elf' for 'format': expected auto, linux, multiboot or flat");
	assert_int_equal(c->parts[0].format, PART_FMT_AUTO);
	assert_false(c->parts[0].valid);
	free(c);

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		snprintf(buf, sizeof(buf), "load_addr = %s", addrs[i].v);
		c = part_with(buf);
		expect_no_err(c);
		assert_int_equal(c->parts[0].load_addr, addrs[i].a);
		free(c);
	}
	for (i = 0; i < sizeof(bad_addrs) / sizeof(bad_addrs[0]); i++) {
		snprintf(buf, sizeof(buf), "load_addr = %s", bad_addrs[i].v);
		c = part_with(buf);
		expect_one_err(c, 5, bad_addrs[i].why);
		assert_true(strstr(c->errors[0].msg, "for 'load_addr'") != NULL);
		assert_int_equal(c->parts[0].load_addr, 0x8000);
		assert_false(c->parts[0].valid);
		free(c);
	}
}

/* Every numeric key at both of its limits: accepted and stored exactly,
 * and one step past each limit refused with the field left at its
 * default. A limit that is only tested on the refusing side lets an
 * off-by-one that refuses the limit itself through. */
enum limit_field { LF_MEMORY, LF_VCPUS, LF_WEIGHT, LF_CAP, LF_LOAD_ADDR,
		   LF_CPU0, LF_NCPUS, LF_PORT, LF_BAUD, LF_TLB_TAGS, LF_NO_VNMI };

static uint64_t limit_field(const struct vatra_config *c, enum limit_field f)
{
	const struct part_config *p = &c->parts[0];

	switch (f) {
	case LF_MEMORY: return p->memory;
	case LF_VCPUS: return p->vcpus;
	case LF_WEIGHT: return p->weight;
	case LF_CAP: return p->cap;
	case LF_LOAD_ADDR: return p->load_addr;
	case LF_CPU0: return p->ncpus ? p->cpus[p->ncpus - 1] : 0xdead;
	case LF_NCPUS: return p->ncpus;
	case LF_PORT: return c->console_port;
	case LF_BAUD: return c->console_baud;
	case LF_TLB_TAGS: return c->tlb_tags;
	case LF_NO_VNMI: return c->no_virtual_nmis;
	}
	return 0;
}

static void test_numeric_limits(void **state)
{
	static const struct {
		const char *line;       /* "key = value" lines */
		int where;              /* 0: partition, 1: [vatra], 2: partition without memory */
		enum limit_field f;
		uint64_t want;          /* stored value if accepted, default if refused */
		bool ok;
	} t[] = {
		{ "memory = 1M", 2, LF_MEMORY, 1ull << 20, true },
		{ "memory = 1020K", 2, LF_MEMORY, 0, false },
		{ "memory = 1T", 2, LF_MEMORY, 1ull << 40, true },
		{ "memory = 1099511631872", 2, LF_MEMORY, 0, false },       /* 1T + 4K */
		{ "vcpus = 1", 0, LF_VCPUS, 1, true },
		{ "vcpus = 0", 0, LF_VCPUS, 1, false },
		{ "vcpus = 8", 0, LF_VCPUS, 8, true },    /* VCPU_MAX */
		{ "vcpus = 9", 0, LF_VCPUS, 1, false },
		{ "weight = 1", 0, LF_WEIGHT, 1, true },
		{ "weight = 0", 0, LF_WEIGHT, PART_WEIGHT_DEFAULT, false },
		{ "weight = 65535", 0, LF_WEIGHT, 65535, true },
		{ "weight = 65536", 0, LF_WEIGHT, PART_WEIGHT_DEFAULT, false },
		{ "cap = 0", 0, LF_CAP, 0, true },
		{ "cap = -1", 0, LF_CAP, 0, false },
		{ "cap = 100", 0, LF_CAP, 100, true },
		{ "cap = 101", 0, LF_CAP, 0, false },
		{ "load_addr = 0", 0, LF_LOAD_ADDR, 0, true },
		{ "load_addr = 0xfffffffffffff000", 0, LF_LOAD_ADDR, 0xfffffffffffff000ull, true },
		{ "load_addr = 0xfffffffffffff001", 0, LF_LOAD_ADDR, 0x8000, false },
		{ "load_addr = 0x10000000000000000", 0, LF_LOAD_ADDR, 0x8000, false },
		{ "cpus = 0", 0, LF_CPU0, 0, true },
		{ "cpus = 255", 0, LF_CPU0, 255, true },
		{ "cpus = 256", 0, LF_CPU0, 0xdead, false },
		{ "vcpus = 8\ncpus = 0-7", 0, LF_NCPUS, 8, true },
		{ "vcpus = 8\ncpus = 248-255", 0, LF_CPU0, 255, true },
		{ "vcpus = 8\ncpus = 0-8", 0, LF_NCPUS, 0, false },
		{ "console = 0x1", 1, LF_PORT, 0x1, true },
		{ "console = 0x0", 1, LF_PORT, 0x3f8, false },
		{ "console = 0xfff8", 1, LF_PORT, 0xfff8, true },
		{ "console = 0xfff9", 1, LF_PORT, 0x3f8, false },
		{ "console = com1,9600", 1, LF_BAUD, 9600, true },
		{ "console = com1,9599", 1, LF_BAUD, 115200, false },
		{ "console = com1,115200", 1, LF_BAUD, 115200, true },
		{ "console = com1,115201", 1, LF_BAUD, 115200, false },
		{ "console = com2,19200", 1, LF_BAUD, 19200, true },
		{ "console = com2,38400", 1, LF_BAUD, 38400, true },
		{ "console = com2,57600", 1, LF_BAUD, 57600, true },
		{ "console = com2,57601", 1, LF_BAUD, 115200, false },
		{ "tlb_tags = 2", 1, LF_TLB_TAGS, 2, true },
		{ "tlb_tags = 1", 1, LF_TLB_TAGS, 0, false },
		{ "tlb_tags = 65536", 1, LF_TLB_TAGS, 65536, true },
		{ "tlb_tags = 65537", 1, LF_TLB_TAGS, 0, false },
		{ "virtual_nmis = no", 1, LF_NO_VNMI, 1, true },
		{ "virtual_nmis = yes", 1, LF_NO_VNMI, 0, true },
		{ "virtual_nmis = maybe", 1, LF_NO_VNMI, 0, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char buf[128];
		struct vatra_config *c;
		uint64_t got;

		snprintf(buf, sizeof(buf), "[partition p]\nkernel = /k\n%s\n", t[i].line);
		c = t[i].where == 1 ? global_with(t[i].line) : t[i].where == 2 ? parse(buf) : part_with(t[i].line);
		got = limit_field(c, t[i].f);

		if (t[i].ok && (c->nerrors || got != t[i].want))
			fail_msg("'%s': want accepted and stored as %llu, got %u errors, value %llu",
				 t[i].line, (unsigned long long)t[i].want, c->nerrors,
				 (unsigned long long)got);
		if (!t[i].ok && (c->nerrors != 1 || got != t[i].want))
			fail_msg("'%s': want refused with the default %llu kept, got %u errors, value %llu",
				 t[i].line, (unsigned long long)t[i].want, c->nerrors,
				 (unsigned long long)got);
		if (t[i].where != 1)
			assert_int_equal(c->parts[0].valid, t[i].ok);
		free(c);
	}
}

static void test_count_limits(void **state)
{
	char mods[CFG_MAX_MODULES + 1][8], line[256] = "modules = ";
	struct vatra_config *c;
	int i;

	(void)state;
	/* Exactly CFG_MAX_MODULES modules are kept in order; one more is refused. */
	for (i = 0; i <= CFG_MAX_MODULES; i++) {
		snprintf(mods[i], sizeof(mods[i]), "/m%d", i);
		if (i == CFG_MAX_MODULES) {
			c = part_with(line);
			expect_no_err(c);
			assert_int_equal(c->parts[0].nmodules, CFG_MAX_MODULES);
			assert_string_equal(c->parts[0].modules[CFG_MAX_MODULES - 1].path, "/m7");
			free(c);
		}
		if (i)
			strcat(line, ",");
		strcat(line, mods[i]);
	}
	c = part_with(line);
	expect_one_err(c, 5, "too many modules: at most 8");
	assert_false(c->parts[0].valid);
	free(c);
}

static void test_partition_defaults(void **state)
{
	struct vatra_config *c = parse("[partition p]\nkernel = /k\nmemory = 1M\n");
	const struct part_config *p = &c->parts[0];

	(void)state;
	expect_no_err(c);
	assert_int_equal(p->line, 1);
	assert_string_equal(p->initrd, "");
	assert_string_equal(p->cmdline, "");
	assert_int_equal(p->nmodules, 0);
	assert_int_equal(p->vcpus, 1);
	assert_int_equal(p->ncpus, 0);
	assert_int_equal(p->format, PART_FMT_AUTO);
	assert_int_equal(p->load_addr, 0x8000);
	assert_true(p->autostart);
	assert_false(p->debug_exit);
	assert_true(p->valid);
	free(c);
}

/* ---- rules across lines ----------------------------------------------- */

static void test_duplicate_keys(void **state)
{
	struct vatra_config *c;

	(void)state;
	c = part_with("vcpus = 2\nvcpus = 4");
	expect_one_err(c, 6, "duplicate key 'vcpus' (first on line 5)");
	assert_int_equal(c->parts[0].vcpus, 2);	/* first value stays */
	assert_false(c->parts[0].valid);
	free(c);

	/* Even when the second value is bad, only the duplicate is reported. */
	c = part_with("kernel = /other");
	expect_one_err(c, 5, "duplicate key 'kernel' (first on line 2)");
	assert_string_equal(c->parts[0].kernel, "/k");
	free(c);

	c = parse("[vatra]\nlog_level = warn\nlog_level = debug\n");
	expect_one_err(c, 3, "duplicate key 'log_level' (first on line 2)");
	assert_int_equal(c->log_level, CFG_LOG_WARN);
	free(c);

	/* A second [vatra] continues the same section. */
	c = parse("[vatra]\nselftest = yes\n[partition p]\nkernel = /k\nmemory = 1M\n"
		  "[vatra]\nselftest = no\n");
	expect_one_err(c, 7, "duplicate key 'selftest' (first on line 2)");
	assert_true(c->selftest);
	assert_true(c->parts[0].valid);		/* error was in [vatra] */
	free(c);

	/* The same key in two partitions is not a duplicate. */
	c = parse("[partition a]\nkernel = /a\nmemory = 1M\n"
		  "[partition b]\nkernel = /b\nmemory = 2M\n");
	expect_no_err(c);
	assert_int_equal(c->nparts, 2);
	assert_int_equal(c->parts[1].memory, 2ull << 20);
	free(c);
}

static void test_missing_required(void **state)
{
	struct vatra_config *c;

	(void)state;
	c = parse("\n[partition web]\ncmdline = x\nbogus = 1\n[partition ok]\nkernel = /k\nmemory = 1M\n");
	assert_int_equal(last_rc, 3);
	expect_err(c, 0, 4, "unknown key 'bogus'");
	/* Reported at the header, when the section ends. */
	expect_err(c, 1, 2, "missing required key 'kernel' in [partition web]");
	expect_err(c, 2, 2, "missing required key 'memory' in [partition web]");
	assert_int_equal(c->nparts, 2);
	assert_false(c->parts[0].valid);
	assert_string_equal(c->parts[0].cmdline, "x");	/* kept for reports */
	assert_true(c->parts[1].valid);
	free(c);

	/* At end of file too. */
	c = parse("[partition a]\nkernel = /k\n");
	expect_one_err(c, 1, "missing required key 'memory' in [partition a]");
	assert_false(c->parts[0].valid);
	free(c);
	c = parse("[partition a]\nmemory = 1M");
	expect_one_err(c, 1, "missing required key 'kernel' in [partition a]");
	free(c);

	/* A header alone. */
	c = parse("[partition a]");
	assert_int_equal(last_rc, 2);
	assert_int_equal(c->nparts, 1);
	assert_false(c->parts[0].valid);
	free(c);
}

static void test_duplicate_partition(void **state)
{
	struct vatra_config *c = parse(
		"[partition web]\n"
		"kernel = /k1\n"
		"memory = 1M\n"
		"[partition web]\n"
		"kernel = /k2\n"
		"bogus = 1\n"
		"[partition WEB]\n"
		"[partition db]\n"
		"kernel = /db\n"
		"memory = 8M\n");

	(void)state;
	/* One error per dropped section; their keys are skipped. */
	assert_int_equal(last_rc, 2);
	expect_err(c, 0, 4, "duplicate partition name 'web' (first on line 1)");
	expect_err(c, 1, 7, "duplicate partition name 'WEB' (first on line 1)");
	assert_int_equal(c->nparts, 2);
	assert_string_equal(c->parts[0].kernel, "/k1");
	assert_true(c->parts[0].valid);
	assert_string_equal(c->parts[1].name, "db");
	assert_true(c->parts[1].valid);
	free(c);
}

static void test_too_many_partitions(void **state)
{
	char *buf = malloc(16384), msg[64];
	struct vatra_config *c;
	int i;

	(void)state;
	buf[0] = '\0';
	for (i = 0; i < CFG_MAX_PARTS + 2; i++)
		sprintf(buf + strlen(buf), "[partition p%d]\nkernel = /k%d\nmemory = 1M\n", i, i);
	c = parse(buf);
	assert_int_equal(last_rc, 2);
	snprintf(msg, sizeof(msg), "too many partitions: at most %d", CFG_MAX_PARTS);
	expect_err(c, 0, CFG_MAX_PARTS * 3 + 1, msg);
	snprintf(msg, sizeof(msg), "[partition p%d] ignored", CFG_MAX_PARTS + 1);
	expect_err(c, 1, (CFG_MAX_PARTS + 1) * 3 + 1, msg);
	assert_int_equal(c->nparts, CFG_MAX_PARTS);
	for (i = 0; i < CFG_MAX_PARTS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "p%d", i);
		assert_string_equal(c->parts[i].name, name);
		assert_true(c->parts[i].valid);
	}
	free(c);
	free(buf);
}

static void test_too_many_errors(void **state)
{
	char *buf = malloc(8192);
	struct vatra_config *c;
	int i;

	(void)state;
	strcpy(buf, "[vatra]\n");
	for (i = 0; i < 40; i++)
		sprintf(buf + strlen(buf), "bad%d = 1\n", i);
	strcat(buf, "log_level = debug\n");
	c = parse(buf);
	assert_int_equal(last_rc, 40);
	assert_int_equal(c->nerrors, CFG_MAX_ERRORS);
	assert_int_equal(c->errors_dropped, 8);
	expect_err(c, 0, 2, "unknown key 'bad0'");
	expect_err(c, 31, 33, "unknown key 'bad31'");
	/* Parsing went on past the cap. */
	assert_int_equal(c->log_level, CFG_LOG_DEBUG);
	free(c);
	free(buf);
}

static void test_errors_isolated_per_partition(void **state)
{
	struct vatra_config *c = parse(
		"[partition a]\nkernel = /a\nmemory = 1M\nvcpus = 0\n"
		"[partition b]\nkernel = /b\nmemory = 1M\n"
		"[bogus]\n"
		"[partition c]\nkernel = /c\nmemory = 3K\n");

	(void)state;
	assert_int_equal(last_rc, 3);
	expect_err(c, 0, 4, "'vcpus'");
	expect_err(c, 1, 8, "unknown section 'bogus'");
	expect_err(c, 2, 11, "'memory'");
	assert_int_equal(c->nparts, 3);
	assert_false(c->parts[0].valid);
	assert_true(c->parts[1].valid);
	assert_false(c->parts[2].valid);
	/* The valid keys of an invalid partition are still kept. */
	assert_string_equal(c->parts[0].kernel, "/a");
	assert_string_equal(c->parts[2].kernel, "/c");
	free(c);
}

static void test_message_sanitised(void **state)
{
	static const char text[] = "[vatra]\nlog_level = \x1b[31mred\x7f\xff\n";
	struct vatra_config *c = parse(text);
	size_t i;

	(void)state;
	/* Split so "??'" is not read as a trigraph. */
	expect_one_err(c, 2, "bad value '?[31mred?" "?' for 'log_level'");
	for (i = 0; c->errors[0].msg[i]; i++)
		assert_true(c->errors[0].msg[i] >= 0x20 && c->errors[0].msg[i] < 0x7f);
	free(c);
}

/* ---- cfg_parse_size / cfg_parse_cpus / names ------------------------- */

static void test_parse_size(void **state)
{
	static const struct { const char *s; uint64_t v; } good[] = {
		{ "0", 0 }, { "65536", 65536 }, { "512M", 512ull << 20 },
		{ "1G", 1ull << 30 }, { "4096K", 4096ull << 10 }, { "1k", 1024 },
		{ "2MiB", 2ull << 20 }, { "2mib", 2ull << 20 }, { "2MB", 2ull << 20 },
		{ "2mb", 2ull << 20 }, { "3B", 3 }, { "3b", 3 }, { "1T", 1ull << 40 },
		{ "1TiB", 1ull << 40 }, { "007K", 7 << 10 },
		{ "16777215T", 16777215ull << 40 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", 17179869183ull << 30 },
	};
	static const struct { const char *s; int err; } bad[] = {
		{ "", -EINVAL }, { "M", -EINVAL }, { "12X", -EINVAL },
		{ "12 M", -EINVAL }, { " 12M", -EINVAL }, { "12M ", -EINVAL },
		{ "-1", -EINVAL }, { "+1", -EINVAL }, { "1.5G", -EINVAL },
		{ "12iB", -EINVAL }, { "12MiBB", -EINVAL }, { "12MBB", -EINVAL },
		{ "12Mi", -EINVAL }, { "0x10", -EINVAL }, { "12KM", -EINVAL },
		{ "99999999999999999999999X", -EINVAL },
		{ "16777216T", -ERANGE }, { "99999999999T", -ERANGE },
		{ "18446744073709551616", -ERANGE }, { "17179869184G", -ERANGE },
		{ "99999999999999999999999999999999999999", -ERANGE },
		{ "18014398509481984K", -ERANGE },
	};
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 0xdead;
		if (cfg_parse_size(good[i].s, &v) != 0)
			fail_msg("cfg_parse_size(\"%s\") failed", good[i].s);
		assert_int_equal(v, good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 0xdead;
		if (cfg_parse_size(bad[i].s, &v) != bad[i].err)
			fail_msg("cfg_parse_size(\"%s\") != %s", bad[i].s,
				 err_name(bad[i].err));
		assert_int_equal(v, 0xdead);	/* untouched on error */
	}
	assert_int_equal(cfg_parse_size(NULL, &v), -EINVAL);
	assert_int_equal(cfg_parse_size("1M", NULL), -EINVAL);
}

static void test_parse_cpus(void **state)
{
	static const struct { const char *s; unsigned n; uint8_t c[8]; } good[] = {
		{ "2,3", 2, { 2, 3 } },
		{ "0-3,6", 5, { 0, 1, 2, 3, 6 } },
		{ "255", 1, { 255 } },
		{ "254-255", 2, { 254, 255 } },
		{ "5", 1, { 5 } },
		{ "3-3", 1, { 3 } },
		{ " 1 , 2 - 4 ,0", 5, { 1, 2, 3, 4, 0 } },
		{ "7,6,5", 3, { 7, 6, 5 } },
		{ "00012", 1, { 12 } },
	};
	static const struct { const char *s; int err; } bad[] = {
		{ "", -EINVAL }, { " ", -EINVAL }, { ",", -EINVAL }, { "1,", -EINVAL },
		{ ",1", -EINVAL }, { "1,,2", -EINVAL }, { "1-", -EINVAL },
		{ "-1", -EINVAL }, { "a", -EINVAL }, { "1 2", -EINVAL },
		{ "3-1", -EINVAL }, { "256", -EINVAL }, { "0-256", -EINVAL },
		{ "99999999999999999999", -EINVAL }, { "1-2-3", -EINVAL },
		{ "0x1", -EINVAL }, { "1;2", -EINVAL },
		{ "1,1", -EEXIST }, { "0-3,2", -EEXIST }, { "0-3,2-5", -EEXIST },
		{ "255,250-255", -EEXIST },
	};
	uint8_t cpus[256];
	unsigned n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = 99;
		if (cfg_parse_cpus(good[i].s, cpus, 64, &n) != 0)
			fail_msg("cfg_parse_cpus(\"%s\") failed", good[i].s);
		assert_int_equal(n, good[i].n);
		assert_memory_equal(cpus, good[i].c, n);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 99;
		if (cfg_parse_cpus(bad[i].s, cpus, 64, &n) != bad[i].err)
			fail_msg("cfg_parse_cpus(\"%s\") != %s", bad[i].s,
				 err_name(bad[i].err));
		assert_int_equal(n, 0);
	}

	/* The limit is max, exactly. */
	assert_int_equal(cfg_parse_cpus("0-63", cpus, 64, &n), 0);
	assert_int_equal(n, 64);
	assert_int_equal(cpus[63], 63);
	assert_int_equal(cfg_parse_cpus("0-64", cpus, 64, &n), -E2BIG);
	assert_int_equal(n, 0);
	assert_int_equal(cfg_parse_cpus("1,2,3", cpus, 2, &n), -E2BIG);
	assert_int_equal(cfg_parse_cpus("1", cpus, 0, &n), -E2BIG);
	assert_int_equal(cfg_parse_cpus("0-255", cpus, 256, &n), 0);
	assert_int_equal(n, 256);
	assert_int_equal(cpus[255], 255);
	/* A guard byte after a 4-entry buffer is never written. */
	memset(cpus, 0xee, sizeof(cpus));
	assert_int_equal(cfg_parse_cpus("10-20", cpus, 4, &n), -E2BIG);
	assert_int_equal(cpus[4], 0xee);

	assert_int_equal(cfg_parse_cpus(NULL, cpus, 4, &n), -EINVAL);
	assert_int_equal(cfg_parse_cpus("1", NULL, 4, &n), -EINVAL);
	assert_int_equal(cfg_parse_cpus("1", cpus, 4, NULL), -EINVAL);
}

static void test_enum_names(void **state)
{
	(void)state;
	assert_string_equal(cfg_format_name(PART_FMT_AUTO), "auto");
	assert_string_equal(cfg_format_name(PART_FMT_LINUX), "linux");
	assert_string_equal(cfg_format_name(PART_FMT_MULTIBOOT), "multiboot");
	assert_string_equal(cfg_format_name(PART_FMT_FLAT), "flat");
	assert_string_equal(cfg_format_name((enum part_format)4), "?");
	assert_string_equal(cfg_format_name((enum part_format)-1), "?");
	assert_string_equal(cfg_on_stop_name(CFG_STOP_SHELL), "shell");
	assert_string_equal(cfg_on_stop_name(CFG_STOP_POWEROFF), "poweroff");
	assert_string_equal(cfg_on_stop_name(CFG_STOP_EXIT), "exit");
	assert_string_equal(cfg_on_stop_name((enum cfg_on_stop)3), "?");
	assert_string_equal(cfg_log_name(CFG_LOG_ERROR), "error");
	assert_string_equal(cfg_log_name(CFG_LOG_WARN), "warn");
	assert_string_equal(cfg_log_name(CFG_LOG_INFO), "info");
	assert_string_equal(cfg_log_name(CFG_LOG_DEBUG), "debug");
	assert_string_equal(cfg_log_name((enum cfg_log)4), "?");
}

/* ---- robustness -------------------------------------------------------- */

static uint32_t lcg_state;

static uint32_t lcg(void)
{
	lcg_state = lcg_state * 1103515245u + 12345u;
	return lcg_state >> 8;
}

static void run_checked(const char *text, size_t len)
{
	struct vatra_config *c = parse_n(text, len);

	check_invariants(c, last_rc, count_lines(text, len));
	free(c);
}

static void test_fuzz_random_bytes(void **state)
{
	/* Config-ish bytes make it past the line splitter more often. */
	static const char alpha[] = "[]=#;\"\n\r \t,-/0123456789abcKMGTxpartitionvatrakernelmemory";
	char *buf = malloc(4096);
	unsigned round, total_errors = 0;

	(void)state;
	lcg_state = 12345;
	for (round = 0; round < 3000; round++) {
		size_t len = lcg() % 4096, i;
		bool raw = round % 3 == 0;

		for (i = 0; i < len; i++)
			buf[i] = raw ? (char)lcg() : alpha[lcg() % (sizeof(alpha) - 1)];
		run_checked(buf, len);
		total_errors += (unsigned)last_rc;
	}
	/* Garbage must be reported, not silently accepted. */
	assert_true(total_errors > 3000);
	free(buf);
}

static void test_fuzz_mutations(void **state)
{
	static const char base[] =
		"[vatra]\n"
		"console = com2,57600\n"
		"log_level = debug\n"
		"on_all_stopped = poweroff\n"
		"selftest = yes\n"
		"[partition web]\n"
		"kernel = /guests/vmlinuz\n"
		"initrd = /guests/web.cpio.gz\n"
		"cmdline = \"console=ttyS0 # quiet\"\n"
		"modules = /m1 a b, /m2\n"
		"memory = 512M\n"
		"vcpus = 2\n"
		"cpus = 2-3\n"
		"format = linux\n"
		"load_addr = 0x200000\n"
		"autostart = yes\n"
		"debug_exit = on\n"
		"[partition db]\n"
		"kernel = /db\n"
		"memory = 1G\n";
	char *buf = malloc(4096);
	unsigned round, changed = 0;

	(void)state;
	{
		struct vatra_config *c = parse(base);

		expect_no_err(c);
		assert_int_equal(c->nparts, 2);
		free(c);
	}
	lcg_state = 777;
	for (round = 0; round < 5000; round++) {
		size_t len = sizeof(base) - 1;
		unsigned m, nmut = 1 + lcg() % 8;

		memcpy(buf, base, len);
		for (m = 0; m < nmut; m++) {
			size_t at = len ? lcg() % len : 0;

			switch (lcg() % 5) {
			case 0:		/* replace a byte */
				if (len)
					buf[at] = (char)lcg();
				break;
			case 1:		/* delete a byte */
				if (len) {
					memmove(buf + at, buf + at + 1, len - at - 1);
					len--;
				}
				break;
			case 2:		/* insert a structural byte */
				if (len < 4000) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = "[]=#\"\n,\0 "[lcg() % 9];
					len++;
				}
				break;
			case 3:		/* duplicate a chunk */
				if (len < 3000) {
					size_t n = lcg() % 200;

					if (n > len - at)
						n = len - at;
					memmove(buf + at + n, buf + at, len - at);
					len += n;
				}
				break;
			default:	/* truncate */
				len = at;
				break;
			}
		}
		run_checked(buf, len);
		changed += last_rc > 0;
	}
	assert_true(changed > 1000);
	free(buf);
}

static void test_truncated_inputs(void **state)
{
	size_t len = strlen(example), cut;
	bool saw_web = false;

	(void)state;
	/* Cut the file at every byte: never a crash, always consistent. */
	for (cut = 0; cut <= len; cut++) {
		struct vatra_config *c = parse_n(example, cut);

		check_invariants(c, last_rc, count_lines(example, cut));
		if (c->nparts) {
			assert_string_equal(c->parts[0].name, "web");
			saw_web = true;
			/* memory= is on line 11: before it, web is invalid. */
			if (cut < (size_t)(strstr(example, "memory") - example))
				assert_false(c->parts[0].valid);
		}
		free(c);
	}
	assert_true(saw_web);
}

/* The management network keys: defaults, good values, every refusal. */
static void test_mgmt_keys(void **state)
{
	struct vatra_config *c;
	static const struct { const char *line, *err; } bad[] = {
		{ "mgmt_ip = 10.0.2.15", "expected dhcp or an address" },
		{ "mgmt_ip = 10.0.2.256/24", "expected dhcp or an address" },
		{ "mgmt_ip = 10.0.2.15/32", "expected dhcp or an address" },
		{ "mgmt_ip = 10.0.2/24", "expected dhcp or an address" },
		{ "mgmt_ip = 10.0.2.15/24x", "expected dhcp or an address" },
		{ "mgmt_gw = 1.2.3", "expected an address" },
		{ "mgmt_nic = 00:03.0;", "expected auto, off or a PCI address" },
		{ "mgmt_port = 0", "expected a port number 1..65535" },
		{ "mgmt_port = 70000", "expected a port number 1..65535" },
		{ "mgmt_metrics_port = x", "expected a port number 0..65535" },
		{ "mgmt_cert = mgmt/server.crt", "starting with '/'" },
		{ "syslog = loghost", "expected an address" },
		{ "syslog = 10.0.0.1:0", "expected an address" },
		{ "syslog = 0.0.0.0", "expected an address" },
	};
	uint32_t ip;
	unsigned pre;

	(void)state;
	c = parse("[vatra]\n");
	expect_no_err(c);
	assert_string_equal(c->mgmt.nic, "");
	assert_true(c->mgmt.dhcp);
	assert_int_equal(c->mgmt.port, 443);
	assert_int_equal(c->mgmt.metrics_port, 0);
	assert_string_equal(c->mgmt.cert, "/mgmt/server.crt");
	assert_string_equal(c->mgmt.key, "/mgmt/server.key");
	assert_string_equal(c->mgmt.auth, "/mgmt/auth");
	assert_int_equal(c->mgmt.syslog_ip, 0);
	free(c);
	c = parse("[vatra]\nmgmt_nic = 0000:00:03.0\nmgmt_ip = 192.168.1.10/24\nmgmt_gw = 192.168.1.1\n"
		  "mgmt_port = 8443\nmgmt_metrics_port = 9100\nmgmt_cert = /k/c.pem\n"
		  "mgmt_key = /k/k.pem\nmgmt_auth = /k/ids\nsyslog = 192.168.1.5:1514\n");
	expect_no_err(c);
	assert_string_equal(c->mgmt.nic, "0000:00:03.0");
	assert_false(c->mgmt.dhcp);
	assert_int_equal(c->mgmt.ip, 0xc0a8010a);
	assert_int_equal(c->mgmt.mask, 0xffffff00);
	assert_int_equal(c->mgmt.gw, 0xc0a80101);
	assert_int_equal(c->mgmt.port, 8443);
	assert_int_equal(c->mgmt.metrics_port, 9100);
	assert_string_equal(c->mgmt.cert, "/k/c.pem");
	assert_string_equal(c->mgmt.auth, "/k/ids");
	assert_int_equal(c->mgmt.syslog_ip, 0xc0a80105);
	assert_int_equal(c->mgmt.syslog_port, 1514);
	free(c);
	c = parse("[vatra]\nmgmt_nic = auto\nmgmt_ip = dhcp\nsyslog = 10.0.2.2\nmgmt_nic = off\n");
	expect_one_err(c, 5, "'mgmt_nic'");
	assert_true(c->mgmt.dhcp);
	assert_int_equal(c->mgmt.syslog_port, 514);
	free(c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "[vatra]\n%s\n", bad[i].line);
		c = parse(text);
		expect_one_err(c, 2, bad[i].err);
		free(c);
	}
	assert_int_equal(cfg_parse_ip4("255.255.255.255", &ip, NULL), 0);
	assert_int_equal(ip, 0xffffffff);
	assert_int_equal(cfg_parse_ip4("1.2.3.4/0", &ip, &pre), 0);
	assert_int_equal(pre, 0);
	assert_int_equal(cfg_parse_ip4("01.2.3.4", &ip, NULL), 0);
	assert_int_equal(cfg_parse_ip4("1.2.3.4.5", &ip, NULL), -EINVAL);
	assert_int_equal(cfg_parse_ip4("1111.2.3.4", &ip, NULL), -EINVAL);
	assert_int_equal(cfg_parse_ip4("", &ip, NULL), -EINVAL);
	assert_int_equal(cfg_parse_ip4("1.2.3.4/", &ip, &pre), -EINVAL);
	assert_int_equal(cfg_parse_ip4("1.2.3.4/33", &ip, &pre), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_example),
		cmocka_unit_test(test_full_featured),
		cmocka_unit_test(test_empty_inputs),
		cmocka_unit_test(test_reparse_resets),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_comment_only_value),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_quote_errors),
		cmocka_unit_test(test_crlf_and_no_trailing_newline),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_section_headers_ok),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_partition_names),
		cmocka_unit_test(test_keys_before_section),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_console_good),
		cmocka_unit_test(test_console_bad),
		cmocka_unit_test(test_global_enums),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_global_unknown_and_case),
		cmocka_unit_test(test_global_errors_keep_defaults),
		cmocka_unit_test(test_unknown_key_message),
		cmocka_unit_test(test_kernel),
		cmocka_unit_test(test_initrd),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_modules_good),
		cmocka_unit_test(test_modules_bad),
		cmocka_unit_test(test_disks),
		cmocka_unit_test(test_nets),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_vcpus),
		cmocka_unit_test(test_cpus_key),
		cmocka_unit_test(test_sched_keys),
		cmocka_unit_test(test_dedicated_overlap),
		cmocka_unit_test(test_console_mode),
		cmocka_unit_test(test_unmapped),
		cmocka_unit_test(test_format_and_load_addr),
		cmocka_unit_test(test_numeric_limits),
		cmocka_unit_test(test_count_limits),
		cmocka_unit_test(test_partition_defaults),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_duplicate_partition),
		cmocka_unit_test(test_too_many_partitions),
		cmocka_unit_test(test_too_many_errors),
		cmocka_unit_test(test_errors_isolated_per_partition),
		cmocka_unit_test(test_message_sanitised),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_cpus),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_allow_unsafe_interrupts),
		cmocka_unit_test(test_enum_names),
		cmocka_unit_test(test_fuzz_random_bytes),
		cmocka_unit_test(test_fuzz_mutations),
		cmocka_unit_test(test_truncated_inputs),
		cmocka_unit_test(test_mgmt_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
