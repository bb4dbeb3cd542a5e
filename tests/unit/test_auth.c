/* Unit tests for mgmt/auth.c: the identity file (good lines, every kind
 * of bad line, hostile bytes), lookup by digest and kind, roles, and the
 * failure limiter's window, block and slot reuse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/auth.h"

/* SHA-256("abc") (FIPS 180-2, appendix B.1) and of the empty string. */
static const char abc_hex[] =
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const uint8_t abc[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
	0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};
static const char empty_colons[] =
	"E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55";
static const uint8_t empty[32] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

static struct auth_table t;

static unsigned parse(const char *s)
{
	size_t n = strlen(s);
	char *c = malloc(n ? n : 1);
	unsigned r;

	memcpy(c, s, n);
	r = auth_parse(&t, c, n);
	free(c);
	return r;
}

static void test_parse_good(void **state)
{
	char text[512];

	(void)state;
	snprintf(text, sizeof(text),
		 "# identities\n"
		 "cert operator %s alice   # her laptop\n"
		 "\n"
		 "token\treadonly\t%s\tmonitor\r\n"
		 "cert admin %s root", abc_hex, abc_hex, empty_colons);
	assert_int_equal(parse(text), 3);
	assert_int_equal(t.nerrors, 0);
	assert_int_equal(t.ids[0].kind, AUTH_CERT);
	assert_int_equal(t.ids[0].role, CMD_ROLE_OPERATOR);
	assert_string_equal(t.ids[0].name, "alice");
	assert_int_equal(t.ids[1].kind, AUTH_TOKEN);
	assert_int_equal(t.ids[1].role, CMD_ROLE_READ);
	assert_string_equal(t.ids[1].name, "monitor");
	assert_memory_equal(t.ids[2].digest, empty, 32);
	/* The same digest as a cert and as a token are different identities;
	 * lookups go by kind. */
	assert_ptr_equal(auth_find(&t, AUTH_CERT, abc), &t.ids[0]);
	assert_ptr_equal(auth_find(&t, AUTH_TOKEN, abc), &t.ids[1]);
	assert_ptr_equal(auth_find(&t, AUTH_CERT, empty), &t.ids[2]);
	assert_null(auth_find(&t, AUTH_TOKEN, empty));
	{
		uint8_t d[32];
		memcpy(d, abc, 32);
		d[31] ^= 1;
		assert_null(auth_find(&t, AUTH_CERT, d));
	}
	assert_string_equal(auth_role_name(CMD_ROLE_ADMIN), "admin");
	assert_string_equal(auth_role_name((enum cmd_role)7), "?");
}

static void test_parse_bad(void **state)
{
	char text[2048];

	(void)state;
	snprintf(text, sizeof(text),
		 "cert operator %s\n"                       /* 1: no name */
		 "key operator %s x\n"                      /* 2: kind */
		 "cert root %s x\n"                         /* 3: role */
		 "cert admin %.63s x\n"                     /* 4: short digest */
		 "cert admin %.63sg x\n"                    /* 5: not hex */
		 "cert admin %s aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n" /* 6: name */
		 "cert admin %s x y\n"                      /* 7: words */
		 "token admin %s ok\n"                      /* 8: good */
		 "token operator %s again\n",               /* 9: duplicate */
		 abc_hex, abc_hex, abc_hex, abc_hex, abc_hex, abc_hex, abc_hex, abc_hex, abc_hex);
	assert_int_equal(parse(text), 1);
	assert_int_equal(t.nerrors, 8);
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(t.err_line[i], i + 1);
	assert_int_equal(t.err_line[7], 9);
	assert_non_null(strstr(t.err_msg[1], "cert or token"));
	assert_non_null(strstr(t.err_msg[2], "readonly, operator or admin"));
	/* Nothing, NUL bytes, binary. */
	assert_int_equal(auth_parse(&t, NULL, 5), 0);
	assert_int_equal(auth_parse(&t, "\0\0\0\n\xff\xfe", 6), 0);
	assert_int_equal(t.nerrors, 2);
}

static void test_parse_full(void **state)
{
	char *text = malloc(AUTH_MAX_IDS * 120 + 200);
	size_t n = 0;

	(void)state;
	for (int i = 0; i <= AUTH_MAX_IDS; i++)
		n += (size_t)sprintf(text + n, "token readonly %02x%s n%d\n", i, abc_hex + 2, i);
	assert_int_equal(auth_parse(&t, text, n), AUTH_MAX_IDS);
	assert_int_equal(t.nerrors, 1);
	assert_non_null(strstr(t.err_msg[0], "too many"));
	free(text);
}

static void test_limit(void **state)
{
	struct auth_limit l;
	uint32_t a = 0x0a000202, b = 0x0a000203, now = 1000;

	(void)state;
	memset(&l, 0, sizeof(l));
	for (int i = 0; i < AUTH_FAIL_MAX - 1; i++) {
		assert_false(auth_failed(&l, a, now + (uint32_t)i));
		assert_false(auth_limited(&l, a, now + (uint32_t)i));
	}
	assert_true(auth_failed(&l, a, now + 10));
	assert_true(auth_limited(&l, a, now + 11));
	assert_false(auth_limited(&l, b, now + 11));
	assert_true(auth_limited(&l, a, now + 10 + AUTH_BLOCK_MS - 1));
	assert_false(auth_limited(&l, a, now + 10 + AUTH_BLOCK_MS));
	/* Failures spread wider than the window never block. */
	memset(&l, 0, sizeof(l));
	for (int i = 0; i < 20; i++)
		assert_false(auth_failed(&l, b, now + (uint32_t)i * (AUTH_FAIL_WINDOW_MS / 3)));
	/* Many addresses: slots are reused; a blocked one keeps its slot. */
	memset(&l, 0, sizeof(l));
	for (int i = 0; i < AUTH_FAIL_MAX; i++)
		auth_failed(&l, a, now);
	assert_true(auth_limited(&l, a, now));
	for (uint32_t x = 0; x < 1000; x++)
		auth_failed(&l, 0x0b000000 + x, now + x);
	assert_true(auth_limited(&l, a, now + 1000));
	/* The clock wrapping around does not unblock or block wrongly. */
	memset(&l, 0, sizeof(l));
	for (int i = 0; i < AUTH_FAIL_MAX; i++)
		auth_failed(&l, a, 0xfffffff0u);
	assert_true(auth_limited(&l, a, 0x10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
