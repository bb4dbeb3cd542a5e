/* Unit tests for net/json.c: escaping on output, validation and member
 * lookup on hostile input (exact-size heap copies under ASan). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "net/json.h"
#include "lib/errno.h"

static char out[1024];
static struct sink_buf sb;

static const char *esc(const char *s, size_t n)
{
	sink_buf_init(&sb, out, sizeof(out));
	json_str(&sb.sink, s, n);
	return out;
}

static int valid(const char *s)
{
	size_t n = strlen(s);
	char *c = malloc(n ? n : 1);
	const char *why = NULL;
	int r;

	memcpy(c, s, n);
	r = json_validate(c, n, &why);
	if (r)
		assert_non_null(why);
	free(c);
	return r;
}

static int get(const char *s, const char *key, char *buf, size_t size)
{
	size_t n = strlen(s);
	char *c = malloc(n ? n : 1);
	int r;

	memcpy(c, s, n);
	r = json_get_str(c, n, key, buf, size);
	free(c);
	return r;
}

static void test_escape(void **state)
{
	(void)state;
	assert_string_equal(esc("plain", 5), "\"plain\"");
	assert_string_equal(esc("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	assert_string_equal(esc("l1\nl2\t", 6), "\"l1\\nl2\\t\"");
	assert_string_equal(esc("\x01\x1f\x7f\xff", 4), "\"\\u0001\\u001f\\u007f\\u00ff\"");
	assert_string_equal(esc("a\0b", 3), "\"a\\u0000b\"");
	assert_string_equal(esc("", 0), "\"\"");
}

static void test_validate(void **state)
{
	static const char *const good[] = {
		"{}", "[]", "0", "-0.5e+10", "\"x\"", "true", "null", " {\"a\": [1, 2, {\"b\": false}]} ",
		"{\"s\":\"\\u00e9\\n\\/\"}", "[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]",
	};
	static const char *const bad[] = {
		"", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{a:1}",
		"'x'", "01", "1.", "-", "1e", "tru", "nul", "\"\\x\"", "\"\\u12\"", "\"a", "{} {}",
		"\"\x01\"", "[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]", "{command:", "NaN",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(valid(good[i]), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(valid(bad[i]), -EINVAL);
}

static void test_get(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(get("{\"command\": \"list\"}", "command", buf, sizeof(buf)), 4);
	assert_string_equal(buf, "list");
	assert_int_equal(get("{\"x\": {\"command\": \"no\"}, \"command\":\"stop a\"}", "command",
			     buf, sizeof(buf)), 6);
	assert_string_equal(buf, "stop a");
	assert_int_equal(get("{\"ResetType\":\"On\\u0021\"}", "ResetType", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "On!");
	assert_int_equal(get("{\"command\": 5}", "command", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(get("{\"other\": \"x\"}", "command", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(get("[\"command\"]", "command", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(get("{\"command\": \"list", "command", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(get("{\"command\": \"0123456789abcdefXYZ\"}", "command", buf, sizeof(buf)),
			 -E2BIG);
	assert_int_equal(buf[sizeof(buf) - 1], '\0');
}

/* Random mutations of a request body: validate and get never read past
 * the end and agree with each other. */
static void test_fuzz(void **state)
{
	const char *seed = "{\"command\": \"stop web\", \"args\": [1, -2.5e3, true, null, \"\\u0041\"]}";
	char buf[128], val[32];
	unsigned s = 7;

	(void)state;
	for (int it = 0; it < 100000; it++) {
		size_t n = strlen(seed);
		char *c;
		int v, g;

		memcpy(buf, seed, n);
		for (int k = 0; k < 3; k++) {
			s = s * 1103515245u + 12345u;
			if ((s >> 16) % 4 == 0)
				n = (s >> 4) % (n + 1);
			else if (n)
				buf[(s >> 4) % n] = "{}[]\",:\\ 0aeu-\x01"[(s >> 20) % 16];
		}
		c = malloc(n ? n : 1);
		memcpy(c, buf, n);
		v = json_validate(c, n, NULL);
		g = json_get_str(c, n, "command", val, sizeof(val));
		if (v)
			assert_int_equal(g, -EINVAL);
		free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
