/* HTTP/1.1 request parser (http.h). RFC 9112: 3 (request line), 5
 * (fields), 6.3 (message body length); RFC 9110 5.6.2 (tokens). */
#include "net/http.h"
#include "lib/string.h"
#include "lib/strutil.h"

static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool lower_eq(const char *a, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i]; i++) {
		char c = a[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lit[i])
			return false;
	}
	return i == n && !lit[i];
}

/* Where "\r\n\r\n" starts, or -1. */
static long find_end(const char *b, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n')
			return (long)i;
	return -1;
}

static int fail(struct http_req *r, int status, const char *why)
{
	r->why = why;
	return -status;
}

static void copy_value(char *dst, size_t size, const char *v, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int request_line(const char *b, size_t n, struct http_req *r)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
					       "OPTIONS" };
	size_t i = 0, m, t0, t;
	bool known = false;

	while (i < n && tchar(b[i]))
		i++;
	m = i;
	if (!m || i >= n || b[i] != ' ')
		return fail(r, 400, "malformed request line");
	if (m >= HTTP_METHOD_MAX)
		return fail(r, 501, "unknown method");
	copy_value(r->method, sizeof(r->method), b, m);
	for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]); k++)
		known |= !strcmp(r->method, methods[k]);
	if (!known)
		return fail(r, 501, "unknown method");
	t0 = ++i;
	while (i < n && b[i] > ' ' && b[i] < 0x7f)
		i++;
	t = i - t0;
	if (!t || i >= n || b[i] != ' ' || b[t0] != '/')
		return fail(r, 400, "malformed request target");
	if (t >= HTTP_PATH_MAX)
		return fail(r, 414, "request target too long");
	copy_value(r->path, sizeof(r->path), b + t0, t);
	i++;
	if (n - i != 8 || memcmp(b + i, "HTTP/", 5) || b[i + 6] != '.' ||
	    b[i + 5] < '0' || b[i + 5] > '9' || b[i + 7] < '0' || b[i + 7] > '9')
		return fail(r, 400, "malformed HTTP version");
	if (b[i + 5] != '1')
		return fail(r, 505, "HTTP version not supported");
	if (b[i + 7] == '1')
		r->keep_alive = true;
	else if (b[i + 7] != '0')
		return fail(r, 505, "HTTP version not supported");
	return 0;
}

static int parse_length(const char *v, size_t n, size_t max_body, struct http_req *r)
{
	size_t x = 0;

	if (!n)
		return fail(r, 400, "empty Content-Length");
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return fail(r, 400, "Content-Length is not a number");
		if (x > max_body)
			break;
		x = x * 10 + (size_t)(v[i] - '0');
	}
	if (x > max_body)
		return fail(r, 413, "body too large");
	if (r->has_length && r->content_length != x)
		return fail(r, 400, "two different Content-Length fields");
	r->has_length = true;
	r->content_length = x;
	return 0;
}

static int field(const char *b, size_t n, size_t max_body, struct http_req *r)
{
	size_t i = 0, vs, ve;

	if (n && (b[0] == ' ' || b[0] == '\t'))
		return fail(r, 400, "folded header line");
	while (i < n && tchar(b[i]))
		i++;
	if (!i || i >= n || b[i] != ':')
		return fail(r, 400, "header line without a colon");
	vs = i + 1;
	while (vs < n && (b[vs] == ' ' || b[vs] == '\t'))
		vs++;
	ve = n;
	while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t'))
		ve--;
	for (size_t k = vs; k < ve; k++)
		if ((unsigned char)b[k] < ' ' && b[k] != '\t')
			return fail(r, 400, "control character in a header");
	if (lower_eq(b, i, "content-length"))
		return parse_length(b + vs, ve - vs, max_body, r);
	if (lower_eq(b, i, "transfer-encoding"))
		return fail(r, 411, "chunked bodies are not taken: send Content-Length");
	if (lower_eq(b, i, "authorization")) {
		if (ve - vs >= HTTP_AUTH_MAX)
			return fail(r, 431, "Authorization too long");
		copy_value(r->authorization, sizeof(r->authorization), b + vs, ve - vs);
	} else if (lower_eq(b, i, "x-auth-token")) {
		if (ve - vs >= HTTP_AUTH_MAX)
			return fail(r, 431, "X-Auth-Token too long");
		copy_value(r->auth_token, sizeof(r->auth_token), b + vs, ve - vs);
	} else if (lower_eq(b, i, "connection")) {
		if (lower_eq(b + vs, ve - vs, "close"))
			r->keep_alive = false;
		else if (lower_eq(b + vs, ve - vs, "keep-alive"))
			r->keep_alive = true;
	}
	return 0;
}

int http_parse(const char *buf, size_t len, size_t max_head, size_t max_body,
	       struct http_req *r)
{
	long end;
	size_t pos = 0, nfields = 0;
	int e;

	memset(r, 0, sizeof(*r));
	/* Empty lines before a request line are allowed (RFC 9112, 2.2). */
	while (pos + 1 < len && buf[pos] == '\r' && buf[pos + 1] == '\n' && pos < 8)
		pos += 2;
	end = find_end(buf + pos, len - pos);
	if (end >= 0)
		end += (long)pos;
	if (end < 0) {
		for (size_t i = 0; i < len; i++)
			if (!buf[i])
				return fail(r, 400, "NUL byte in the request");
		if (len > max_head)
			return fail(r, 431, "request headers too large");
		return HTTP_NEED_MORE;
	}
	if ((size_t)end + 4 > max_head)
		return fail(r, 431, "request headers too large");
	r->head_len = (size_t)end + 4;
	for (size_t i = 0; i < r->head_len; i++)
		if (!buf[i])
			return fail(r, 400, "NUL byte in the request");
	while (pos <= (size_t)end) {
		const char *line = buf + pos;
		size_t n = 0;

		while (pos + n < (size_t)end + 2 && !(line[n] == '\r' && line[n + 1] == '\n')) {
			if (line[n] == '\r' || line[n] == '\n')
				return fail(r, 400, "bare CR or LF in the headers");
			n++;
		}
		if (nfields == 0)
			e = request_line(line, n, r);
		else if (nfields > HTTP_MAX_HEADERS)
			e = fail(r, 431, "too many header fields");
		else
			e = field(line, n, max_body, r);
		if (e)
			return e;
		nfields++;
		pos += n + 2;
	}
	if (!nfields)
		return fail(r, 400, "no request line");
	r->body = buf + r->head_len;
	r->body_len = r->content_length;
	if (len - r->head_len < r->content_length)
		return HTTP_NEED_MORE;
	if (len - r->head_len > r->content_length)
		return fail(r, 400, "more bytes than Content-Length says");
	return HTTP_DONE;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
