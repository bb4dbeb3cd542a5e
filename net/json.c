/* JSON writer and reader (json.h). */
#include "net/json.h"
#include "lib/string.h"
#include "lib/errno.h"
#include "lib/strutil.h"

void json_str(struct sink *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	sink_write(out, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t elen = 0;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			elen = 2;
		} else if (c == '\n') {
			memcpy(esc, "\\n", 2);
			elen = 2;
		} else if (c == '\t') {
			memcpy(esc, "\\t", 2);
			elen = 2;
		} else if (c < 0x20 || c >= 0x7f) {
			/* Non-ASCII bytes too: what the shell prints is ASCII,
			 * and a guest's console may hold anything. */
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		if (!elen) {
			run++;
			continue;
		}
		if (run)
			sink_write(out, s + i - run, run);
		run = 0;
		sink_write(out, esc, elen);
	}
	if (run)
		sink_write(out, s + n - run, run);
	sink_write(out, "\"", 1);
}

void json_cstr(struct sink *out, const char *s)
{
	json_str(out, s, strlen(s));
}

struct rd {
	const char *p, *end;
	const char *why;
	int depth;
};

static void ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int bad(struct rd *r, const char *why)
{
	if (!r->why)
		r->why = why;
	return -EINVAL;
}

/* A string at r->p; copies its unescaped bytes to buf when buf != NULL.
 * Returns the unescaped length or -EINVAL / -E2BIG. */
static long string(struct rd *r, char *buf, size_t size)
{
	size_t n = 0;
	bool big = false;

	if (r->p >= r->end || *r->p != '"')
		return bad(r, "expected a string");
	r->p++;
	while (r->p < r->end && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p++;
		if (c < 0x20)
			return bad(r, "control character in a string");
		if (c == '\\') {
			if (r->p >= r->end)
				return bad(r, "unterminated string");
			c = (unsigned char)*r->p++;
			switch (c) {
			case '"': case '\\': case '/': break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				unsigned v = 0;
				for (int i = 0; i < 4; i++) {
					if (r->p >= r->end || str_hexdigit(*r->p) < 0)
						return bad(r, "bad \\u escape");
					v = v * 16 + (unsigned)str_hexdigit(*r->p++);
				}
				c = v < 0x80 ? (unsigned char)v : '?';
				break;
			}
			default:
				return bad(r, "bad escape in a string");
			}
		}
		if (buf) {
			if (n + 1 < size)
				buf[n] = (char)c;
			else
				big = true;
		}
		n++;
	}
	if (r->p >= r->end)
		return bad(r, "unterminated string");
	r->p++;
	if (buf)
		buf[n < size ? n : size - 1] = '\0';
	return big ? -E2BIG : (long)n;
}

static int value(struct rd *r);

static int number(struct rd *r)
{
	const char *s = r->p;

	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return bad(r, "bad number");
	if (*r->p == '0')
		r->p++;
	else
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return bad(r, "bad number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return bad(r, "bad number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	return r->p > s ? 0 : bad(r, "bad number");
}

static int literal(struct rd *r, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n))
		return bad(r, "unexpected characters");
	r->p += n;
	return 0;
}

static int container(struct rd *r, bool obj)
{
	char close = obj ? '}' : ']';

	if (++r->depth > JSON_MAX_DEPTH)
		return bad(r, "nested too deeply");
	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		r->depth--;
		return 0;
	}
	for (;;) {
		ws(r);
		if (obj) {
			if (string(r, NULL, 0) < 0)
				return bad(r, "expected a member name");
			ws(r);
			if (r->p >= r->end || *r->p != ':')
				return bad(r, "expected ':'");
			r->p++;
		}
		if (value(r))
			return -EINVAL;
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			r->depth--;
			return 0;
		}
		return bad(r, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int value(struct rd *r)
{
	ws(r);
	if (r->p >= r->end)
		return bad(r, "unexpected end");
	switch (*r->p) {
	case '{': return container(r, true);
	case '[': return container(r, false);
	case '"': return string(r, NULL, 0) < 0 ? -EINVAL : 0;
	case 't': return literal(r, "true");
	case 'f': return literal(r, "false");
	case 'n': return literal(r, "null");
	default: return number(r);
	}
}

int json_validate(const char *text, size_t len, const char **why)
{
	struct rd r = { text, text + len, NULL, 0 };

	if (value(&r) == 0) {
		ws(&r);
		if (r.p == r.end)
			return 0;
		bad(&r, "trailing characters");
	}
	if (why)
		*why = r.why;
	return -EINVAL;
}

int json_get_str(const char *text, size_t len, const char *key, char *buf, size_t size)
{
	struct rd r = { text, text + len, NULL, 0 };
	char name[64];

	if (!size || json_validate(text, len, NULL))
		return -EINVAL;
	ws(&r);
	if (*r.p != '{')
		return -EINVAL;
	r.p++;
	for (;;) {
		long n;

		ws(&r);
		if (*r.p == '}')
			return -ENOENT;
		n = string(&r, name, sizeof(name));
		ws(&r);
		r.p++;   /* ':' (validated) */
		ws(&r);
		if (n >= 0 && !strcmp(name, key)) {
			if (*r.p != '"')
				return -EINVAL;
			n = string(&r, buf, size);
			return n == -E2BIG ? -E2BIG : (int)n;
		}
		r.depth = 0;
		value(&r);
		ws(&r);
		if (*r.p == ',')
			r.p++;
	}
}
