/* Unit tests for net/http.c, the API's HTTP/1.1 request parser: good
 * requests whole and in pieces, every refusal with its status, and a
 * fuzz loop of random and mutated requests (ASan watches every read:
 * each parse goes through an exact-size heap copy). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http.h"

#define HEAD 8192
#define BODY 4096

static struct http_req req;

static int parse_n(const char *s, size_t n)
{
	char *copy = malloc(n ? n : 1);
	int r;

	memcpy(copy, s, n);
	r = http_parse(copy, n, HEAD, BODY, &req);
	if (r == HTTP_DONE) {
		/* body points into the buffer: check it before freeing */
		assert_true(req.body >= copy && req.body + req.body_len <= copy + n);
	}
	free(copy);
	return r;
}

static int parse(const char *s)
{
	return parse_n(s, strlen(s));
}

static void test_get(void **state)
{
	(void)state;
	assert_int_equal(parse("GET /api/v1/partitions HTTP/1.1\r\nHost: x\r\n\r\n"), HTTP_DONE);
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.path, "/api/v1/partitions");
	assert_true(req.keep_alive);
	assert_int_equal(req.body_len, 0);
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n"), HTTP_DONE);
	assert_false(req.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), HTTP_DONE);
	assert_false(req.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n"), HTTP_DONE);
	assert_true(req.keep_alive);
	/* leading empty lines are skipped (RFC 9112, 2.2) */
	assert_int_equal(parse("\r\nGET / HTTP/1.1\r\n\r\n"), HTTP_DONE);
}

static void test_headers(void **state)
{
	(void)state;
	assert_int_equal(parse("GET / HTTP/1.1\r\nAuthorization:   Bearer abc \t\r\n"
			       "X-Auth-Token: t0k\r\n\r\n"), HTTP_DONE);
	assert_string_equal(req.authorization, "Bearer abc");
	assert_string_equal(req.auth_token, "t0k");
	assert_int_equal(parse("GET / HTTP/1.1\r\nEmpty:\r\n\r\n"), HTTP_DONE);
}

static void test_body(void **state)
{
	const char *r = "POST /api/v1/exec HTTP/1.1\r\nContent-Length: 20\r\n\r\n"
			"{\"command\":\"list\"}\r\n";
	size_t n = strlen(r);

	(void)state;
	assert_int_equal(parse(r), HTTP_DONE);
	assert_int_equal(req.body_len, 20);
	assert_int_equal(req.head_len, n - 20);
	/* Every prefix is "need more", never an error or a request. */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(parse_n(r, i), HTTP_NEED_MORE);
	/* A byte more is a body longer than Content-Length. */
	{
		char buf[256];
		snprintf(buf, sizeof(buf), "%sX", r);
		assert_int_equal(parse(buf), -400);
	}
	/* Same Content-Length twice is fine, different is not. */
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\n{}"),
			 HTTP_DONE);
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 3\r\n\r\n{}"),
			 -400);
}

static void test_refusals(void **state)
{
	char *big;

	(void)state;
	assert_int_equal(parse("GARBAGE\r\n\r\n"), -400);
	assert_int_equal(parse("GET\r\n\r\n"), -400);
	assert_int_equal(parse("GET  / HTTP/1.1\r\n\r\n"), -400);
	assert_int_equal(parse("GET api HTTP/1.1\r\n\r\n"), -400);
	assert_int_equal(parse("GET / HTTP/1.1 \r\n\r\n"), -400);
	assert_int_equal(parse("GET / FTP/1.1\r\n\r\n"), -400);
	assert_int_equal(parse("GET / HTTP/2.0\r\n\r\n"), -505);
	assert_int_equal(parse("GET / HTTP/1.2\r\n\r\n"), -505);
	assert_int_equal(parse("BREW / HTTP/1.1\r\n\r\n"), -501);
	assert_int_equal(parse("VERYLONGMETHOD / HTTP/1.1\r\n\r\n"), -501);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost x\r\n\r\n"), -400);
	assert_non_null(strstr(req.why, "colon"));
	assert_int_equal(parse("GET / HTTP/1.1\r\n: x\r\n\r\n"), -400);
	assert_int_equal(parse("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"), -400);
	assert_int_equal(parse("GET / HTTP/1.1\r\nA: b\nB: c\r\n\r\n"), -400);
	assert_int_equal(parse("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n"), -400);
	assert_int_equal(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), -411);
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: x1\r\n\r\n"), -400);
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), -400);
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n"), -400);
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 4097\r\n\r\n"), -413);
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n"), -413);
	assert_int_equal(parse_n("GET /\0 HTTP/1.1\r\n\r\n", 19), -400);
	assert_int_equal(parse_n("GET /\0", 6), -400);
	/* empty lines only: still waiting for a request line, then refused */
	assert_int_equal(parse("\r\n\r\n"), HTTP_NEED_MORE);
	assert_int_equal(parse("\r\n\r\n\r\n\r\n\r\n\r\n"), -400);
	/* A target too long, headers too large (with and without an end),
	 * too many fields. */
	big = malloc(HEAD * 2);
	memset(big, 'a', HEAD * 2);
	memcpy(big, "GET /", 5);
	memcpy(big + 300, " HTTP/1.1\r\n\r\n", 13);
	assert_int_equal(parse_n(big, 313), -414);
	memset(big, 'a', HEAD * 2);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(parse_n(big, HEAD + 1), -431);
	memcpy(big + HEAD + 100, "\r\n\r\n", 4);
	assert_int_equal(parse_n(big, HEAD + 104), -431);
	{
		char buf[4096];
		size_t n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
		for (int i = 0; i < HTTP_MAX_HEADERS + 1; i++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: y\r\n", i);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
		assert_int_equal(parse_n(buf, n), -431);
	}
	free(big);
}

/* Random bytes, and good requests with bytes flipped, cut or repeated:
 * the parser returns one of its documented results and never reads out
 * of bounds; a DONE request is consistent. 200000 rounds by default;
 * VATRA_FUZZ_ITER sets more (make fuzz-http). */
static void test_fuzz(void **state)
{
	static const char *const seeds[] = {
		"GET /api/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer q\r\n\r\n",
		"POST /api/v1/exec HTTP/1.1\r\nContent-Length: 4\r\n\r\n{\"\"}",
		"PUT /redfish/v1/Systems/a HTTP/1.0\r\nConnection: close\r\n\r\n",
	};
	char buf[512];
	unsigned seed = 12345;
	const char *env = getenv("VATRA_FUZZ_ITER");
	unsigned long iters = env ? strtoul(env, NULL, 10) : 200000;

	(void)state;
	for (unsigned long it = 0; it < iters; it++) {
		size_t n;
		int r;

		seed = seed * 1103515245u + 12345u;
		if (it % 4 == 0) {
			n = (seed >> 8) % sizeof(buf);
			for (size_t i = 0; i < n; i++) {
				seed = seed * 1103515245u + 12345u;
				buf[i] = (char)(seed >> 16);
			}
		} else {
			const char *s = seeds[(seed >> 4) % 3];
			n = strlen(s);
			memcpy(buf, s, n);
			for (int k = 0; k < 1 + (int)((seed >> 12) % 4); k++) {
				seed = seed * 1103515245u + 12345u;
				switch ((seed >> 20) % 3) {
				case 0: buf[(seed >> 3) % n] = (char)(seed >> 24); break;
				case 1: n = (seed >> 3) % (n + 1); break;
				default:
					if (n && n < sizeof(buf) - 1) {
						size_t at = (seed >> 3) % n;
						memmove(buf + at + 1, buf + at, n - at);
						n++;
					}
				}
				if (!n)
					break;
			}
		}
		r = parse_n(buf, n);
		assert_true(r == HTTP_DONE || r == HTTP_NEED_MORE || r == -400 || r == -411 ||
			    r == -413 || r == -414 || r == -431 || r == -501 || r == -505);
		if (r < 0)
			assert_non_null(req.why);
		if (r == HTTP_DONE) {
			assert_true(req.head_len + req.body_len == n);
			assert_int_equal(req.path[0], '/');
		}
	}
}

static void test_reasons(void **state)
{
	(void)state;
	assert_string_equal(http_reason(411), "Length Required");
	assert_string_equal(http_reason(431), "Request Header Fields Too Large");
	assert_string_equal(http_reason(299), "Unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_reasons),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
