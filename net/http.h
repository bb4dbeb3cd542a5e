/* HTTP/1.1 request parsing (RFC 9112) for the management API. Pure code:
 * it reads a buffer of what has arrived so far and says whether a whole
 * request is there, more is needed, or which error status to answer.
 * Host unit tests and a fuzz loop drive it (tests/unit/test_http.c). */
#ifndef VATRA_NET_HTTP_H
#define VATRA_NET_HTTP_H

#include <stddef.h>
#include <stdbool.h>

#define HTTP_METHOD_MAX 8
#define HTTP_PATH_MAX 256
#define HTTP_AUTH_MAX 256
#define HTTP_MAX_HEADERS 32

struct http_req {
	char method[HTTP_METHOD_MAX];
	char path[HTTP_PATH_MAX];         /* the target, query included */
	char authorization[HTTP_AUTH_MAX];
	char auth_token[HTTP_AUTH_MAX];   /* X-Auth-Token (Redfish sessions) */
	bool keep_alive;
	bool has_length;
	size_t content_length;
	size_t head_len;                  /* request line and headers, blank line included */
	const char *body;                 /* into the buffer; body_len == content_length */
	size_t body_len;
	const char *why;                  /* for an error: what was wrong */
};

#define HTTP_NEED_MORE 0
#define HTTP_DONE 1

/* Parses buf[0..len) (not NUL-terminated; any bytes). Returns HTTP_DONE
 * (r filled; the request is head_len + body_len bytes and nothing else
 * followed), HTTP_NEED_MORE, or minus the status to answer with r->why:
 * 400 (malformed line, header without a colon, bad Content-Length, a
 * body longer than it), 411 (Transfer-Encoding: chunked is not taken),
 * 413 (body over max_body), 414 (target too long), 431 (headers over
 * max_head or too many), 501 (unknown method), 505 (not HTTP/1.0/1.1). */
int http_parse(const char *buf, size_t len, size_t max_head, size_t max_body,
	       struct http_req *r);

/* The reason phrase for a status ("Not Found"). */
const char *http_reason(int status);

#endif
